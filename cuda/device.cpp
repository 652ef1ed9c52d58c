#include "gguf/cuda/device.hpp"

#include <fmt/format.h>

#include "check.hpp"
#include "device_buffer.hpp"
#include "gguf/types.hpp"
#include "kernels/kernels.hpp"

namespace gguf::cuda {
namespace {

Error device_error(std::string message) { return Error{ErrorCode::invalid_argument, 0, std::move(message), ""}; }

}  // namespace

Result<DeviceInfo> probe_device(int index) {
    DeviceInfo info;
    info.index = index;
    cudaDriverGetVersion(&info.driver_version);
    cudaRuntimeGetVersion(&info.runtime_version);
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status == cudaErrorInsufficientDriver || status == cudaErrorNoDevice || info.driver_version == 0 || count == 0) {
        cudaGetLastError();  // clear the sticky error so later calls report their own
        if (info.driver_version == 0)
            return device_error("no CUDA driver is loaded (no NVIDIA GPU, or its driver is not installed)");
        if (status == cudaErrorInsufficientDriver)
            return device_error(fmt::format("the NVIDIA driver supports CUDA {}.{}, older than this build's runtime {}.{}",
                                            info.driver_version / 1000, info.driver_version % 1000 / 10,
                                            info.runtime_version / 1000, info.runtime_version % 1000 / 10));
        return device_error("no CUDA device found (the driver is loaded but sees no GPU)");
    }
    if (status != cudaSuccess) {
        cudaGetLastError();
        return device_error(std::string("CUDA cannot list devices: ") + cudaGetErrorString(status));
    }
    if (index < 0 || index >= count)
        return device_error(fmt::format("CUDA device {} does not exist ({} device{} found)", index, count, count == 1 ? "" : "s"));
    cudaDeviceProp props{};
    if (const cudaError_t e = cudaGetDeviceProperties(&props, index); e != cudaSuccess)
        return device_error(fmt::format("CUDA device {}: {}", index, cudaGetErrorString(e)));
    info.name = props.name;
    info.compute_major = props.major;
    info.compute_minor = props.minor;
    info.multiprocessors = props.multiProcessorCount;
    info.total_bytes = props.totalGlobalMem;
    if (const cudaError_t e = cudaSetDevice(index); e != cudaSuccess)
        return device_error(fmt::format("CUDA device {} ({}) cannot be used: {}", index, info.name, cudaGetErrorString(e)));
    std::size_t free_bytes = 0, total_bytes = 0;
    if (const cudaError_t e = cudaMemGetInfo(&free_bytes, &total_bytes); e != cudaSuccess)
        return device_error(fmt::format("CUDA device {} ({}) cannot be used: {}", index, info.name, cudaGetErrorString(e)));
    info.free_bytes = free_bytes;
    if (const cudaError_t e = kernel_image_status(); e != cudaSuccess) {
        cudaGetLastError();
        return device_error(fmt::format("CUDA device {} ({}, compute capability {}.{}) cannot run this build's kernels: {}",
                                        index, info.name, info.compute_major, info.compute_minor, cudaGetErrorString(e)));
    }
    return info;
}

bool is_supported(std::uint32_t type) { return can_dequantize(type); }

Result<std::vector<float>> dequantize(const TensorView& view, int index) {
    if (!view.info) return device_error("tensor view without tensor info");
    const TensorInfo& t = *view.info;
    if (!can_dequantize(t.type))
        return Error{ErrorCode::tensor_unreadable, t.file_offset,
                     "tensor '" + t.name + "': type " + type_label(t.type) + " has no GPU decoder (unsupported)", ""};
    const auto size = byte_size(t.type, t.n_elements());
    if (!size || *size != view.bytes.size())
        return Error{ErrorCode::tensor_unreadable, t.file_offset,
                     "tensor '" + t.name + "': data size does not match its shape and type", ""};
    auto device = probe_device(index);
    if (!device) return device.error();
    try {
        std::vector<std::byte> swapped;
        std::span<const std::byte> bytes = view.bytes;
        if (view.order != ByteOrder::little) {
            swapped.assign(bytes.begin(), bytes.end());
            if (!swap_block_fields(t.type, swapped))
                return Error{ErrorCode::tensor_unreadable, t.file_offset,
                             "tensor '" + t.name + "': no big-endian layout is defined for " + type_label(t.type), ""};
            bytes = swapped;
        }
        DeviceBuffer<std::byte> in(bytes.size());
        DeviceBuffer<float> out(t.n_elements());
        in.upload(bytes);
        cuda::dequantize(t.type, in.data(), t.n_elements(), out.data(), nullptr);
        std::vector<float> values(t.n_elements());
        GGUF_CUDA_CHECK(cudaMemcpy(values.data(), out.data(), out.bytes(), cudaMemcpyDeviceToHost));
        return values;
    } catch (const CudaFailure& failure) {
        return device_error("tensor '" + t.name + "': " + failure.what());
    }
}

}  // namespace gguf::cuda
