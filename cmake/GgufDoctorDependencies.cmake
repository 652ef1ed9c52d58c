# Debian 12 packages (see README): Boost.Program_options, Eigen 3.4, doctest, nlohmann-json, fmt,
# xxHash, OpenMP. Boost is found through its own CMake config: CMake 4 has no FindBoost module.
find_package(Boost 1.74 CONFIG REQUIRED COMPONENTS program_options)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(nlohmann_json 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
if(GGUF_DOCTOR_TESTS)
  find_package(doctest REQUIRED)
endif()

# xxHash ships no CMake config on Debian.
find_path(XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
find_library(XXHASH_LIBRARY NAMES xxhash REQUIRED)
add_library(xxhash::xxhash UNKNOWN IMPORTED)
set_target_properties(xxhash::xxhash PROPERTIES
  IMPORTED_LOCATION "${XXHASH_LIBRARY}" INTERFACE_INCLUDE_DIRECTORIES "${XXHASH_INCLUDE_DIR}")

# libcurl (libcurl4-openssl-dev): only remote/ links it, for reading headers over HTTP(S).
find_package(CURL REQUIRED)
