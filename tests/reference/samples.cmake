# The generator's fixtures as ggml and llama.cpp see them (see tests/reference/CMakeLists.txt).
gguf_doctor_reference_test(samples_ggml_test SOURCES samples_ggml_test.cpp LIBS gguf gguf_samples gguf_dequant)
gguf_doctor_reference_test(samples_llama_test
  SOURCES samples_llama_test.cpp
  LIBS gguf gguf_samples nlohmann_json::nlohmann_json
  NEEDS_NODE)
if(TARGET samples_llama_test)
  target_compile_definitions(samples_llama_test PRIVATE
    GGUF_DOCTOR_TRAINED_SAMPLE="${PROJECT_SOURCE_DIR}/samples/trained/tiny-english-f16.gguf"
    GGUF_DOCTOR_TRAINED_HELDOUT="${PROJECT_SOURCE_DIR}/samples/train/results/heldout-sample.json")
endif()
gguf_doctor_reference_test(samples_arch_llama_test
  SOURCES samples_arch_llama_test.cpp
  LIBS gguf gguf_samples nlohmann_json::nlohmann_json
  NEEDS_NODE)
