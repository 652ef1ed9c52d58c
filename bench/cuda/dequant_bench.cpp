// GPU dequantization throughput per type, as a fraction of the device's measured copy bandwidth, in
// the same run: a 1 GiB device-to-device cudaMemcpy (bytes read + written) is the peer. The dequant
// kernel moves its input blocks plus 4 bytes per output value. Also the fused dequantize-and-multiply
// of one token (generation), which moves the weight bytes once.
//
//   bench_cuda_dequant [--values N] [--repeats R]
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../../cuda/device_buffer.hpp"
#include "../../cuda/kernels/kernels.hpp"
#include "gguf/cuda/device.hpp"
#include "gguf/dequant.hpp"
#include "gguf/quantize.hpp"
#include "gguf/types.hpp"

using namespace gguf;

namespace {

// Median time of `repeats` runs of `work` after two warm-ups, in ms, with CUDA events.
template <class F>
double time_ms(int repeats, F&& work) {
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    for (int i = 0; i < 2; ++i) work();
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
        cudaEventRecord(start);
        work();
        cudaEventRecord(stop);
        cudaEventSynchronize(stop);
        float t = 0;
        cudaEventElapsedTime(&t, start, stop);
        ms.push_back(t);
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    GGUF_CUDA_CHECK(cudaGetLastError());
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

// `n_bytes` of realistic blocks of `type`: a few MB quantized from normal floats, repeated.
std::vector<std::byte> blocks_of(std::uint32_t type, std::uint64_t n_values) {
    const TypeInfo& ti = *find_type(type);
    const std::uint64_t sample_values = std::min<std::uint64_t>(n_values, std::uint64_t{1} << 22);
    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    std::vector<float> floats(sample_values);
    for (auto& f : floats) f = dist(rng);
    std::vector<std::byte> sample;
    if (dequant::can_quantize(type)) {
        sample = std::move(dequant::quantize(type, floats, ti.block_size == 1 ? 1024 : 4096).value());
    } else {  // F64 and integers: small whole numbers
        sample.resize(*byte_size(type, sample_values));
        for (std::uint64_t i = 0; i < sample_values; ++i) {
            const auto v = static_cast<std::int64_t>(rng() % 7) - 3;
            const double d = static_cast<double>(v);
            switch (ti.id) {
                case TypeId::F64: std::memcpy(sample.data() + 8 * i, &d, 8); break;
                default: std::memcpy(sample.data() + i * ti.type_size, &v, ti.type_size); break;  // little-endian truncation
            }
        }
    }
    std::vector<std::byte> all(*byte_size(type, n_values));
    for (std::uint64_t at = 0; at < all.size(); at += sample.size())
        std::memcpy(all.data() + at, sample.data(), std::min<std::uint64_t>(sample.size(), all.size() - at));
    return all;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t n_values = std::uint64_t{1} << 28;  // 1 GiB of float32 output
    int repeats = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key == "--values") n_values = std::stoull(argv[i + 1]);
        else if (key == "--repeats") repeats = std::stoi(argv[i + 1]);
    }
    auto device = cuda::probe_device(0);
    if (!device) {
        std::fprintf(stderr, "no GPU: %s\n", device.error().message.c_str());
        return 77;
    }
    std::printf("device: %s, %d SMs\n", device->name.c_str(), device->multiprocessors);

    // The peer: a device-to-device copy of the output's size.
    cuda::DeviceBuffer<float> out(n_values), copy_src(n_values);
    GGUF_CUDA_CHECK(cudaMemset(copy_src.data(), 0x3C, copy_src.bytes()));
    const double copy_ms = time_ms(repeats, [&] {
        cudaMemcpyAsync(out.data(), copy_src.data(), out.bytes(), cudaMemcpyDeviceToDevice);
    });
    const double copy_gbs = 2.0 * static_cast<double>(out.bytes()) / (copy_ms * 1e6);
    std::printf("device-to-device copy: %.3f ms for %.0f MiB, %.0f GB/s (read + write)\n\n", copy_ms,
                static_cast<double>(out.bytes()) / (1 << 20), copy_gbs);
    copy_src = {};

    // Fused product: [16384][8192] weights, one token.
    const std::uint64_t mv_out = 16384, mv_in = 8192;
    cuda::DeviceBuffer<float> x(mv_in), y(mv_out);
    GGUF_CUDA_CHECK(cudaMemset(x.data(), 0, x.bytes()));

    std::printf("| type | bytes/value | dequant ms | dequant GB/s | of copy | matvec GB/s | of copy |\n");
    std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (const TypeInfo& ti : all_types()) {
        const auto type = static_cast<std::uint32_t>(ti.id);
        if (!dequant::is_supported(type)) continue;
        const auto host = blocks_of(type, n_values);
        cuda::DeviceBuffer<std::byte> in(host.size());
        in.upload(host);
        GGUF_CUDA_CHECK(cudaDeviceSynchronize());
        const double ms = time_ms(repeats, [&] { cuda::dequantize(type, in.data(), n_values, out.data(), nullptr); });
        const double moved = static_cast<double>(host.size() + out.bytes());
        const double gbs = moved / (ms * 1e6);

        double mv_gbs = 0;
        if (cuda::matvec_supported(type, mv_in) && host.size() >= *byte_size(type, mv_in * mv_out)) {
            const double mv_ms = time_ms(repeats, [&] { cuda::matvec(type, in.data(), mv_in, mv_out, x.data(), 1, y.data(), nullptr); });
            mv_gbs = static_cast<double>(*byte_size(type, mv_in * mv_out)) / (mv_ms * 1e6);
        }
        std::printf("| %s | %.4f | %.3f | %.0f | %.0f%% | %.0f | %.0f%% |\n", std::string(ti.name).c_str(),
                    static_cast<double>(host.size()) / static_cast<double>(n_values), ms, gbs, 100.0 * gbs / copy_gbs,
                    mv_gbs, 100.0 * mv_gbs / copy_gbs);
    }
    return 0;
}
