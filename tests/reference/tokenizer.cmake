# Differential tests of the tokenizer against llama.cpp (libllama directly, and through node-llama-cpp).
gguf_doctor_reference_test(reference_tokenizer_llama
  SOURCES tokenizer_llama_test.cpp
  LIBS gguf gguf_tokenizer)
gguf_doctor_reference_test(reference_tokenizer_node
  SOURCES tokenizer_node_test.cpp
  LIBS gguf gguf_tokenizer nlohmann_json::nlohmann_json
  NEEDS_NODE)
