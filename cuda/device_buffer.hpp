// RAII owners of device memory and of page-locked host memory (the staging buffers of asynchronous
// copies). Move-only; sizes in elements of T.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "check.hpp"

namespace gguf::cuda {

template <class T>
class DeviceBuffer {
public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(std::size_t count) : count_(count) {
        if (count > 0) GGUF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)));
    }
    ~DeviceBuffer() { release(); }
    DeviceBuffer(DeviceBuffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
        if (this != &other) {
            release();
            data_ = std::exchange(other.data_, nullptr);
            count_ = std::exchange(other.count_, 0);
        }
        return *this;
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;

    T* data() const { return data_; }
    std::size_t size() const { return count_; }
    std::size_t bytes() const { return count_ * sizeof(T); }
    bool empty() const { return count_ == 0; }

    void upload(std::span<const T> host, cudaStream_t stream = nullptr, std::size_t offset = 0) {
        if (offset + host.size() > count_) fail("upload past the end of a device buffer", "upload", __FILE__, __LINE__);
        GGUF_CUDA_CHECK(cudaMemcpyAsync(data_ + offset, host.data(), host.size_bytes(), cudaMemcpyHostToDevice, stream));
    }

private:
    void release() noexcept {
        if (data_) cudaFree(data_);  // an error here (a lost context) has no one left to report to
        data_ = nullptr;
        count_ = 0;
    }

    T* data_ = nullptr;
    std::size_t count_ = 0;
};

// Page-locked host memory: copies from it run asynchronously at full PCIe speed.
class PinnedBuffer {
public:
    PinnedBuffer() = default;
    explicit PinnedBuffer(std::size_t bytes) : bytes_(bytes) {
        if (bytes > 0) GGUF_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&data_), bytes));
    }
    ~PinnedBuffer() {
        if (data_) cudaFreeHost(data_);
    }
    PinnedBuffer(PinnedBuffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
    PinnedBuffer& operator=(PinnedBuffer&& other) noexcept {
        if (this != &other) {
            if (data_) cudaFreeHost(data_);
            data_ = std::exchange(other.data_, nullptr);
            bytes_ = std::exchange(other.bytes_, 0);
        }
        return *this;
    }
    PinnedBuffer(const PinnedBuffer&) = delete;
    PinnedBuffer& operator=(const PinnedBuffer&) = delete;

    std::byte* data() const { return data_; }
    std::size_t bytes() const { return bytes_; }

private:
    std::byte* data_ = nullptr;
    std::size_t bytes_ = 0;
};

// A CUDA stream and an event, owned.
class Stream {
public:
    Stream() { GGUF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
    ~Stream() {
        if (stream_) cudaStreamDestroy(stream_);
    }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    cudaStream_t get() const { return stream_; }
    void synchronize() const { GGUF_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

private:
    cudaStream_t stream_ = nullptr;
};

class Event {
public:
    enum class Kind { ordering, timing };  // ordering events are cheaper; timing ones can be measured between
    explicit Event(Kind kind = Kind::ordering) {
        GGUF_CUDA_CHECK(cudaEventCreateWithFlags(&event_, kind == Kind::timing ? cudaEventDefault : cudaEventDisableTiming));
    }
    ~Event() {
        if (event_) cudaEventDestroy(event_);
    }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    cudaEvent_t get() const { return event_; }
    void record(cudaStream_t stream) { GGUF_CUDA_CHECK(cudaEventRecord(event_, stream)); }
    void wait_on(cudaStream_t stream) const { GGUF_CUDA_CHECK(cudaStreamWaitEvent(stream, event_, 0)); }
    void synchronize() const { GGUF_CUDA_CHECK(cudaEventSynchronize(event_)); }
    // Milliseconds of device time from `start` to this event; both timing events, both completed.
    float ms_since(const Event& start) const {
        float ms = 0;
        GGUF_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, event_));
        return ms;
    }

private:
    cudaEvent_t event_ = nullptr;
};

}  // namespace gguf::cuda
