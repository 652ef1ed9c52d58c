// `info` on a Qwen2.5-0.5B-shaped file, against ggml's gguf_init_from_file(no_alloc=true) in the same run.
//   libgguf_info_bench [--runs N] [--file GGUF]
// Measures (1) header parsing in this process: gguf::open vs gguf_init_from_file, and (2) whole
// processes (measured first, while this process is small): `gguf-doctor info FILE` (text and --json) vs a process that only calls gguf_init_from_file,
// with wall time and peak RSS from wait4. Prints medians, ratios, and the verdict against the targets
// (info under 20 ms wall and 50 MB RSS).
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "qwen_shaped_fixture.hpp"
#include "reference/ggml_reference.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

struct ProcessStats {
    double wall_ms = 0;    // median
    double max_rss_mb = 0;  // largest peak RSS over the runs
    bool ok = true;
};

// Runs `argv` `runs` times (after one warm-up run) with stdout to /dev/null; wall time per run, peak
// RSS from wait4.
ProcessStats measure_process(const std::vector<std::string>& argv, int runs) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    ProcessStats s;
    std::vector<double> walls;
    for (int r = -1; r < runs; ++r) {  // run -1 warms the page cache and is not counted
        const auto t0 = Clock::now();
        pid_t pid = 0;
        if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
            s.ok = false;
            break;
        }
        int status = 0;
        rusage usage{};
        wait4(pid, &status, 0, &usage);
        if (r >= 0) walls.push_back(ms_since(t0));
        s.max_rss_mb = std::max(s.max_rss_mb, static_cast<double>(usage.ru_maxrss) / 1024.0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) s.ok = false;
    }
    posix_spawn_file_actions_destroy(&actions);
    s.wall_ms = median(walls);
    return s;
}

int ggml_peer(const char* file) {
    gguf_context* ctx = gguf_init_from_file(file, gguf_init_params{true, nullptr});
    if (!ctx) return 1;
    const int64_t n = gguf_get_n_tensors(ctx);
    gguf_free(ctx);
    return n >= 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "--ggml-peer") == 0) return ggml_peer(argv[2]);
    if (argc == 2 && std::strcmp(argv[1], "--prepare") == 0) {
        std::puts(gguf::bench::qwen_shaped_file(GGUF_DOCTOR_BENCH_CACHE, GGUF_DOCTOR_QWEN2_VOCAB).c_str());
        return 0;
    }
    int runs = 30;
    std::string file;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::atoi(argv[i + 1]));
        else if (std::strcmp(argv[i], "--file") == 0) file = argv[i + 1];
    }
    // Linux carries a process's peak RSS across the exec of a child spawned with a shared address
    // space, so this process stays small until the processes are measured: the file is made by a
    // child process, and nothing is parsed here before (2).
    if (file.empty()) {
        file = gguf::bench::qwen_shaped_path(GGUF_DOCTOR_BENCH_CACHE).string();
        std::fprintf(stderr, "preparing %s (once) ...\n", file.c_str());
        if (!measure_process({argv[0], "--prepare"}, 1).ok) return 2;
    }
    ggml_log_set([](int, const char*, void*) {}, nullptr);

    // (2) Whole processes.
    const ProcessStats text = measure_process({GGUF_DOCTOR_EXE, "info", file}, runs);
    const ProcessStats json = measure_process({GGUF_DOCTOR_EXE, "info", "--json", file}, runs);
    const ProcessStats peer = measure_process({argv[0], "--ggml-peer", file}, runs);
    if (!text.ok || !json.ok || !peer.ok) {
        std::fprintf(stderr, "a measured process failed\n");
        return 2;
    }

    auto model = gguf::open(file);
    if (!model) {
        std::fprintf(stderr, "%s\n", model.error().describe().c_str());
        return 2;
    }
    std::printf("file: %s\n  %zu tensors, %zu keys, %llu-token vocabulary, header %llu bytes, file %llu bytes\n",
                file.c_str(), model->tensors().size(), model->metadata().size(),
                static_cast<unsigned long long>(model->find("tokenizer.ggml.tokens")
                                                    ? model->find("tokenizer.ggml.tokens")->size()
                                                    : 0),
                static_cast<unsigned long long>(model->shards()[0].header_bytes),
                static_cast<unsigned long long>(model->shards()[0].file_size));

    // (1) In this process, page cache warm: parsing the header.
    std::vector<double> ours, theirs;
    for (int r = 0; r < runs + 1; ++r) {
        auto t0 = Clock::now();
        {
            auto m = gguf::open(file);
            if (!m || m->tensors().empty()) return 2;
        }
        const double a = ms_since(t0);
        t0 = Clock::now();
        gguf_context* ctx = gguf_init_from_file(file.c_str(), gguf_init_params{true, nullptr});
        if (!ctx) return 2;
        gguf_free(ctx);
        const double b = ms_since(t0);
        if (r > 0) {  // the first round warms the page cache
            ours.push_back(a);
            theirs.push_back(b);
        }
    }
    const double open_ms = median(ours), ggml_ms = median(theirs);
    std::printf("\nheader parse in-process (median of %d):\n", runs);
    std::printf("  gguf::open                        %8.3f ms\n", open_ms);
    std::printf("  ggml gguf_init_from_file(no_alloc) %8.3f ms\n", ggml_ms);
    std::printf("  ratio ggml / libgguf              %8.1fx\n", ggml_ms / open_ms);

    std::printf("\nwhole process (median wall of %d, largest peak RSS):\n", runs);
    std::printf("  gguf-doctor info                  %8.3f ms  %6.1f MB\n", text.wall_ms, text.max_rss_mb);
    std::printf("  gguf-doctor info --json           %8.3f ms  %6.1f MB\n", json.wall_ms, json.max_rss_mb);
    std::printf("  process: gguf_init_from_file only %8.3f ms  %6.1f MB\n", peer.wall_ms, peer.max_rss_mb);
    std::printf("  ratio ggml process / info         %8.1fx\n", peer.wall_ms / text.wall_ms);

    const bool pass = text.wall_ms < 20.0 && json.wall_ms < 20.0 && text.max_rss_mb < 50.0 && json.max_rss_mb < 50.0 &&
                      open_ms < ggml_ms;
    std::printf("\ntargets: info < 20 ms wall, < 50 MB RSS, faster than ggml: %s\n", pass ? "met" : "NOT met");
    return pass ? 0 : 1;
}
