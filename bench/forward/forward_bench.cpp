// The CPU reference forward pass against llama.cpp (node-llama-cpp, CPU) in the same run: one prompt of
// N token ids evaluated from position 0, median of R runs after a warm-up, both with the same threads.
//
//   bench_forward [--preset qwen2.5-0.5b] [--mix q8_0] [--tokens 32] [--threads 2] [--repeats 5]
//                 [--model FILE]   (an existing model instead of the generated one)
//
// Ours decodes every weight panel on every run (no decoded weights kept: the cost of a first call) and
// computes the logits of all N positions; llama.cpp computes the last position's only.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/forward/cpu.hpp"
#include "gguf/samples/generator.hpp"

namespace fs = std::filesystem;

namespace {

struct Options {
    std::string preset = "qwen2.5-0.5b", mix = "q8_0", model;
    int tokens = 32, threads = 2, repeats = 5;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i], value = argv[i + 1];
        if (key == "--preset") o.preset = value;
        else if (key == "--mix") o.mix = value;
        else if (key == "--model") o.model = value;
        else if (key == "--tokens") o.tokens = std::stoi(value);
        else if (key == "--threads") o.threads = std::stoi(value);
        else if (key == "--repeats") o.repeats = std::stoi(value);
        else {
            std::fprintf(stderr, "unknown option %s\n", key.c_str());
            std::exit(3);
        }
    }
    return o;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// The generated fixture, made once into the build's bench cache.
fs::path fixture(const Options& o) {
    if (!o.model.empty()) return o.model;
    const fs::path path = fs::path(GGUF_DOCTOR_BENCH_CACHE) / (o.preset + "-" + o.mix + ".gguf");
    if (fs::exists(path)) return path;
    fs::create_directories(path.parent_path());
    auto config = gguf::samples::preset(o.preset);
    if (!config || !gguf::samples::apply_mix(*config, o.mix)) {
        std::fprintf(stderr, "unknown preset or mix\n");
        std::exit(3);
    }
    std::fprintf(stderr, "writing %s ...\n", path.c_str());
    if (auto w = gguf::samples::write_model(*config, path); !w) {
        std::fprintf(stderr, "%s\n", w.error().describe().c_str());
        std::exit(2);
    }
    return path;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    const fs::path model_path = fixture(o);
    auto model = gguf::open(model_path);
    if (!model) {
        std::fprintf(stderr, "%s\n", model.error().describe().c_str());
        return 2;
    }
    const std::uint64_t n_vocab = model->find_tensor("token_embd.weight")->ne[1];
    std::vector<std::int32_t> ids;
    for (int i = 0; i < o.tokens; ++i) ids.push_back(static_cast<std::int32_t>((i * 7919 + 13) % (n_vocab / 2)));

    // Ours.
    gguf::forward::CpuOptions cpu;
    cpu.threads = o.threads;
    cpu.keep_decoded_bytes = 0;
    auto pass = gguf::forward::make_cpu_forward(*model, cpu);
    if (!pass) {
        std::fprintf(stderr, "%s\n", pass.error().describe().c_str());
        return 2;
    }
    std::vector<double> ours;
    for (int r = 0; r <= o.repeats; ++r) {
        (*pass)->reset();
        const auto start = std::chrono::steady_clock::now();
        auto logits = (*pass)->evaluate(ids);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!logits) {
            std::fprintf(stderr, "%s\n", logits.error().describe().c_str());
            return 2;
        }
        if (r > 0) ours.push_back(s);  // run 0 warms the page cache
    }

    // llama.cpp, through node-llama-cpp.
    const fs::path ids_file = fs::temp_directory_path() / ("gguf-doctor-bench-ids-" + std::to_string(::getpid()) + ".json");
    std::ofstream(ids_file) << nlohmann::json(ids).dump();
    const std::string command = std::string("'") + GGUF_DOCTOR_NODE + "' '" + GGUF_DOCTOR_BENCH_SCRIPT + "' '" +
                                model_path.string() + "' '" + ids_file.string() + "' " + std::to_string(o.threads) + " " +
                                std::to_string(o.repeats);
    std::string output;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
        ::pclose(pipe);
    }
    fs::remove(ids_file);
    const auto peer = nlohmann::json::parse(output, nullptr, false);
    if (peer.is_discarded() || !peer.contains("median_s")) {
        std::fprintf(stderr, "llama.cpp run failed: %s\n", output.c_str());
        return 2;
    }
    const double theirs = peer["median_s"].get<double>();

    std::printf("model: %s (%s)\n", model_path.filename().c_str(), o.model.empty() ? "generated" : "given");
    std::printf("prompt: %d tokens, %d threads, median of %d runs\n", o.tokens, o.threads, o.repeats);
    std::printf("gguf-doctor CPU reference: %.3f s  (runs:", median(ours));
    for (const double s : ours) std::printf(" %.3f", s);
    std::printf(")\nllama.cpp (node-llama-cpp): %.3f s  (runs:", theirs);
    for (const auto& s : peer["runs_s"]) std::printf(" %.3f", s.get<double>());
    std::printf(")\nratio gguf-doctor / llama.cpp: %.2fx\n", median(ours) / theirs);
    return 0;
}
