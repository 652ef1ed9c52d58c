# Differential tests of the dequant module against ggml (see tests/reference/CMakeLists.txt).
gguf_doctor_reference_test(dequant_reference_tests
  SOURCES dequant_bitexact_test.cpp dequant_quantizer_test.cpp dequant_iq_grids_test.cpp
  LIBS gguf_dequant)
if(TARGET dequant_reference_tests)
  # The scalar and AVX2 decoders are compared one by one through the module's internal table.
  target_include_directories(dequant_reference_tests PRIVATE ${PROJECT_SOURCE_DIR}/dequant/src)
endif()
if(GGUF_DOCTOR_REFERENCE_FOUND)
  # Writes the IQ code books (dequant/include/gguf/blocks/iq_grid_data.hpp) from ggml's to_float.
  add_executable(derive_iq_grids derive_iq_grids.cpp)
  target_include_directories(derive_iq_grids PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(derive_iq_grids PRIVATE gguf gguf_reference_libs)
endif()
