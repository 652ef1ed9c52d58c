// The audit for people: per-tensor verdicts of a dump, the first divergence of a trace with its
// diagnosis, and a one-line PASS/FAIL.
#include <fmt/format.h>

#include "gguf/report/audit.hpp"
#include "gguf/types.hpp"

namespace gguf::report {
namespace {

using namespace gguf::audit;  // this file renders audit's results

std::string shape_text(const std::vector<std::uint64_t>& shape) { return fmt::format("({})", fmt::join(shape, ", ")); }

std::string record_name(std::int32_t layer, const std::string& op) { return layer >= 0 ? fmt::format("blk.{}.{}", layer, op) : op; }

void diagnosis_lines(std::string& out, const Diagnosis& d, std::string_view indent) {
    out += fmt::format("{}{}: {}\n", indent, d.kind, d.message);
    if (d.evidence.empty()) return;
    std::string ev;
    for (const auto& e : d.evidence) ev += (ev.empty() ? "" : ", ") + e.name + " = " + e.value;
    out += fmt::format("{}  evidence: {}\n", indent, ev);
}

void dump_text(std::string& out, const DumpAudit& a, bool verbose) {
    out += fmt::format("dump {}: {} match, {} mismatch, {} missing{}, {} extra{}, {} unreadable\n", a.dir.string(),
                       a.count(TensorStatus::match), a.count(TensorStatus::mismatch), a.count(TensorStatus::missing),
                       a.allow_missing ? " (allowed)" : "", a.count(TensorStatus::extra), a.allow_extra ? " (allowed)" : "",
                       a.count(TensorStatus::unreadable));
    for (const TensorAudit& t : a.tensors) {
        switch (t.status) {
            case TensorStatus::match:
                if (verbose)
                    out += fmt::format("  match      {} {} (max |diff| {:.3g})\n", t.name, type_label(t.type), t.agreement.max_abs_diff);
                break;
            case TensorStatus::missing:
                out += fmt::format("  MISSING    {} ({}: no file {})\n", t.name, type_label(t.type), t.file.filename().string());
                break;
            case TensorStatus::extra:
                out += fmt::format("  EXTRA      {}: {}\n", t.file.filename().string(),
                                   t.problem.empty() ? "no tensor " + t.name + " in the model" : t.problem);
                break;
            case TensorStatus::unreadable: out += fmt::format("  UNREADABLE {}: {}\n", t.name, t.problem); break;
            case TensorStatus::mismatch: {
                const Agreement& g = t.agreement;
                out += fmt::format("  MISMATCH   {} {} {}: {} of {} values differ, first at {}; relative error {:.3g}, cosine "
                                   "{:.4f}, max |diff| {:.3g}\n",
                                   t.name, type_label(t.type), shape_text(t.expected_shape), g.compared - g.within, g.compared,
                                   g.first_mismatch, g.relative_rms, g.cosine, g.max_abs_diff);
                if (t.dump_shape != t.expected_shape)
                    out += fmt::format("             your shape {}, the tensor's {}\n", shape_text(t.dump_shape),
                                       shape_text(t.expected_shape));
                if (t.diagnoses.empty()) {
                    out += fmt::format("    no tested hypothesis explains the difference (tested: {})\n", fmt::join(t.tested, ", "));
                } else {
                    out += t.diagnoses.size() == 1 ? "    diagnosis:\n" : "    consistent with:\n";
                    for (const auto& d : t.diagnoses) diagnosis_lines(out, d, "      ");
                }
                break;
            }
        }
    }
}

std::string numbers(const forward::TraceRecord& r) {
    std::string first;
    for (const float f : r.first) first += (first.empty() ? "" : " ") + fmt::format("{:.5g}", f);
    return fmt::format("shape {} min {:.5g} max {:.5g} mean {:.5g} rms {:.5g}{}{}", shape_text(r.shape), r.min, r.max, r.mean, r.rms,
                       r.non_finite ? fmt::format(" non-finite {}", r.non_finite) : "", first.empty() ? "" : "  first: " + first);
}

void trace_text(std::string& out, const TraceAudit& a, const std::string& path, bool verbose) {
    out += fmt::format("trace {}: {} tokens, {} activations compared (tolerance {:g})\n", path, a.tokens.size(), a.records.size(),
                       a.tolerance);
    if (verbose)
        for (const auto& r : a.records)
            out += fmt::format("  {:<10} {:<22} deviation {:.3g} ({})\n", r.diverged ? "DIVERGES" : "agrees", record_name(r.layer, r.op),
                               r.deviation, r.worst.empty() ? "-" : r.worst);
    if (a.records.empty()) out += "  no activation of your trace has a counterpart in the reference's (see docs/trace.md for the op names)\n";
    if (!a.first_divergence) {
        if (!a.records.empty()) out += "  every compared activation agrees\n";
    } else {
        const RecordComparison& d = a.records[*a.first_divergence];
        out += fmt::format("  FIRST DIVERGENCE at {}: {} differs by {:.3g} of its scale{}\n", record_name(d.layer, d.op), d.worst,
                           d.deviation, d.full_values ? fmt::format(" (values: relative error {:.3g}, max |diff| {:.3g})",
                                                                    d.relative_rms, d.max_abs_diff)
                                                      : "");
        out += "    reference: " + numbers(d.ours) + "\n";
        out += "    yours:     " + numbers(d.theirs) + "\n";
        out += "    " + a.localisation + "\n";
        if (a.explanations.empty()) {
            out += fmt::format("    no tested hypothesis reproduces your numbers (tested: {})\n", fmt::join(a.tested, ", "));
        } else {
            out += "    consistent with:\n";
            for (const auto& e : a.explanations) diagnosis_lines(out, e, "      ");
        }
        std::uint64_t later = 0;
        for (std::size_t i = *a.first_divergence + 1; i < a.records.size(); ++i) later += a.records[i].diverged;
        if (later) out += fmt::format("    {} later activations diverge too (downstream of the first)\n", later);
    }
    if (!a.not_in_theirs.empty())
        out += fmt::format("  {} reference activations are not in your trace{}\n", a.not_in_theirs.size(),
                           verbose ? ": " + fmt::format("{}", fmt::join(a.not_in_theirs, ", ")) : "");
    if (!a.not_in_ours.empty())
        out += fmt::format("  your trace has activations the reference does not record: {}\n", fmt::join(a.not_in_ours, ", "));
}

}  // namespace

std::string render_text(const audit::AuditReport& report, bool verbose) {
    std::string out = fmt::format("gguf-doctor audit {}\n", report.model_path);
    if (report.dump) dump_text(out, *report.dump, verbose);
    if (report.trace) trace_text(out, *report.trace, report.trace_path, verbose);
    std::vector<std::string> parts;
    if (report.dump) {
        const DumpAudit& d = *report.dump;
        const auto add = [&](TensorStatus s, const char* what, bool counts) {
            if (counts && d.count(s)) parts.push_back(fmt::format("{} {}", d.count(s), what));
        };
        add(TensorStatus::mismatch, "tensors differ", true);
        add(TensorStatus::missing, "missing", !d.allow_missing);
        add(TensorStatus::extra, "extra", !d.allow_extra);
        add(TensorStatus::unreadable, "unreadable", true);
        if (d.count(TensorStatus::match) + d.count(TensorStatus::mismatch) == 0) parts.emplace_back("no tensor compared");
        if (parts.empty()) parts.push_back(fmt::format("{} tensors match", d.count(TensorStatus::match)));
    }
    if (report.trace) {
        const TraceAudit& t = *report.trace;
        if (t.first_divergence) {
            const auto& r = t.records[*t.first_divergence];
            parts.push_back("trace diverges at " + record_name(r.layer, r.op));
        } else {
            parts.push_back(t.records.empty() ? "no activation compared" : fmt::format("{} activations agree", t.records.size()));
        }
    }
    out += fmt::format("{}  {}\n", report.passed() ? "PASS" : "FAIL", fmt::join(parts, "; "));
    return out;
}

}  // namespace gguf::report
