# libgguf's differential tests: the type registry, ggml-written files, our written files (byte-identical
# to ggml's writer) and llama.cpp-quantized files, each read by libgguf and by ggml's own reader.
gguf_doctor_reference_test(libgguf_ggml_files_test SOURCES libgguf_ggml_files_test.cpp LIBS gguf)
gguf_doctor_reference_test(libgguf_quantizer_test SOURCES libgguf_quantizer_test.cpp LIBS gguf)
gguf_doctor_reference_test(libgguf_llama_load_test SOURCES libgguf_llama_load_test.cpp LIBS gguf NEEDS_NODE)
