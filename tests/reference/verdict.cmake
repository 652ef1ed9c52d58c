# The verdicts (counterfactual passes, RoPE pairs, logit sanity) on the trained sample as llama.cpp
# quantizes it: the llama.cpp-quantized part of the calibration's healthy set.
if(TARGET gguf_verdict)
  gguf_doctor_reference_test(verdict_llama_quantized_test
    SOURCES verdict_llama_quantized_test.cpp
    LIBS gguf_verdict gguf_rules gguf_forward gguf_tokenizer gguf_dequant gguf fmt::fmt)
endif()
