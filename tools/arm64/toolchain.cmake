# Cross-compiling gguf-doctor for 64-bit ARM Linux with Debian's toolchain (g++-aarch64-linux-gnu) and
# the arm64 builds of its libraries installed through multiarch (dpkg --add-architecture arm64; the
# packages tools/arm64/test.sh installs). Built programs run through qemu-user (CTest uses the emulator).
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=tools/arm64/toolchain.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Multiarch: the arm64 libraries live in /usr/lib/aarch64-linux-gnu beside the host's, and the
# architecture-independent headers (Eigen, doctest, nlohmann-json) in /usr/include.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# The programs run against the multiarch C library (libc6:arm64, found through /lib/ld-linux-aarch64.so.1),
# not the cross toolchain's copy in /usr/aarch64-linux-gnu: `-L /usr/aarch64-linux-gnu` took the dynamic
# loader from the cross package (glibc 2.36-8) and libc.so.6 from multiarch (2.36-9), and that mismatched
# pair hangs in pthread_create, so every test that starts a thread (OpenMP included) spun forever.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /)
# pkg-config (FindEXPAT asks it) must describe the arm64 libraries, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
