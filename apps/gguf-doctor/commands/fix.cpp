// gguf-doctor fix FILE -o OUT [--apply ID|all] [--dry-run] [--force] [--gpu ...]: the model with the known
// converter or loader mistakes undone that check's counterfactual passes prove (GD-F012), written as a
// new file. Each round runs the passes (validate/verdict) on the model as corrected so far and takes the
// most decisive hypothesis; rounds end when none is decisive. Corrected tensors are written in their own
// type (bit-exact for permutations and relabelled types, re-quantized otherwise, as the output says),
// then the written file is evaluated again. Exit: 0 written (or listed with --dry-run), 1 nothing to
// fix, 2 unreadable input or failed write, 3 usage.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "forward_setup.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/overlay.hpp"
#include "gguf/repair/rewrite.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/verdict/counterfactual.hpp"
#include "gguf/verdict/hypotheses.hpp"
#include "output_guard.hpp"

namespace gguf::cli {
namespace {

constexpr int kMaxRounds = 4;  // every named mistake is a different hypothesis; more rounds find nothing new

std::string scope(std::int64_t layer) { return layer == verdict::every_layer ? "every block" : fmt::format("block {}", layer); }

// The most decisive trial allowed by --apply, or nullptr.
const verdict::Trial* best_decisive(const verdict::CounterfactualResult& r, const std::string& apply) {
    const verdict::Trial* best = nullptr;
    for (const auto& t : r.trials)
        if (t.decisive && (apply == "all" || apply == t.id) && (!best || t.nll < best->nll)) best = &t;
    return best;
}

}  // namespace

int run_fix(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string file, out, apply = "all";
    BackendOptions backend;
    options.add_options()
        ("file", po::value(&file)->required()->value_name("FILE"), "GGUF file (any shard of a split model)")
        ("out,o", po::value(&out)->required()->value_name("FILE"), "the corrected copy (never the input)")
        ("apply", po::value(&apply)->default_value("all")->value_name("ID"),
         "only this hypothesis (an id GD-F012 names, e.g. qk_hf_order), or all")
        ("dry-run", "list the corrections, write nothing")
        ("force", "replace OUT if it exists");
    add_backend_options(options, backend);
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto exit = parse(args, "fix", "FILE -o OUT [--apply ID|all] [--dry-run]", options, positional, vm)) return *exit;
    if (auto exit = check_backend_options(backend, "fix")) return *exit;
    auto model = open_model(file);
    if (!model) return exit_unreadable;
    const bool dry_run = vm.count("dry-run") > 0;
    if (!dry_run)
        if (auto why = refuse_output(out, *model, vm.count("force") > 0); !why.empty()) {
            print_error("fix: " + why);
            return exit_usage;
        }
    auto spec = model::read_spec(*model);
    if (!spec || !spec->modelled) {
        print_error(fmt::format("fix: {}: the forward pass does not model this architecture, so no correction can be proven",
                                file));
        return exit_unreadable;
    }
    auto tok = tokenizer::load_tokenizer(*model);
    if (!tok) {
        print_error("fix: " + tok.error().describe());
        return exit_unreadable;
    }
    // The passage and length the passes were calibrated on (docs/rules.md).
    std::vector<std::int32_t> tokens = tok.value()->encode(forward::builtin_text(), true, false);
    std::uint64_t limit = verdict::counterfactual_tokens;
    if (spec->n_ctx_train > 0) limit = std::min<std::uint64_t>(limit, spec->n_ctx_train);
    if (tokens.size() > limit) tokens.resize(limit);
    const verdict::ForwardFactory factory = [&](const Container& m) { return make_backend(m, backend); };

    std::map<std::string, TensorReplacement> fixes;  // by tensor name: the latest correction
    // `base` stays as read; `current` is base with the corrections so far (an overlay).
    const Container base = std::move(*model);
    auto start = make_overlay(base, {});
    if (!start) {
        print_error("fix: " + start.error().message);
        return exit_unreadable;
    }
    Container current = std::move(*start);
    double first_nll = NAN, last_nll = NAN;
    for (int round = 0; round < kMaxRounds; ++round) {
        auto result = verdict::run_counterfactuals(current, verdict::hypotheses(current, *spec), factory, tokens);
        if (!result) {
            print_error("fix: " + result.error().message);
            return exit_unreadable;
        }
        if (round == 0) first_nll = result->nll;
        last_nll = result->nll;
        const verdict::Trial* best = best_decisive(*result, apply);
        if (!best) break;
        std::cout << fmt::format("{} ({}): {}; {}: perplexity {:.4g} -> {:.4g}\n", best->id, scope(best->layer), best->mistake,
                                 best->undo, result->perplexity, best->perplexity);
        for (const auto& h : verdict::hypotheses(current, *spec)) {
            if (h.id != best->id || h.layer != best->layer) continue;
            auto replacements = h.make(current);
            if (!replacements) {
                print_error("fix: " + replacements.error().message);
                return exit_unreadable;
            }
            for (auto& r : *replacements) fixes[r.name] = std::move(r);
            break;
        }
        std::vector<TensorReplacement> all;
        for (const auto& [name, r] : fixes) all.push_back(r);
        auto next = make_overlay(base, std::move(all));
        if (!next) {
            print_error("fix: " + next.error().message);
            return exit_unreadable;
        }
        current = std::move(*next);
        last_nll = best->nll;
    }
    if (fixes.empty()) {
        std::cout << fmt::format("no known mistake, undone, makes {} decisively better (perplexity {:.4g} on {} tokens "
                                 "of English text): nothing written\n", file, std::exp(first_nll), tokens.size());
        return exit_findings;
    }
    std::vector<TensorReplacement> all;
    for (const auto& [name, r] : fixes) all.push_back(r);
    auto rewritten = repair::rewrite_with(base, all);
    if (!rewritten) {
        print_error("fix: " + rewritten.error().message);
        return exit_unreadable;
    }
    for (const auto& t : rewritten->tensors)
        std::cout << fmt::format("  {}: {}{}\n", t.name,
                                 t.old_type != t.new_type ? fmt::format("retyped {} -> {}", type_label(t.old_type), type_label(t.new_type))
                                                          : std::string(type_label(t.new_type)),
                                 t.exact ? ", exact" : fmt::format(", re-quantized (largest difference {:.3g})", t.max_abs_diff));
    if (dry_run) {
        std::cout << fmt::format("perplexity {:.4g} -> {:.4g}; dry run: nothing written\n", std::exp(first_nll), std::exp(last_nll));
        return exit_ok;
    }
    if (auto w = rewritten->writer.write(out); !w) {
        print_error("fix: " + w.error().describe());
        return exit_unreadable;
    }
    // The written file, evaluated again: what a user of OUT gets, re-quantization included.
    auto written = gguf::open(out);
    if (!written) {
        print_error("fix: " + written.error().describe());
        return exit_unreadable;
    }
    auto pass = make_backend(*written, backend);
    if (!pass) {
        print_error("fix: " + pass.error().message);
        return exit_unreadable;
    }
    auto after = verdict::text_nll(**pass, tokens);
    if (!after) {
        print_error("fix: " + after.error().message);
        return exit_unreadable;
    }
    std::cout << fmt::format("wrote {}: perplexity {:.4g} -> {:.4g} on {} tokens of English text\n", out, std::exp(first_nll),
                             std::exp(*after), tokens.size());
    return exit_ok;
}

}  // namespace gguf::cli
