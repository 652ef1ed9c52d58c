# Differential tests of the deploy module against llama.cpp's own library: whether it loads a file.
if(TARGET gguf_deploy AND TARGET gguf_rules_fixture)
  gguf_doctor_reference_test(deploy_loadability_reference_test
    SOURCES deploy_loadability_test.cpp
    LIBS gguf_deploy gguf_rules_fixture)
endif()
if(TARGET gguf_deploy AND TARGET gguf_rules_fixture)
  gguf_doctor_reference_test(deploy_fit_reference_test
    SOURCES deploy_fit_test.cpp
    LIBS gguf_deploy gguf_rules_fixture fmt::fmt)
endif()
if(TARGET gguf_deploy AND TARGET gguf_rules_fixture)
  gguf_doctor_reference_test(deploy_lora_reference_test
    SOURCES deploy_lora_test.cpp
    LIBS gguf_deploy gguf_rules_fixture fmt::fmt)
endif()
# fit's GPU placement against llama.cpp's CUDA build (tests/reference/install.sh --cuda), which the test
# loads at run time with dlopen: it links no reference library, so it is built wherever the deploy
# module is, and skips itself (exit 77, saying why) without the CUDA build or a CUDA device.
if(TARGET gguf_deploy AND TARGET gguf_rules_fixture)
  gguf_doctor_test(deploy_fit_gpu_reference_test
    SOURCES deploy_fit_gpu_test.cpp
    LIBS gguf_deploy gguf_rules_fixture fmt::fmt ${CMAKE_DL_LIBS}
    LABELS "reference;gpu")
  target_include_directories(deploy_fit_gpu_reference_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(deploy_fit_gpu_reference_test PRIVATE GGUF_DOCTOR_REFERENCE_DIR="${GGUF_DOCTOR_REFERENCE_DIR}")
endif()
