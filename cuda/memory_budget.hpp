// The device memory a pass may allocate (CudaOptions::memory_limit_bytes, or what the device has free),
// and what it has allocated so far. Every allocation of the pass asks here first, so a limit is a
// limit: the weights stream layer by layer rather than exceed it.
#pragma once

#include <cstdint>
#include <string>

#include "check.hpp"
#include "device_buffer.hpp"

namespace gguf::cuda {

class MemoryBudget {
public:
    explicit MemoryBudget(std::uint64_t limit) : limit_(limit) {}

    std::uint64_t limit() const { return limit_; }
    std::uint64_t used() const { return used_; }
    std::uint64_t left() const { return limit_ > used_ ? limit_ - used_ : 0; }
    bool fits(std::uint64_t bytes) const { return bytes <= left(); }

    // A buffer of `count` elements, charged to the budget (throws CudaFailure naming `what` when it
    // does not fit).
    template <class T>
    DeviceBuffer<T> allocate(std::uint64_t count, const std::string& what) {
        const std::uint64_t bytes = rounded(count * sizeof(T));
        if (!fits(bytes))
            fail(what + " needs " + std::to_string(bytes >> 20) + " MiB more than the " + std::to_string(limit_ >> 20) +
                     " MiB memory limit allows (" + std::to_string(used_ >> 20) + " MiB in use)",
                 "MemoryBudget::allocate", __FILE__, __LINE__);
        DeviceBuffer<T> buffer(count);
        used_ += bytes;
        return buffer;
    }

    // Returns a buffer's memory to the budget (call before the buffer is destroyed or replaced).
    template <class T>
    void release(DeviceBuffer<T>& buffer) {
        const std::uint64_t bytes = rounded(buffer.bytes());
        used_ = used_ > bytes ? used_ - bytes : 0;
        buffer = DeviceBuffer<T>();
    }

    // cudaMalloc hands out memory in 2 MiB-aligned pieces for large sizes; charging allocations rounded
    // up to 512 bytes keeps small ones honest without overstating large ones.
    static std::uint64_t rounded(std::uint64_t bytes) { return (bytes + 511) / 512 * 512; }

private:
    std::uint64_t limit_;
    std::uint64_t used_ = 0;
};

}  // namespace gguf::cuda
