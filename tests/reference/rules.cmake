# The rules against files written by llama.cpp's own quantizer: no false alarms.
gguf_doctor_reference_test(rules_llama_quantized_test SOURCES rules_llama_quantized_test.cpp LIBS gguf_rules gguf_samples)
if(TARGET gguf_forward AND TARGET gguf_samples)
  # Grid and sign usage of IQ files from ggml's and our quantizers: the measured basis of GD-W021.
  gguf_doctor_reference_test(rules_iquant_usage_test
    SOURCES rules_iquant_usage_test.cpp
    LIBS gguf_rules gguf_samples gguf_forward gguf_dequant)
endif()
