# Warnings and sanitizers for every target of the project (not for dependencies).
add_library(gguf_doctor_options INTERFACE)
target_compile_options(gguf_doctor_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow=local -Wno-missing-field-initializers>)
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

# Adds each listed sub-folder that has a CMakeLists.txt (modules grow folder by folder).
function(gguf_doctor_add_parts)
  foreach(dir IN LISTS ARGN)
    if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt")
      add_subdirectory(${dir})
    endif()
  endforeach()
endfunction()
