# Warnings and sanitizers for every target of the project (not for dependencies).
add_library(gguf_doctor_options INTERFACE)
# A local shadowing a local: GCC's -Wshadow=local, clang's -Wshadow-uncaptured-local.
target_compile_options(gguf_doctor_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic $<IF:$<CXX_COMPILER_ID:GNU>,-Wshadow=local,-Wshadow-uncaptured-local>
                            -Wno-missing-field-initializers>)
# GCC 12's -O2 flow analysis reports false positives inside libstdc++'s std::string operator+ and
# vector::insert (GCC bugs 105329 and 106199, fixed in GCC 13).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(gguf_doctor_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict -Wno-stringop-overflow>)
endif()
if(GGUF_DOCTOR_SANITIZE)
  target_compile_options(gguf_doctor_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all>)
  target_link_options(gguf_doctor_options INTERFACE -fsanitize=address,undefined)
endif()
# libFuzzer (fuzz/): every project target gets the coverage instrumentation; only the fuzz targets
# link libFuzzer's main. Clang only (Debian: clang and libclang-rt-dev).
if(GGUF_DOCTOR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GGUF_DOCTOR_FUZZ needs clang (CXX=clang++): libFuzzer is part of clang")
  endif()
  target_compile_options(gguf_doctor_options INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link>)
endif()

# Adds each listed sub-folder that has a CMakeLists.txt (modules grow folder by folder).
function(gguf_doctor_add_parts)
  foreach(dir IN LISTS ARGN)
    if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt")
      add_subdirectory(${dir})
    endif()
  endforeach()
endfunction()
