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
