# The rules against files written by llama.cpp's own quantizer: no false alarms.
gguf_doctor_reference_test(rules_llama_quantized_test SOURCES rules_llama_quantized_test.cpp LIBS gguf_rules gguf_samples)
