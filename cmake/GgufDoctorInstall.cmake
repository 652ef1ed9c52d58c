# The installable CMake package. After `cmake --install build --prefix P`, a C++ project finds it with
#   find_package(GgufDoctor REQUIRED)        # CMAKE_PREFIX_PATH=P
#   target_link_libraries(my_tests PRIVATE GgufDoctor::forward GgufDoctor::dequant)
# and gets the libraries as imported targets with the same names as the in-tree aliases
# (GgufDoctor::gguf, ::dequant, ::model, ::tokenizer, ::forward, ::rules, ::report, ::audit, and
# ::cuda in CUDA builds), their public headers, and the tool as GgufDoctor::gguf-doctor.
# docs/audit.md ("Calling the reference from C++") shows a consumer.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# target : export name : folder whose include/ holds the public headers
set(_gguf_doctor_parts
  gguf:gguf:libgguf
  gguf_dequant:dequant:dequant
  gguf_model:model:validate/model
  gguf_tokenizer:tokenizer:validate/tokenizer
  gguf_forward:forward:validate/forward
  gguf_rules:rules:validate/rules
  gguf_report:report:validate/report
  gguf_audit:audit:validate/audit
  gguf_cuda:cuda:cuda)

set(_gguf_doctor_installed gguf_doctor_options)
# The libraries are static: the warning flags target travels as a link-only dependency (it carries
# the sanitizer link options of GGUF_DOCTOR_SANITIZE builds).
set_target_properties(gguf_doctor_options PROPERTIES EXPORT_NAME options)
foreach(part IN LISTS _gguf_doctor_parts)
  string(REPLACE ":" ";" part "${part}")
  list(GET part 0 target)
  list(GET part 1 export_name)
  list(GET part 2 folder)
  if(NOT TARGET ${target})
    continue()
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  list(APPEND _gguf_doctor_installed ${target})
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/${folder}/include/" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
if(TARGET gguf-doctor)
  list(APPEND _gguf_doctor_installed gguf-doctor)
endif()

install(TARGETS ${_gguf_doctor_installed}
  EXPORT GgufDoctorTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(GGUF_DOCTOR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/GgufDoctor)
install(EXPORT GgufDoctorTargets NAMESPACE GgufDoctor:: DESTINATION ${GGUF_DOCTOR_CMAKE_DIR})
# What GgufDoctorConfig.cmake must find again for the consumer (private dependencies of static libraries).
set(GGUF_DOCTOR_PACKAGE_HAS_AUDIT OFF)
set(GGUF_DOCTOR_PACKAGE_HAS_CUDA OFF)
if(TARGET gguf_audit)
  set(GGUF_DOCTOR_PACKAGE_HAS_AUDIT ON)
endif()
if(TARGET gguf_cuda)
  set(GGUF_DOCTOR_PACKAGE_HAS_CUDA ON)
endif()
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/GgufDoctorConfig.cmake.in" "${PROJECT_BINARY_DIR}/GgufDoctorConfig.cmake"
  INSTALL_DESTINATION ${GGUF_DOCTOR_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/GgufDoctorConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/GgufDoctorConfig.cmake" "${PROJECT_BINARY_DIR}/GgufDoctorConfigVersion.cmake"
  DESTINATION ${GGUF_DOCTOR_CMAKE_DIR})
