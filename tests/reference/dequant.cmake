# Differential tests of the dequant module against ggml (see tests/reference/CMakeLists.txt).
gguf_doctor_reference_test(dequant_reference_tests
  SOURCES dequant_bitexact_test.cpp dequant_quantizer_test.cpp
  LIBS gguf_dequant)
if(TARGET dequant_reference_tests)
  # The scalar and AVX2 decoders are compared one by one through the module's internal table.
  target_include_directories(dequant_reference_tests PRIVATE ${PROJECT_SOURCE_DIR}/dequant/src)
endif()
