// gguf-doctor diff A B [--forward]: metadata added/removed/changed, tensors added/removed, type and
// shape changes, and for tensors of the same shape how far B's dequantized values are from A's (worst
// first). --forward also compares the two models' next-token distributions on the built-in text (KL
// divergence, top-1 agreement, perplexity), on the CPU reference or with --gpu the CUDA pass.
#include <fmt/format.h>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "forward_setup.hpp"
#include "gguf/audit/model_diff.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/types.hpp"
#include "progress.hpp"

namespace gguf::cli {
namespace {

constexpr std::string_view kUsage = "A B [--forward [--max-tokens N] [--gpu]] [--top N | --all] [--json]";

std::string ne_text(const std::vector<std::uint64_t>& ne) { return fmt::format("[{}]", fmt::join(ne, ", ")); }

std::string kind_name(audit::MetadataChange::Kind k) {
    switch (k) {
        case audit::MetadataChange::Kind::added: return "added";
        case audit::MetadataChange::Kind::removed: return "removed";
        case audit::MetadataChange::Kind::changed: return "changed";
    }
    return "?";
}

// The logits of `model` for `tokens`, and in `pass_name` the pass's own name for itself ("cpu",
// "cuda:0/tf32"...); the backend is released before returning.
Result<forward::Logits> predictions(const Container& model, const BackendOptions& backend,
                                    std::span<const std::int32_t> tokens, std::string& pass_name) {
    auto pass = make_backend(model, backend);
    if (!pass) return pass.error();
    pass_name = std::string((*pass)->backend());
    return (*pass)->evaluate(tokens);
}

struct ForwardOutcome {
    std::uint64_t tokens = 0;
    std::string backend;
    audit::ForwardDiff diff;
};

std::variant<ForwardOutcome, int> run_forward(const Container& a, const Container& b, const BackendOptions& backend,
                                              std::uint32_t max_tokens) {
    auto tok = tokenizer::load_tokenizer(a);
    if (!tok) {
        print_error("diff --forward: the first model's tokenizer cannot be used: " + tok.error().describe());
        return exit_unreadable;
    }
    std::vector<std::int32_t> tokens = tok.value()->encode(forward::builtin_text(), true, false);
    if (tokens.size() > max_tokens) tokens.resize(max_tokens);
    const TensorInfo* embd_b = b.find_tensor("token_embd.weight");
    for (const std::int32_t id : tokens)
        if (embd_b && static_cast<std::uint64_t>(id) >= embd_b->ne[1]) {
            print_error("diff --forward: token " + std::to_string(id) + " of the text is outside the second model's vocabulary");
            return exit_unreadable;
        }
    std::string pass_name;
    auto la = predictions(a, backend, tokens, pass_name);
    if (!la) {
        print_error("diff --forward: first model: " + la.error().describe());
        return exit_unreadable;
    }
    auto lb = predictions(b, backend, tokens, pass_name);
    if (!lb) {
        print_error("diff --forward: second model: " + lb.error().describe());
        return exit_unreadable;
    }
    auto d = audit::compare_predictions(*la, *lb, tokens);
    if (!d) {
        print_error("diff --forward: " + d.error().message);
        return exit_unreadable;
    }
    return ForwardOutcome{tokens.size(), pass_name, *d};
}

void print_text(const audit::ModelDiff& d, const std::optional<ForwardOutcome>& fwd, std::size_t top) {
    std::cout << fmt::format("metadata: {} changes\n", d.metadata.size());
    for (const auto& m : d.metadata) {
        if (m.kind == audit::MetadataChange::Kind::changed) std::cout << fmt::format("  changed {}: {} -> {}\n", m.key, m.a, m.b);
        else std::cout << fmt::format("  {} {}: {}\n", kind_name(m.kind), m.key, m.kind == audit::MetadataChange::Kind::added ? m.b : m.a);
    }
    std::uint64_t only_a = 0, only_b = 0, identical = 0, compared = 0, type_changes = 0;
    std::map<std::string, std::uint64_t> type_pairs;
    for (const auto& t : d.tensors) {
        only_a += t.in_a && !t.in_b;
        only_b += t.in_b && !t.in_a;
        identical += t.identical_bytes;
        compared += t.compared;
        if (t.in_a && t.in_b && t.type_a != t.type_b) {
            ++type_changes;
            ++type_pairs[type_label(t.type_a) + " -> " + type_label(t.type_b)];
        }
    }
    std::cout << fmt::format("tensors: {} only in A, {} only in B, {} identical, {} compared, {} type changes\n", only_a, only_b,
                             identical, compared, type_changes);
    for (const auto& [pair, n] : type_pairs) std::cout << fmt::format("  {} x {}\n", n, pair);
    std::size_t shown = 0;
    bool header = false;
    for (const auto& t : d.tensors) {
        if (!t.differs()) continue;
        if (shown++ == top) {
            std::cout << "  ... (--all lists every tensor)\n";
            break;
        }
        if (!t.in_b || !t.in_a) {
            std::cout << fmt::format("  only in {}: {} {} {}\n", t.in_a ? "A" : "B", t.name, type_label(t.in_a ? t.type_a : t.type_b),
                                     ne_text(t.in_a ? t.ne_a : t.ne_b));
            continue;
        }
        if (!t.compared) {
            std::cout << fmt::format("  {} {} {} -> {} {}: {}\n", t.name, type_label(t.type_a), ne_text(t.ne_a), type_label(t.type_b),
                                     ne_text(t.ne_b), t.note.empty() ? "differs" : t.note);
            continue;
        }
        if (!header) {
            std::cout << fmt::format("  {:<36} {:<14} {:>12} {:>10} {:>12}\n", "tensor (worst first)", "type A -> B", "rel. error",
                                     "cosine", "max |diff|");
            header = true;
        }
        std::cout << fmt::format("  {:<36} {:<14} {:>12.4g} {:>10.6f} {:>12.4g}{}\n", t.name,
                                 type_label(t.type_a) + (t.type_a == t.type_b ? "" : " -> " + type_label(t.type_b)), t.relative_error,
                                 t.cosine, t.max_abs_diff,
                                 t.nonfinite_mismatches ? fmt::format("  ({} non-finite differ)", t.nonfinite_mismatches) : "");
    }
    if (fwd) {
        const auto& f = fwd->diff;
        std::cout << fmt::format("forward ({}, {} tokens of the built-in text): KL(A || B) mean {:.6g}, median {:.6g}, p99 {:.6g}, "
                                 "max {:.6g} nats; top-1 agreement {:.2f}%; perplexity A {:.4g}, B {:.4g}\n",
                                 fwd->backend, fwd->tokens, f.mean_kl, f.median_kl, f.p99_kl, f.max_kl, 100 * f.top1_agreement,
                                 f.perplexity_a, f.perplexity_b);
    }
    std::cout << (d.identical() ? "IDENTICAL  same metadata and tensor values\n" : "DIFFERENT\n");
}

void print_json(const audit::ModelDiff& d, const std::optional<ForwardOutcome>& fwd, const std::string& a, const std::string& b) {
    using nlohmann::json;
    const auto number = [](double x) -> json {
        if (std::isnan(x)) return "nan";
        if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
        return x;
    };
    json metadata = json::array();
    for (const auto& m : d.metadata) metadata.push_back({{"change", kind_name(m.kind)}, {"key", m.key}, {"a", m.a}, {"b", m.b}});
    json tensors = json::array();
    for (const auto& t : d.tensors) {
        json j = {{"name", t.name}, {"in_a", t.in_a}, {"in_b", t.in_b}, {"differs", t.differs()}};
        if (t.in_a) j["a"] = {{"type", type_label(t.type_a)}, {"ne", t.ne_a}};
        if (t.in_b) j["b"] = {{"type", type_label(t.type_b)}, {"ne", t.ne_b}};
        j["identical_bytes"] = t.identical_bytes;
        if (t.compared)
            j["values"] = {{"relative_error", number(t.relative_error)},
                           {"cosine", number(t.cosine)},
                           {"max_abs_diff", number(t.max_abs_diff)},
                           {"nonfinite_mismatches", t.nonfinite_mismatches}};
        if (!t.note.empty()) j["note"] = t.note;
        tensors.push_back(std::move(j));
    }
    json out = {{"a", a}, {"b", b}, {"identical", d.identical()}, {"metadata", metadata}, {"tensors", tensors}};
    if (fwd) {
        const auto& f = fwd->diff;
        out["forward"] = {{"backend", fwd->backend},       {"tokens", fwd->tokens},
                          {"mean_kl", number(f.mean_kl)},  {"median_kl", number(f.median_kl)},
                          {"p99_kl", number(f.p99_kl)},    {"max_kl", number(f.max_kl)},
                          {"top1_agreement", f.top1_agreement}, {"perplexity_a", number(f.perplexity_a)},
                          {"perplexity_b", number(f.perplexity_b)}, {"max_abs_logit_diff", number(f.logits.max_abs_diff)}};
    }
    std::cout << out.dump(1) << "\n";
}

}  // namespace

int run_diff(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string path_a, path_b;
    bool forward_pass = false, json = false, all = false;
    std::size_t top = 20;
    std::uint32_t max_tokens = 128;
    BackendOptions backend;
    options.add_options()
        ("a", po::value(&path_a)->required()->value_name("FILE"),
         "the first model (the reference for relative errors and KL)")
        ("b", po::value(&path_b)->required()->value_name("FILE"), "the second model")
        ("forward", po::bool_switch(&forward_pass), "also compare next-token distributions on the built-in text")
        ("max-tokens", po::value(&max_tokens)->default_value(128)->value_name("N"),
         "with --forward: tokens of the text evaluated")
        ("top", po::value(&top)->default_value(20)->value_name("N"), "tensors listed (worst first)")
        ("all", po::bool_switch(&all), "list every tensor that differs")
        ("json", po::bool_switch(&json), "print the comparison as JSON");
    add_backend_options(options, backend);
    po::positional_options_description positional;
    positional.add("a", 1).add("b", 1);
    po::variables_map vm;
    if (auto done = parse(args, "diff", kUsage, options, positional, vm)) return *done;
    if (auto bad = check_backend_options(backend, "diff")) return *bad;
    if (backend.gpu && !forward_pass) {
        print_error("diff: --gpu applies to --forward");
        return exit_usage;
    }
    auto a = open_model(path_a);
    if (!a) return exit_unreadable;
    auto b = open_model(path_b);
    if (!b) return exit_unreadable;

    ProgressBar progress("comparing tensors", a->tensors().size() + b->tensors().size(), stderr_is_terminal() && !json);
    audit::DiffOptions diff_options;
    diff_options.threads = backend.threads;
    diff_options.progress = [&](std::uint64_t done, std::uint64_t) { progress.advance_to(done); };
    auto diff = audit::diff_models(*a, *b, diff_options);
    progress.finish();
    if (!diff) {
        print_error("diff: " + diff.error().describe());
        return exit_unreadable;
    }
    std::optional<ForwardOutcome> fwd;
    if (forward_pass) {
        auto outcome = run_forward(*a, *b, backend, max_tokens);
        if (auto* code = std::get_if<int>(&outcome)) return *code;
        fwd = std::get<ForwardOutcome>(outcome);
    }
    if (json) print_json(*diff, fwd, path_a, path_b);
    else print_text(*diff, fwd, all ? SIZE_MAX : top);
    return diff->identical() ? exit_ok : exit_findings;
}

}  // namespace gguf::cli
