// `fit` against the sizes llama.cpp logs when it loads a model and creates a context (CPU, its
// defaults otherwise): the weights (model buffers) and the KV cache within 1%, the compute buffers
// within 15%, for the tiny presets at several contexts, ubatch sizes and KV cache types.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "gguf/deploy/fit.hpp"
#include "gguf/samples/generator.hpp"
#include "reference/llama_context_probe.hpp"
#include "rules/fixture.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
namespace fs = std::filesystem;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// llama.cpp's lines about buffers and attention, for failure messages.
std::string sizes_in(const std::string& log) {
    std::string out;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);)
        if (line.find("buffer size") != std::string::npos || line.find("flash_attn") != std::string::npos ||
            line.find("kv_cache") != std::string::npos || line.find("graph") != std::string::npos)
            out += "    " + line + "\n";
    return out;
}

double relative(double ours, double theirs) { return theirs == 0 ? (ours == 0 ? 0 : 1) : std::abs(ours - theirs) / theirs; }

// A model of a shaped preset's real sizes (hidden size, heads, FFN, vocabulary) with `n_layer` layers and
// all-zero weights, written fast: the metadata of the tiny preset of the same architecture with its
// sizes replaced and its vocabulary padded, the tensors planned by the generator, their bytes one shared
// zero buffer. llama.cpp loads such a file like any other; its sizes do not depend on the values.
fs::path shaped_model(std::string_view preset, std::string_view tiny_preset, std::uint32_t n_layer, std::string_view mix,
                      const fs::path& path) {
    auto config = samples::preset(preset);
    REQUIRE(config.ok());
    config->n_layer = n_layer;
    REQUIRE(samples::apply_mix(*config, mix).ok());
    const Writer tiny = test::build(test::config(tiny_preset, 2));
    const std::string arch(samples::architecture_name(config->architecture));
    Writer w;
    for (const auto& [k, v] : tiny.metadata()) w.set(k, v);
    const auto set_u32 = [&](const std::string& key, std::uint64_t v) {
        if (w.find(arch + "." + key)) w.set(arch + "." + key, Value::u32(static_cast<std::uint32_t>(v)));
    };
    set_u32("block_count", config->n_layer);
    set_u32("context_length", config->n_ctx);
    set_u32("embedding_length", config->n_embd);
    set_u32("feed_forward_length", config->n_ff);
    set_u32("attention.head_count", config->n_head);
    set_u32("attention.head_count_kv", config->n_head_kv);
    set_u32("attention.key_length", config->head_dim);
    set_u32("attention.value_length", config->head_dim);
    set_u32("rope.dimension_count", config->head_dim);
    set_u32("vocab_size", config->n_vocab);
    w.set("general.file_type", Value::u32(config->file_type));
    std::vector<std::string> tokens;
    const Value* tiny_tokens = w.find("tokenizer.ggml.tokens");
    for (std::uint64_t i = 0; i < tiny_tokens->size(); ++i) tokens.emplace_back(tiny_tokens->string_at(i));
    std::vector<std::int32_t> types;
    const Value* tiny_types = w.find("tokenizer.ggml.token_type");
    for (std::uint64_t i = 0; i < tiny_types->size(); ++i) types.push_back(static_cast<std::int32_t>(tiny_types->integer_at(i)));
    while (tokens.size() < config->n_vocab) {
        tokens.push_back("[PAD" + std::to_string(tokens.size()) + "]");
        types.push_back(5);  // unused
    }
    w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    w.set("tokenizer.ggml.token_type", Value::array<std::int32_t>(ValueType::int32, types));
    if (w.find("tokenizer.ggml.scores")) {
        std::vector<float> scores(tokens.size(), 0.f);
        w.set("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, scores));
    }
    auto plan = samples::plan_tensors(*config);
    REQUIRE(plan.ok());
    std::uint64_t largest = 0;
    for (const auto& t : *plan) {
        std::uint64_t n = 1;
        for (auto d : t.ne) n *= d;
        largest = std::max<std::uint64_t>(largest, *byte_size(t.type, n));
    }
    static std::vector<std::byte> zeros;
    zeros.assign(largest, std::byte{0});
    for (const auto& t : *plan) {
        std::uint64_t n = 1;
        for (auto d : t.ne) n *= d;
        WriterTensor wt{t.name, t.type, t.ne, {}, std::span<const std::byte>(zeros.data(), *byte_size(t.type, n))};
        REQUIRE(w.add_tensor(std::move(wt)).ok());
    }
    REQUIRE(w.write(path).ok());
    return path;
}

struct Setting {
    std::uint32_t n_ctx, n_ubatch, kv_type;
    bool swa_full = false;
};

}  // namespace

struct Agreement {
    std::string table = "\n| model | n_ctx | ubatch | KV type | weights ours/llama (MiB) | KV ours/llama (MiB) | recurrent state ours/llama (MiB) | compute ours/llama (MiB) | llama's CPU_REPACK (MiB) |"
                        "\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |";
    double worst_weights = 0, worst_kv = 0, worst_rs = 0, worst_compute = 0;
    int n = 0;

    void compare(const std::string& label, const fs::path& path, const Setting& s, const fs::path& dir,
                 double compute_tolerance = 0.15) {
        auto model = open(path);
        REQUIRE(model.ok());
        reference::ContextSettings cs{s.n_ctx, 2048, s.n_ubatch, static_cast<std::int32_t>(s.kv_type), s.swa_full};
        const auto logged = reference::llama_context_sizes(path, cs, dir / fmt::format("ctx{}.log", n++));
        REQUIRE_MESSAGE(logged.created, logged.log);
        deploy::FitOptions o;
        o.n_ctx = s.n_ctx;
        o.n_ubatch = s.n_ubatch;
        o.kv_type = s.kv_type;
        o.swa_full = s.swa_full;
        auto fit = deploy::plan_fit(*model, o);
        REQUIRE_MESSAGE(fit.ok(), fit.error().describe());
        const double w = fit->weights / kMiB, kv = fit->kv_cache / kMiB, rs = fit->recurrent_state / kMiB,
                     c = fit->compute / kMiB;
        worst_weights = std::max(worst_weights, relative(w, logged.model_mib));
        worst_kv = std::max(worst_kv, relative(kv, logged.kv_mib));
        worst_rs = std::max(worst_rs, relative(rs, logged.rs_mib));
        worst_compute = std::max(worst_compute, relative(c, logged.compute_mib));
        table += fmt::format("\n| {} | {} | {} | {} | {:.2f} / {:.2f} | {:.2f} / {:.2f} | {:.2f} / {:.2f} | {:.2f} / {:.2f} | {:.2f} |",
                             label, s.n_ctx, s.n_ubatch, std::string(find_type(s.kv_type)->name) + (s.swa_full ? ", SWA full" : ""), w, logged.model_mib, kv, logged.kv_mib,
                             rs, logged.rs_mib, c, logged.compute_mib, logged.repack_mib);
        CHECK_MESSAGE(relative(w, logged.model_mib) <= 0.01, label << ": weights " << w << " MiB, llama.cpp " << logged.model_mib);
        // llama.cpp logs each cache to two decimals of a MiB (an iSWA model has two): within 1% or that rounding.
        CHECK_MESSAGE((relative(kv, logged.kv_mib) <= 0.01 || std::abs(kv - logged.kv_mib) <= 0.01),
                      label << " ctx " << s.n_ctx << ": KV " << kv << " MiB, llama.cpp " << logged.kv_mib);
        // The state is logged to two decimals of a MiB: a tiny model's state is compared to that precision.
        CHECK_MESSAGE((relative(rs, logged.rs_mib) <= 0.01 || std::abs(rs - logged.rs_mib) <= 0.005),
                      label << ": recurrent state " << rs << " MiB, llama.cpp " << logged.rs_mib);
        CHECK_MESSAGE(relative(c, logged.compute_mib) <= compute_tolerance, label << " ctx " << s.n_ctx << " ubatch " << s.n_ubatch << ": compute " << c
                                                                       << " MiB, llama.cpp " << logged.compute_mib << "\n" << sizes_in(logged.log));
    }
    std::string summary() const {
        return fmt::format("worst relative difference: weights {:.2f}%, KV {:.2f}%, recurrent state {:.2f}%, compute {:.1f}%",
                           100 * worst_weights, 100 * worst_kv, 100 * worst_rs, 100 * worst_compute) + table;
    }
};

TEST_CASE("shaped presets: fit agrees with llama.cpp at the real sizes of tinyllama-1.1b, qwen2.5-0.5b, qwen3-0.6b") {
    test::TempDir dir;
    Agreement a;
    const std::pair<std::string_view, std::string_view> presets[] = {
        {"tinyllama-1.1b", "tiny-llama"}, {"qwen2.5-0.5b", "tiny-qwen2"}, {"qwen3-0.6b", "tiny-qwen3"}};
    for (const auto& [preset, tiny] : presets) {
        const fs::path path = shaped_model(preset, tiny, 4, "q4_0", dir / (std::string(preset) + ".gguf"));
        for (const Setting s : {Setting{2048, 512, 1}, Setting{8192, 512, 8}, Setting{32768, 256, 2}})
            a.compare(std::string(preset) + " (4 layers) q4_0", path, s, dir.path());
        fs::remove(path);
    }
    MESSAGE(a.summary());
}

TEST_CASE("tiny presets: fit agrees with llama.cpp at several contexts, ubatch sizes and KV cache types") {
    test::TempDir dir;
    Agreement a;
    for (std::string_view preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"})
        for (std::string_view mix : {"f32", "q8_0", "q4_k_m"}) {
            auto config = test::config(preset, 8);
            REQUIRE(samples::apply_mix(config, mix).ok());
            const fs::path path = dir / (std::string(preset) + "-" + std::string(mix) + ".gguf");
            REQUIRE(samples::write_model(config, path).ok());
            for (const Setting s : {Setting{512, 512, 1}, Setting{4096, 512, 1}, Setting{8192, 256, 8}, Setting{4096, 128, 2},
                                    Setting{16384, 512, 0}})
                a.compare(std::string(preset) + " (8 layers) " + std::string(mix), path, s, dir.path());
        }
    MESSAGE(a.summary());
}

namespace {

// Where the compute estimate is known to miss llama.cpp's buffer by more than 15% (docs/deploy.md, measured
// agreement): qwen3moe's routed experts keep about one more [n_embd, n_expert_used, ubatch] tensor alive in
// llama.cpp's graph than the estimate counts (-16%); with --swa-full the estimate keeps both full-size
// attention masks alive through every layer, which gpt-oss's graph does not (+19%).
double compute_tolerance(std::string_view preset, const Setting& s) {
    return preset == "tiny-qwen3moe" || s.swa_full ? 0.20 : 0.15;
}

}  // namespace

TEST_CASE("every modelled architecture: fit agrees with llama.cpp on its tiny preset (sliding windows, shared KV, recurrent state, MoE)") {
    test::TempDir dir;
    Agreement a;
    for (std::string_view preset : {"tiny-qwen35", "tiny-qwen35moe", "tiny-gemma2", "tiny-gemma3", "tiny-gemma4", "tiny-qwen3moe",
                                    "tiny-qwen2moe", "tiny-gpt-oss", "tiny-phi3", "tiny-mistral3", "tiny-olmo2", "tiny-granite"})
        for (std::string_view mix : {"f32", "q8_0"}) {
            auto config = samples::preset(preset);
            REQUIRE(config.ok());
            REQUIRE(samples::apply_mix(*config, mix).ok());
            const fs::path path = dir / (std::string(preset) + "-" + std::string(mix) + ".gguf");
            REQUIRE(samples::write_model(*config, path).ok());
            const std::string label = fmt::format("{} ({} layers) {}", preset, config->n_layer, mix);
            for (const Setting s : {Setting{512, 512, 1}, Setting{4096, 512, 1}, Setting{8192, 256, 8}, Setting{4096, 128, 2},
                                    Setting{16384, 512, 0}, Setting{4096, 512, 1, true}})
                a.compare(label, path, s, dir.path(), compute_tolerance(preset, s));
        }
    MESSAGE(a.summary());
}
