// `gguf-doctor check --no-forward` against `gguf-doctor stats` on the same ~1 GB model, warm page
// cache, in the same run (goal: check within 1.5x of stats: it reads the data once, like stats, and adds
// a hash, the block-scale scan and the rules). Also the library calls without the CLI's output.
//   bench_check [FILE]   (default: the qwen2.5-0.5b sample in F16, 988 MB, made in the build tree)
// Times are medians of 5 runs, stats and check alternating.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/rules/check.hpp"
#include "gguf/samples/generator.hpp"
#include "gguf/stats.hpp"

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

void shell(const std::string& command) {
    if (std::system(command.c_str()) != 0) {
        std::fprintf(stderr, "failed: %s\n", command.c_str());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path path = argc > 1 ? fs::path(argv[1]) : fs::path(GGUF_DOCTOR_BENCH_CACHE) / "qwen2.5-0.5b-f16.gguf";
    if (!fs::exists(path)) {
        std::printf("generating %s ...\n", path.c_str());
        auto config = gguf::samples::preset("qwen2.5-0.5b");
        if (!config || !gguf::samples::apply_mix(*config, "f16")) return 1;
        fs::create_directories(path.parent_path());
        if (auto written = gguf::samples::write_model(*config, path); !written) {
            std::fprintf(stderr, "%s\n", written.error().describe().c_str());
            return 1;
        }
    }
    const double size_mb = static_cast<double>(fs::file_size(path)) / 1e6;
    const std::string quoted = "'" + path.string() + "'";
    shell("cat " + quoted + " > /dev/null");  // warm the page cache

    const std::string exe = std::string("'") + GGUF_DOCTOR_EXE + "'";
    const double cat_time = median_seconds(3, [&] { shell("cat " + quoted + " > /dev/null"); });
    // stats and check alternate, so a change in the machine's load hits both alike. check exits 1 on
    // findings; a healthy sample has none, so any other status is a failure.
    std::vector<double> stats_times, check_times;
    for (int i = 0; i < 5; ++i) {
        stats_times.push_back(median_seconds(1, [&] { shell(exe + " stats " + quoted + " --json > /dev/null"); }));
        check_times.push_back(median_seconds(1, [&] { shell(exe + " check " + quoted + " --no-forward --json > /dev/null"); }));
    }
    std::sort(stats_times.begin(), stats_times.end());
    std::sort(check_times.begin(), check_times.end());
    const double stats_cli = stats_times[2], check_cli = check_times[2];

    auto model = gguf::open(path);
    if (!model) return 1;
    std::size_t findings = 0;
    std::vector<double> stats_lib_times, check_lib_times;
    for (int i = 0; i < 5; ++i) {
        stats_lib_times.push_back(median_seconds(1, [&] {
            for (const auto& t : model->tensors())
                if (!gguf::dequant::compute_stats(*model->view(t))) std::exit(1);
        }));
        check_lib_times.push_back(median_seconds(1, [&] { findings = gguf::rules::check(*model).findings.size(); }));
    }
    std::sort(stats_lib_times.begin(), stats_lib_times.end());
    std::sort(check_lib_times.begin(), check_lib_times.end());
    const double stats_lib = stats_lib_times[2], check_lib = check_lib_times[2];

    std::printf("file: %s (%.0f MB, %zu tensors)\n", path.c_str(), size_mb, model->tensors().size());
    std::printf("cat FILE > /dev/null                 %7.3f s  (%.2f GB/s)\n", cat_time, size_mb / 1e3 / cat_time);
    std::printf("gguf-doctor stats --json             %7.3f s\n", stats_cli);
    std::printf("gguf-doctor check --no-forward       %7.3f s   ratio to stats %.2fx\n", check_cli, check_cli / stats_cli);
    std::printf("library: compute_stats, all tensors  %7.3f s\n", stats_lib);
    std::printf("library: rules::check (%zu findings)  %7.3f s   ratio to compute_stats %.2fx\n", findings, check_lib,
                check_lib / stats_lib);
    std::printf("goal: check within 1.5x of stats\n");
    return 0;
}
