// gguf-doctor fix FILE -o OUT [--apply ID|all] [--dry-run] [--force] [--gpu ...]: the model with the known
// converter or loader mistakes undone that check's counterfactual passes prove (GD-F012), written as a
// new file. Hyperparameters the tensor shapes determine (validate/repair shape_evidence) are set
// first, since a wrong one keeps the model from loading at all. Each round runs the passes (validate/verdict) on the model as corrected so far and takes the
// most decisive hypothesis; rounds end when none is decisive. Corrected tensors are written in their own
// type (bit-exact for permutations and relabelled types, re-quantized otherwise, as the output says),
// then check runs on the written file and its verdict and findings are printed beside the input's.
// Exit: 0 written (or listed with --dry-run), 1 nothing to fix, 2 unreadable input or failed write,
// 3 usage.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "check_report.hpp"
#include "cli.hpp"
#include "commands.hpp"
#include "forward_setup.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/overlay.hpp"
#include "gguf/repair/edit.hpp"
#include "gguf/repair/rewrite.hpp"
#include "gguf/repair/shape_evidence.hpp"
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

// check's verdict and finding counts per code, input beside output:
//   check: FAIL  2 errors, 0 warnings, 1 note (fails on: error) -> PASS  0 errors, ...
//     GD-F012 (error): 1 -> 0
std::string compare_checks(const report::Report& before, const report::Report& after) {
    std::string out = fmt::format("check: {} -> {}\n", report::verdict_line(before), report::verdict_line(after));
    struct Counts {
        Severity severity = Severity::info;
        int before = 0, after = 0;
    };
    std::map<std::string, Counts> by_code;
    for (const auto& f : before.findings) {
        Counts& c = by_code[f.code];
        c.severity = std::max(c.severity, f.severity);
        ++c.before;
    }
    for (const auto& f : after.findings) {
        Counts& c = by_code[f.code];
        c.severity = std::max(c.severity, f.severity);
        ++c.after;
    }
    for (const auto& [code, c] : by_code)
        out += fmt::format("  {} ({}): {} -> {}\n", code, severity_name(c.severity), c.before, c.after);
    return out;
}

// A file that exists while fix works and is removed when it is done, whatever the outcome.
struct ScratchFile {
    std::filesystem::path path;
    ~ScratchFile() {
        std::error_code ignored;
        if (!path.empty()) std::filesystem::remove(path, ignored);
    }
};

// The input with the hyperparameters its shapes determine set, written beside OUT and opened in place
// of the input; nullopt (after printing why) when that fails. Prints one line per key.
std::optional<Container> with_implied_values(const Container& model, const std::vector<repair::ImpliedValue>& implied,
                                             ScratchFile& scratch, const std::string& out) {
    std::vector<repair::MetadataEdit> edits;
    for (const auto& v : implied) {
        std::cout << fmt::format("metadata {}: {} -> {} ({})\n", v.key, v.file ? std::to_string(*v.file) : "absent",
                                 v.implied, v.evidence);
        edits.push_back({repair::MetadataEdit::Kind::set, v.key, std::to_string(v.implied), std::nullopt});
    }
    auto edited = repair::apply_edits(model, edits);
    if (!edited) {
        print_error("fix: " + edited.error().describe());
        return std::nullopt;
    }
    scratch.path = out + ".fix-metadata.tmp";
    if (auto w = edited->writer.write(scratch.path); !w) {
        print_error("fix: " + w.error().describe());
        return std::nullopt;
    }
    auto reopened = gguf::open(scratch.path);
    if (!reopened) {
        print_error("fix: " + reopened.error().describe());
        return std::nullopt;
    }
    return std::move(*reopened);
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
         "only this hypothesis (an id GD-F012 names, e.g. qk_hf_order), metadata (only the hyperparameters the "
         "tensor shapes determine), or all")
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
    const report::Report checked_before = check_report(file, backend);

    ScratchFile scratch;
    const std::vector<repair::ImpliedValue> implied =
        apply == "all" || apply == "metadata" ? repair::values_implied_by_shapes(*model) : std::vector<repair::ImpliedValue>{};
    if (!implied.empty()) {
        model = with_implied_values(*model, implied, scratch, out);
        if (!model) return exit_unreadable;
    }
    auto spec = model::read_spec(*model);
    const bool provable = spec && spec->modelled && apply != "metadata";
    if (!provable && implied.empty()) {
        print_error("fix: " + file +
                    (apply == "metadata" ? ": no hyperparameter disagrees with the tensor shapes"
                                         : ": the forward pass does not model this architecture, so no correction can be proven"));
        return apply == "metadata" ? exit_findings : exit_unreadable;
    }
    std::vector<std::int32_t> tokens;
    if (provable) {
        auto tok = tokenizer::load_tokenizer(*model);
        if (!tok) {
            print_error("fix: " + tok.error().describe());
            return exit_unreadable;
        }
        // The passage and length the passes were calibrated on (docs/rules.md).
        tokens = tok.value()->encode(forward::builtin_text(), true, false);
        std::uint64_t limit = verdict::counterfactual_tokens;
        if (spec->n_ctx_train > 0) limit = std::min<std::uint64_t>(limit, spec->n_ctx_train);
        if (tokens.size() > limit) tokens.resize(limit);
    } else {
        std::cout << "the weights are not examined: " << (spec ? "the forward pass does not model this architecture" : spec.error().message)
                  << "\n";
    }
    const verdict::ForwardFactory factory = [&](const Container& m) { return make_backend(m, backend); };

    std::map<std::string, TensorReplacement> fixes;  // by tensor name: the latest correction
    const Container base = std::move(*model);
    auto start = make_overlay(base, {});
    if (!start) {
        print_error("fix: " + start.error().message);
        return exit_unreadable;
    }
    Container current = std::move(*start);
    double first_nll = NAN, last_nll = NAN;
    for (int round = 0; provable && round < kMaxRounds; ++round) {
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
    if (fixes.empty() && implied.empty()) {
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
    // With hyperparameters set first, "before" is the model with those set: the input itself may not run.
    const std::string before_label = implied.empty() ? "" : " (metadata corrected)";
    if (dry_run) {
        if (provable)
            std::cout << fmt::format("perplexity{} {:.4g} -> {:.4g}\n", before_label, std::exp(first_nll), std::exp(last_nll));
        std::cout << "dry run: nothing written\n";
        std::cout << fmt::format("check: {}\n", report::verdict_line(checked_before));
        return exit_ok;
    }
    if (auto w = rewritten->writer.write(out); !w) {
        print_error("fix: " + w.error().describe());
        return exit_unreadable;
    }
    // The written file, evaluated again: what a user of OUT gets, re-quantization included.
    if (provable) {
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
        std::cout << fmt::format("wrote {}: perplexity{} {:.4g} -> {:.4g} on {} tokens of English text\n", out, before_label,
                                 std::exp(first_nll), std::exp(*after), tokens.size());
    } else {
        std::cout << fmt::format("wrote {}\n", out);
    }
    std::cout << compare_checks(checked_before, check_report(out, backend));
    return exit_ok;
}

}  // namespace gguf::cli
