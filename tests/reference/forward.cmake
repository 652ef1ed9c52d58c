# Differential tests of the CPU forward pass against llama.cpp through node-llama-cpp.
if(TARGET gguf_forward AND TARGET gguf_samples)
  gguf_doctor_reference_test(reference_forward_agreement
    SOURCES forward_agreement_test.cpp
    LIBS gguf gguf_forward gguf_samples gguf_dequant nlohmann_json::nlohmann_json
    NEEDS_NODE)
endif()
