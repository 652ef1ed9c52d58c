// What the GPU tests share: the skip when no GPU can be used, and device buffers for kernel tests.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "gguf/cuda/device.hpp"

namespace gguf::test {

// Constructed once per test program (a namespace-scope object): without a usable device the program
// exits with 77, which CTest reports as skipped, after saying why.
struct GpuRequired {
    GpuRequired() {
        auto device = cuda::probe_device(0);
        if (!device) {
            std::printf("SKIPPED: no usable CUDA device: %s\n", device.error().message.c_str());
            std::exit(77);
        }
    }
};

}  // namespace gguf::test
