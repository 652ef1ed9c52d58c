// The audit's HTML page: where the user's trace departs from the reference (a heat map of every
// layer and op), what the first divergence looks like and which mistake reproduces it; and the dump's
// tensors with their diagnoses.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "gguf/report/html.hpp"
#include "gguf/types.hpp"
#include "layers.hpp"

namespace gguf::report {
namespace {

using audit::TensorStatus;

std::string record_name(std::int32_t layer, const std::string& op) { return layer >= 0 ? fmt::format("blk.{}.{}", layer, op) : op; }

std::string evidence_text(const audit::Diagnosis& d) {
    std::string out;
    for (const auto& e : d.evidence) out += (out.empty() ? "" : ", ") + e.name + " = " + e.value;
    return out;
}

Table diagnoses_table(const std::vector<audit::Diagnosis>& diagnoses) {
    Table t;
    t.columns = {"diagnosis", "message", "evidence", "agreeing values"};
    t.sortable = false;
    for (const auto& d : diagnoses)
        t.rows.push_back({d.kind, d.message, evidence_text(d),
                          d.compared ? fmt::format("{} of {}", d.within, d.compared) : std::string("-")});
    return t;
}

Section trace_section(const audit::TraceAudit& a, const std::string& path) {
    Section s{"Trace", "", {}};
    s.text = fmt::format("Your trace {} against the reference pass on the same {} tokens: {} activations compared; an "
                         "activation diverges when one of its numbers differs by more than {:g} of its scale.",
                         path, a.tokens.size(), a.records.size(), a.tolerance);
    // Layers as rows (outside-layer ops first), ops as columns in the order the reference computes them.
    std::vector<std::string> columns;
    std::map<std::int32_t, std::map<std::string, double>> grid;
    for (const auto& r : a.records) {
        if (std::find(columns.begin(), columns.end(), r.op) == columns.end()) columns.push_back(r.op);
        grid[r.layer][r.op] = r.deviation;
    }
    Heatmap map;
    map.row_label = "layer";
    map.column_label = "op";
    map.value_label = "deviation";
    map.columns = columns;
    map.log_scale = true;
    map.mark_above = a.tolerance;
    for (const auto& [layer, ops] : grid) {
        map.rows.push_back(layer >= 0 ? std::to_string(layer) : "global");
        for (const auto& op : columns) {
            const auto it = ops.find(op);
            map.values.push_back(it == ops.end() ? std::nan("") : it->second);
        }
    }
    if (!map.values.empty())
        s.blocks.push_back({"Deviation from the reference per layer and op",
                            "The largest relative difference of each activation's compared numbers (min, max, mean, rms, first "
                            "values; every value where your trace has .npy files). Outlined cells exceed the tolerance. A "
                            "healthy engine is dark everywhere; a bug shows as a bright cell at the first divergence and "
                            "bright cells after it.",
                            std::move(map)});
    if (!a.first_divergence) {
        s.text += a.records.empty() ? " No activation of your trace has a counterpart in the reference's (docs/trace.md lists the op names)."
                                    : " Every compared activation agrees.";
        return s;
    }
    const audit::RecordComparison& d = a.records[*a.first_divergence];
    s.text += fmt::format(" The first divergence is at {}: {} differs by {:.3g} of its scale. {}", record_name(d.layer, d.op), d.worst,
                          d.deviation, a.localisation);
    Table numbers;
    numbers.columns = {"", "shape", "min", "max", "mean", "rms", "non-finite"};
    numbers.sortable = false;
    for (const auto* rec : {&d.ours, &d.theirs})
        numbers.rows.push_back({rec == &d.ours ? "reference" : "yours", detail::shape_text(rec->shape), rec->min, rec->max,
                                rec->mean, rec->rms, static_cast<double>(rec->non_finite)});
    s.blocks.push_back({"First divergence: " + record_name(d.layer, d.op), "", std::move(numbers)});
    s.blocks.push_back({"Diagnosis",
                        a.explanations.empty()
                            ? "No tested hypothesis reproduces your numbers (tested: " + fmt::format("{}", fmt::join(a.tested, ", ")) + ")."
                            : "Mistakes that, made in the reference, reproduce your numbers at this op.",
                        diagnoses_table(a.explanations)});
    return s;
}

Section dump_section(const audit::DumpAudit& a) {
    Section s{"Tensor dump", "", {}};
    s.text = fmt::format("{}: {} match, {} mismatch, {} missing, {} extra, {} unreadable.", a.dir.string(), a.count(TensorStatus::match),
                         a.count(TensorStatus::mismatch), a.count(TensorStatus::missing), a.count(TensorStatus::extra),
                         a.count(TensorStatus::unreadable));
    Table t;
    t.columns = {"tensor", "status", "type", "relative error", "cosine", "max |diff|", "diagnosis"};
    for (const auto& x : a.tensors) {
        const bool compared = x.status == TensorStatus::match || x.status == TensorStatus::mismatch;
        const double nan = std::nan("");
        std::string diagnosis = x.problem;
        for (const auto& d : x.diagnoses) diagnosis += (diagnosis.empty() ? "" : "; ") + d.kind + ": " + d.message;
        if (x.status == TensorStatus::mismatch && x.diagnoses.empty())
            diagnosis = "no tested hypothesis explains the difference";
        t.rows.push_back({x.name, std::string(audit::status_name(x.status)), x.status == TensorStatus::extra ? "-" : type_label(x.type),
                          compared ? x.agreement.relative_rms : nan, compared ? x.agreement.cosine : nan,
                          compared ? x.agreement.max_abs_diff : nan, diagnosis});
        const bool fails = x.status == TensorStatus::mismatch || x.status == TensorStatus::unreadable ||
                           (x.status == TensorStatus::missing && !a.allow_missing) || (x.status == TensorStatus::extra && !a.allow_extra);
        t.row_status.emplace_back(fails ? "error" : x.status == TensorStatus::match ? "ok" : "");
    }
    s.blocks.push_back({"", "Failing tensors are marked; click a column's title to sort.", std::move(t)});
    return s;
}

}  // namespace

Page audit_page(const audit::AuditReport& report) {
    Page page;
    page.title = "gguf-doctor audit " + report.model_path;
    page.passed = report.passed();
    // The last line of the text report is the verdict: one summary, written once.
    std::string text = render_text(report, false);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    page.verdict = text.substr(text.rfind('\n') + 1);
    page.subtitle = fmt::format("{}{}{}", report.dump ? "dump " + report.dump->dir.string() : "", report.dump && report.trace ? ", " : "",
                                report.trace ? "trace " + report.trace_path : "");
    page.generator = "gguf-doctor " + report.tool_version;
    if (report.trace) page.sections.push_back(trace_section(*report.trace, report.trace_path));
    if (report.dump) page.sections.push_back(dump_section(*report.dump));
    return page;
}

}  // namespace gguf::report
