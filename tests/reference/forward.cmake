# Differential tests of the CPU forward pass against llama.cpp through node-llama-cpp.
if(TARGET gguf_forward AND TARGET gguf_samples)
  gguf_doctor_reference_test(reference_forward_agreement
    SOURCES forward_agreement_test.cpp
    LIBS gguf gguf_forward gguf_samples gguf_dequant nlohmann_json::nlohmann_json
    NEEDS_NODE)
endif()
if(TARGET gguf_forward AND TARGET gguf_samples)
  # The forward pass on IQ1/IQ2/IQ3 and TQ files (quantized by ggml with an importance matrix).
  gguf_doctor_reference_test(reference_forward_iquants
    SOURCES forward_iquant_test.cpp
    LIBS gguf gguf_forward gguf_samples gguf_dequant nlohmann_json::nlohmann_json
    NEEDS_NODE)
endif()
if(TARGET gguf_forward AND TARGET gguf_samples)
  # The mixture-of-experts presets (qwen3moe, qwen2moe, qwen35moe, gpt-oss; MXFP4 experts) in every weight mix
  # against llama.cpp's float32 pass on the decoded weights.
  gguf_doctor_reference_test(reference_forward_moe_oracle
    SOURCES forward_moe_oracle_test.cpp
    LIBS gguf gguf_forward gguf_samples gguf_dequant nlohmann_json::nlohmann_json
    NEEDS_NODE)
endif()
