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
#include <cstring>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/forward/cpu.hpp"
#include "gguf/quantize.hpp"
#include "gguf/writer.hpp"
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

double fastest(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "%s\n", message.c_str());
    std::exit(2);
}

// Writes the preset in the mix. Types gguf_samples cannot encode itself are encoded with gguf_dequant's
// quantizers from the same float weights (tensor by tensor: memory stays bounded).
void write_fixture(const Options& o, const fs::path& path) {
    auto config = gguf::samples::preset(o.preset);
    if (!config) fail(config.error().describe());
    gguf::samples::ModelConfig floats = *config;
    if (auto m = gguf::samples::apply_mix(*config, o.mix); !m) fail(m.error().describe());
    auto plan = gguf::samples::plan_tensors(*config);
    if (!plan) fail(plan.error().describe());
    if (std::all_of(plan->begin(), plan->end(), [](const auto& t) { return gguf::samples::can_encode(t.type); })) {
        if (auto w = gguf::samples::write_model(*config, path); !w) fail(w.error().describe());
        return;
    }
    (void)gguf::samples::apply_mix(floats, "f32");
    const fs::path float_path = path.string() + ".f32.tmp";
    if (auto w = gguf::samples::write_model(floats, float_path); !w) fail(w.error().describe());
    auto source = gguf::open(float_path);
    if (!source) fail(source.error().describe());
    gguf::Writer out;
    for (const auto& e : source->metadata()) out.set(e.key, e.value);
    out.set("general.file_type", gguf::Value::u32(config->file_type));
    for (std::size_t i = 0; i < source->tensors().size(); ++i) {
        const gguf::TensorInfo& t = source->tensors()[i];
        auto view = source->view(t);
        if (!view) fail(view.error().describe());
        std::vector<float> values(t.n_elements());
        std::memcpy(values.data(), view->bytes.data(), values.size() * sizeof(float));
        auto bytes = gguf::dequant::quantize((*plan)[i].type, values, t.ne[0]);
        if (!bytes) fail(t.name + ": " + bytes.error().describe());
        if (auto a = out.add_tensor({t.name, (*plan)[i].type, {t.ne.begin(), t.ne.begin() + t.n_dims}, std::move(*bytes)}); !a)
            fail(a.error().describe());
    }
    if (auto w = out.write(path); !w) fail(w.error().describe());
    fs::remove(float_path);
}

// The generated fixture, made once into the build's bench cache.
fs::path fixture(const Options& o) {
    if (!o.model.empty()) return o.model;
    const fs::path path = fs::path(GGUF_DOCTOR_BENCH_CACHE) / (o.preset + "-" + o.mix + ".gguf");
    if (fs::exists(path)) return path;
    fs::create_directories(path.parent_path());
    std::fprintf(stderr, "writing %s ...\n", path.c_str());
    write_fixture(o, path);
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
    std::vector<double> theirs;
    for (const auto& run : peer["runs_s"]) theirs.push_back(run.get<double>());

    std::printf("model: %s (%s)\n", model_path.filename().c_str(), o.model.empty() ? "generated" : "given");
    std::printf("prompt: %d tokens, %d threads, %d runs each after a warm-up\n", o.tokens, o.threads, o.repeats);
    const auto report = [](const char* name, const std::vector<double>& runs) {
        std::printf("%-28s median %.3f s, fastest %.3f s  (runs:", name, median(runs), fastest(runs));
        for (const double s : runs) std::printf(" %.3f", s);
        std::printf(")\n");
    };
    report("gguf-doctor CPU reference:", ours);
    report("llama.cpp (node-llama-cpp):", theirs);
    // On a shared machine the fastest run is the least disturbed one; both ratios are printed.
    std::printf("ratio gguf-doctor / llama.cpp: %.2fx (medians), %.2fx (fastest runs)\n", median(ours) / median(theirs),
                fastest(ours) / fastest(theirs));
    return 0;
}
