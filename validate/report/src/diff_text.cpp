// `gguf-doctor diff`'s text and JSON: metadata changes, tensors added, removed or changed (worst
// first), and with --forward the distance between the two models' next-token distributions.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "gguf/report/diff.hpp"
#include "gguf/types.hpp"

namespace gguf::report {
namespace {

std::string ne_text(const std::vector<std::uint64_t>& ne) { return fmt::format("[{}]", fmt::join(ne, ", ")); }

std::string kind_name(audit::MetadataChange::Kind k) {
    switch (k) {
        case audit::MetadataChange::Kind::added: return "added";
        case audit::MetadataChange::Kind::removed: return "removed";
        case audit::MetadataChange::Kind::changed: return "changed";
    }
    return "?";
}

}  // namespace

std::string render_text(const DiffReport& r, std::size_t top) {
    const audit::ModelDiff& d = r.diff;
    const auto& fwd = r.forward;
    std::string out;
    out += fmt::format("metadata: {} changes\n", d.metadata.size());
    for (const auto& m : d.metadata) {
        if (m.kind == audit::MetadataChange::Kind::changed) out += fmt::format("  changed {}: {} -> {}\n", m.key, m.a, m.b);
        else out += fmt::format("  {} {}: {}\n", kind_name(m.kind), m.key, m.kind == audit::MetadataChange::Kind::added ? m.b : m.a);
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
    out += fmt::format("tensors: {} only in A, {} only in B, {} identical, {} compared, {} type changes\n", only_a, only_b,
                             identical, compared, type_changes);
    for (const auto& [pair, n] : type_pairs) out += fmt::format("  {} x {}\n", n, pair);
    std::size_t shown = 0;
    bool header = false;
    for (const auto& t : d.tensors) {
        if (!t.differs()) continue;
        if (shown++ == top) {
            out += "  ... (--all lists every tensor)\n";
            break;
        }
        if (!t.in_b || !t.in_a) {
            out += fmt::format("  only in {}: {} {} {}\n", t.in_a ? "A" : "B", t.name, type_label(t.in_a ? t.type_a : t.type_b),
                                     ne_text(t.in_a ? t.ne_a : t.ne_b));
            continue;
        }
        if (!t.compared) {
            out += fmt::format("  {} {} {} -> {} {}: {}\n", t.name, type_label(t.type_a), ne_text(t.ne_a), type_label(t.type_b),
                                     ne_text(t.ne_b), t.note.empty() ? "differs" : t.note);
            continue;
        }
        if (!header) {
            out += fmt::format("  {:<36} {:<14} {:>12} {:>10} {:>12}\n", "tensor (worst first)", "type A -> B", "rel. error",
                                     "cosine", "max |diff|");
            header = true;
        }
        out += fmt::format("  {:<36} {:<14} {:>12.4g} {:>10.6f} {:>12.4g}{}\n", t.name,
                                 type_label(t.type_a) + (t.type_a == t.type_b ? "" : " -> " + type_label(t.type_b)), t.relative_error,
                                 t.cosine, t.max_abs_diff,
                                 t.nonfinite_mismatches ? fmt::format("  ({} non-finite differ)", t.nonfinite_mismatches) : "");
    }
    if (fwd) {
        const auto& f = fwd->diff;
        out += fmt::format("forward ({}, {} tokens of the built-in text): KL(A || B) mean {:.6g}, median {:.6g}, p99 {:.6g}, "
                                 "max {:.6g} nats; top-1 agreement {:.2f}%; perplexity A {:.4g}, B {:.4g}\n",
                                 fwd->backend, fwd->tokens, f.mean_kl, f.median_kl, f.p99_kl, f.max_kl, 100 * f.top1_agreement,
                                 f.perplexity_a, f.perplexity_b);
    }
    out += (d.identical() ? "IDENTICAL  same metadata and tensor values\n" : "DIFFERENT\n");
    return out;
}

std::string render_json(const DiffReport& r) {
    const audit::ModelDiff& d = r.diff;
    const auto& fwd = r.forward;
    const std::string& a = r.path_a;
    const std::string& b = r.path_b;
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
    return out.dump(1) + "\n";
}

}  // namespace gguf::report
