// What the GPU tests share: the skip when no GPU can be used.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "gguf/cuda/device.hpp"

namespace gguf::test {

// Called first in every GPU test case: without a usable device the program exits with 77, which CTest
// reports as skipped, after saying why. (Not at static initialization: the CUDA runtime registers the
// library's kernels then too, in an unspecified order, and the probe launches one of them.)
inline void require_gpu() {
    static const bool usable = [] {
        auto device = cuda::probe_device(0);
        if (!device) std::printf("SKIPPED: no usable CUDA device: %s\n", device.error().message.c_str());
        return device.ok();
    }();
    if (!usable) {
        std::fflush(stdout);
        std::_Exit(77);
    }
}

}  // namespace gguf::test
