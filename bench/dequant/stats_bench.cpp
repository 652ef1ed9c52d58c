// `stats` over a whole ~1 GB Q8_0 file with all threads, against reading the file once with
// `cat FILE > /dev/null`, both from a warm page cache, in the same run (goal: within 1.5x).
//   bench_stats [FILE]   (default: a generated file in the build tree's bench-cache; made if missing)
// Times: the median of 5 runs each of cat, of open + compute_stats on every tensor (the library, all
// threads), and of the gguf-doctor stats --json command when the binary is there; and the median of 3
// single-thread library runs, for the cost per value.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/stats.hpp"
#include "gguf/writer.hpp"

namespace fs = std::filesystem;

namespace {

double median_seconds(int runs, const std::function<void()>& work) {
    std::vector<double> times;
    for (int i = 0; i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        work();
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

// 16 tensors of 4096 x 14336 Q8_0 (an 8B model's FFN matrices): 998 MB of weight-like blocks.
bool generate(const fs::path& path) {
    constexpr std::uint64_t row = 4096, rows = 14336, n_tensors = 16;
    gguf::Writer w;
    w.set("general.architecture", gguf::Value::string("bench"));
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (std::uint64_t t = 0; t < n_tensors; ++t) {
        std::vector<std::byte> data(row * rows / 32 * 34);
        for (std::size_t b = 0; b < data.size(); b += 34) {
            const std::uint16_t d = gguf::fp32_to_fp16(1e-3f * (1.0f + static_cast<float>(next() & 0xFF) / 256.0f));
            std::memcpy(data.data() + b, &d, 2);
            for (int i = 0; i < 32; i += 8) {
                std::uint64_t r = next(), s = next(), u = next();
                for (int k = 0; k < 8; ++k, r >>= 8, s >>= 8, u >>= 8)  // sum of three uniforms: roughly normal
                    data[b + 2 + i + k] = static_cast<std::byte>(static_cast<int>((r & 63) + (s & 63) + (u & 63)) - 94);
            }
        }
        if (!w.add_tensor({"blk." + std::to_string(t) + ".ffn_up.weight", 8, {row, rows}, std::move(data)}).ok()) return false;
    }
    fs::create_directories(path.parent_path());
    return w.write(path).ok();
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path path = argc > 1 ? fs::path(argv[1]) : fs::path(GGUF_DOCTOR_BENCH_CACHE) / "q8_0-1g.gguf";
    if (!fs::exists(path)) {
        std::printf("generating %s ...\n", path.c_str());
        if (!generate(path)) {
            std::fprintf(stderr, "cannot write %s\n", path.c_str());
            return 1;
        }
    }
    const double size_mb = static_cast<double>(fs::file_size(path)) / 1e6;
    const std::string cat = "cat '" + path.string() + "' > /dev/null";
    if (std::system(cat.c_str()) != 0) return 1;  // warm the page cache

    std::uint64_t values = 0;
    const double library = median_seconds(5, [&] {
        auto model = gguf::open(path);
        if (!model) std::exit(1);
        values = 0;
        for (const auto& t : model->tensors()) {
            auto s = gguf::dequant::compute_stats(*model->view(t));
            values += s->count;
        }
    });
    // One thread, for the per-core cost (the work is compute-bound where cores are few).
    const double one_thread = median_seconds(3, [&] {
        auto model = gguf::open(path);
        if (!model) std::exit(1);
        gguf::dequant::StatsOptions o;
        o.threads = 1;
        for (const auto& t : model->tensors()) (void)gguf::dequant::compute_stats(*model->view(t), o);
    });
    const double cat_time = median_seconds(5, [&] {
        if (std::system(cat.c_str()) != 0) std::exit(1);
    });
    std::printf("file: %s (%.0f MB, %.2e values), %d threads\n", path.c_str(), size_mb, static_cast<double>(values),
                omp_get_max_threads());
    std::printf("cat FILE > /dev/null      %7.3f s  (%.2f GB/s)\n", cat_time, size_mb / 1e3 / cat_time);
    std::printf("open + compute_stats      %7.3f s  (%.2f GB/s)   ratio %.2fx\n", library, size_mb / 1e3 / library,
                library / cat_time);
    std::printf("compute_stats, 1 thread    %7.3f s  (%.2f ns per value)\n", one_thread,
                one_thread / static_cast<double>(values) * 1e9);
    const fs::path exe = GGUF_DOCTOR_EXE;
    if (fs::exists(exe)) {
        const std::string cli = "'" + exe.string() + "' stats '" + path.string() + "' --json > /dev/null";
        const double cli_time = median_seconds(5, [&] {
            if (std::system(cli.c_str()) != 0) std::exit(1);
        });
        std::printf("gguf-doctor stats --json  %7.3f s  (%.2f GB/s)   ratio %.2fx\n", cli_time, size_mb / 1e3 / cli_time,
                    cli_time / cat_time);
    }
    std::printf("goal: ratio <= 1.5\n");
    return 0;
}
