# What `gguf-doctor edit`, `split`, `merge` and `fix` write, loaded by llama.cpp.
gguf_doctor_reference_test(repair_llama_test SOURCES repair_llama_test.cpp
  LIBS gguf_repair gguf_verdict_fixtures gguf_model gguf NEEDS_NODE)
if(TARGET repair_llama_test)
  target_compile_definitions(repair_llama_test PRIVATE GGUF_DOCTOR_EXE="$<TARGET_FILE:gguf-doctor>")
  add_dependencies(repair_llama_test gguf-doctor)
endif()
