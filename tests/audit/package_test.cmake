# Installs the build into a temporary prefix, then configures, builds and runs a consumer project that
# finds it with find_package(GgufDoctor) (tests/audit/package_consumer).
# cmake -DBINARY_DIR=... -DCONSUMER_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX=... -P package_test.cmake
foreach(var BINARY_DIR CONSUMER_DIR WORK_DIR GENERATOR CXX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "package_test.cmake: ${var} is not set")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
run_step("install" ${CMAKE_COMMAND} --install "${BINARY_DIR}" --prefix "${WORK_DIR}/prefix")
foreach(header gguf/container.hpp gguf/dequant.hpp gguf/forward/forward.hpp gguf/audit/dump_audit.hpp)
  if(NOT EXISTS "${WORK_DIR}/prefix/include/${header}")
    message(FATAL_ERROR "the install has no include/${header}")
  endif()
endforeach()
run_step("sample model" "${BINARY_DIR}/gguf-samples" --preset tiny-llama --type q8_0 -o "${WORK_DIR}/model.gguf")
run_step("configure the consumer" ${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
         -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)
run_step("build the consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run_step("run the consumer" "${WORK_DIR}/build/consumer" "${WORK_DIR}/model.gguf")
run_step("the tool as an imported target" ${CMAKE_COMMAND} --build "${WORK_DIR}/build" --target print_tool)
file(REMOVE_RECURSE "${WORK_DIR}")
