// The numbers behind the verdicts' thresholds (docs/rules.md, "Counterfactual passes"): for healthy
// models (the tiny presets in every type mix, the trained sample, its quantizations and
// function-preserving rewrites) and damaged ones (every damage class of the trained sample), the
// model's own NLL on the check's short text, the best hypothesis's gain and the NLL it reaches, and the
// weight verdicts (GD-W020, and GD-W024 with the RoPE pair z-scores of the three candidate pairings).
// Usage: verdict_calibration [OUT_DIR]  (presets are written there; default /tmp)
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>

#include "damage_classes.hpp"
#include "gguf/forward/cpu.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/samples/generator.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/verdict/counterfactual.hpp"
#include "gguf/verdict/rope_pairs.hpp"
#include "gguf/verdict/weight_evidence.hpp"

namespace {

using namespace gguf;

Result<std::unique_ptr<forward::Forward>> cpu(const Container& m) { return forward::make_cpu_forward(m); }

void row(const std::string& set, const std::string& name, const Container& m, const model::ModelSpec& spec) {
    auto tok = tokenizer::load_tokenizer(m);
    const auto pairs = verdict::measure_rope_pairs(m, spec);
    const std::string pair_z = pairs ? fmt::format("{:.2f} / {:.2f} / {:.2f}", pairs->z[0], pairs->z[1], pairs->z[2]) : "not measured";
    const bool pair_finding = pairs && !verdict::rope_pair_findings(*pairs, spec).empty();
    if (!tok) {
        fmt::print("| {} | {} | no tokenizer | | | | | | {} | |\n", set, name, pair_z);
        return;
    }
    auto tokens = tok.value()->encode(forward::builtin_text(), true, false);
    if (tokens.size() > 64) tokens.resize(verdict::counterfactual_tokens);
    auto r = verdict::run_counterfactuals(m, verdict::hypotheses(m, spec), cpu, tokens);
    if (!r) {
        fmt::print("| {} | {} | {} | | | | | | {} | |\n", set, name, r.error().message, pair_z);
        return;
    }
    const double uniform = std::log(static_cast<double>(r->n_vocab));
    const verdict::Trial* best = nullptr;
    for (const auto& t : r->trials)
        if (!best || t.nll < best->nll) best = &t;
    const auto findings = verdict::counterfactual_findings(*r, "English text");
    const bool identical = !verdict::identical_blocks(m, spec).empty();
    fmt::print("| {} | {} | {:.3f} | {:.3f} | {} | {:+.3f} | {:.3f} | {} | {} | {}{}{} |\n", set, name, r->perplexity,
               r->nll / uniform, best ? best->id + (best->layer >= 0 ? fmt::format(" (block {})", best->layer) : "") : "-",
               best ? r->nll - best->nll : 0.0, best ? best->nll / uniform : 0.0, r->trials.size(),
               pair_z, findings.empty() || findings.front().code != "GD-F012" ? "-" : "GD-F012", identical ? " GD-W020" : "",
               pair_finding ? " GD-W024" : "");
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const std::filesystem::path dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
    fmt::print("| set | model | perplexity (32 tokens) | normalized NLL | best hypothesis | NLL gain (nats) | "
               "normalized NLL after | trials | RoPE pair z (rotate-half / interleaved / twice) | verdicts |\n");
    fmt::print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");

    for (const auto preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
        for (const auto mix : {"f32", "f16", "bf16", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0"}) {
            auto config = samples::preset(preset);
            if (!config || !samples::apply_mix(*config, mix)) continue;
            const auto path = dir / fmt::format("calibration-{}-{}.gguf", preset, mix);
            if (!samples::write_model(*config, path)) continue;
            auto m = open(path);
            if (!m) continue;
            auto spec = model::read_spec(*m);
            if (spec) row("healthy (random weights)", fmt::format("{} {}", preset, mix), *m, *spec);
            std::filesystem::remove(path);
        }
    }

    auto sample = open(std::string(GGUF_DOCTOR_SOURCE_DIR) + "/samples/trained/tiny-english-f16.gguf");
    if (!sample) {
        fmt::print(stderr, "{}\n", sample.error().describe());
        return 1;
    }
    auto spec = model::read_spec(*sample);
    if (!spec) return 1;
    row("healthy (trained)", "tiny-english F16", *sample, *spec);
    const auto apply = [&](const test::Variant& v) -> std::optional<Container> {
        auto r = v(*sample, *spec);
        if (!r) return std::nullopt;
        auto over = make_overlay(*sample, std::move(*r));
        if (!over) return std::nullopt;
        return std::move(*over);
    };
    for (const auto& h : test::healthy_rewrites(true))
        if (auto m = apply(h.apply)) row("healthy (trained)", "tiny-english " + h.name, *m, *spec);
    for (const auto& d : test::damage_classes())
        if (auto m = apply(d.apply)) row("damaged (trained)", d.name, *m, *spec);
    return 0;
}
