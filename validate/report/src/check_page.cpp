// The check's HTML page: what a person chasing a loader bug wants to see of the model's shape.
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "gguf/report/html.hpp"
#include "layers.hpp"
#include "report_internal.hpp"
#include "tensor_blocks.hpp"

namespace gguf::report {
namespace {

std::string model_line(const std::optional<ModelSummary>& m) {
    if (!m) return "the file cannot be parsed";
    std::string line = m->architecture.empty() ? "unknown architecture" : m->architecture;
    if (!m->modelled && !m->architecture.empty()) line += " (not modelled)";
    if (m->n_layer) line += fmt::format(", {} layers", m->n_layer);
    if (m->n_embd) line += fmt::format(", n_embd {}", m->n_embd);
    if (m->n_vocab) line += fmt::format(", {} tokens", m->n_vocab);
    return line + fmt::format(", {} tensors, {:.1f}M parameters, {}", m->n_tensors, static_cast<double>(m->n_parameters) / 1e6,
                              detail::human_bytes(m->file_bytes));
}

Section findings_section(const Report& r) {
    Section s{"Findings", "", {}};
    const Verdict v = verdict(r);
    s.text = r.findings.empty() ? "No finding: every check that ran found nothing to report."
                                : fmt::format("{} errors, {} warnings, {} notes. The check fails on {} and above; "
                                              "docs/findings.md explains every code.",
                                              v.errors, v.warnings, v.infos, severity_name(r.fail_on));
    Table t;
    t.columns = {"code", "severity", "category", "subject", "message", "evidence", "hint"};
    for (Severity level : {Severity::error, Severity::warning, Severity::info})
        for (const auto& f : r.findings) {
            if (f.severity != level) continue;
            t.rows.push_back({f.code, std::string(severity_name(f.severity)), category_of(f.code), f.subject, f.message,
                              detail::evidence_line(f), f.hint});
            t.row_status.emplace_back(severity_name(f.severity));
        }
    if (!t.rows.empty()) s.blocks.push_back({"", "", std::move(t)});
    Table steps;
    steps.columns = {"part", "status", "detail"};
    steps.sortable = false;
    for (const auto& step : r.steps) {
        steps.rows.push_back({step.name, step.status, step.detail});
        steps.row_status.push_back(step.status == "ran" ? "ok" : step.status == "failed" ? "error" : "");
    }
    if (!steps.rows.empty()) s.blocks.push_back({"What was checked", "", std::move(steps)});
    return s;
}

// The token piece as shown: raw bytes may be part of a UTF-8 character (the renderer replaces them).
std::string quoted_piece(const std::string& piece) { return "\u201c" + piece + "\u201d"; }

Section forward_section(const forward::SanityMeasures& m) {
    Section s{"Forward pass", "", {}};
    s.text = m.perplexity_measured
                 ? fmt::format("Perplexity {:.4g} on {} tokens of {} ({:.3g} nats per token; a uniform guess over the {} "
                               "tokens of the vocabulary would score {:.3g}). Mean entropy of the predictions {:.3g} nats, "
                               "{} distinct top tokens over {} positions.",
                               m.perplexity, m.text_tokens, m.text_label, m.mean_nll, m.n_vocab, m.uniform_entropy,
                               m.mean_entropy, m.distinct_argmax, m.scored_positions)
                 : fmt::format("Perplexity was not measured (no tokenizer). Mean entropy of the predictions {:.3g} nats "
                               "(uniform: {:.3g}), {} distinct top tokens over {} positions.",
                               m.mean_entropy, m.uniform_entropy, m.distinct_argmax, m.scored_positions);
    Table t;
    t.columns = {"prompt", "top 1", "p", "top 2", "p", "top 3", "p", "entropy (nats)", "greedy continuation"};
    t.sortable = false;
    for (const auto& p : m.prompts) {
        std::vector<Cell> row{p.prompt};
        for (std::size_t k = 0; k < 3; ++k) {
            if (k < p.top.size()) {
                const auto& top = p.top[k];
                row.emplace_back(top.text.empty() ? fmt::format("#{}", top.id) : quoted_piece(top.text));
                row.emplace_back(top.probability);
            } else {
                row.emplace_back(std::string());
                row.emplace_back(std::nan(""));
            }
        }
        row.emplace_back(p.entropy);
        row.emplace_back(p.generated_text.empty() && !p.generated.empty() ? fmt::format("{} tokens", p.generated.size())
                                                                           : p.generated_text);
        t.rows.push_back(std::move(row));
        t.row_status.push_back(p.repeat_period ? "warning" : "");
    }
    s.blocks.push_back({"Top predictions per prompt",
                        "The most likely next tokens after each prompt. A healthy model puts sensible tokens first; the "
                        "same token after every prompt, or a continuation that repeats, means the pass computes garbage.",
                        std::move(t)});
    return s;
}

Section trace_section(const forward::Trace& trace, const std::string& prompt) {
    Section s{"Activations", "", {}};
    s.text = "The RMS of every op's output in every layer for one forward pass over \u201c" + prompt +
             "\u201d (the reference pass of this check). The residual stream's RMS grows from layer to layer in every "
             "healthy pre-norm transformer, often by orders of magnitude: that growth is normal. What is not normal is "
             "a jump in one layer and op, NaN, or a norm's output whose RMS is not near its gains' scale.";
    detail::LayerSeries rms;
    Table global;
    global.columns = {"op", "shape", "min", "max", "mean", "rms", "non-finite"};
    for (const auto& r : trace.records()) {
        if (r.layer >= 0) rms.add(r.op, r.layer, r.rms);
        else
            global.rows.push_back({r.op, detail::shape_text(r.shape), r.min, r.max, r.mean, r.rms, static_cast<double>(r.non_finite)});
    }
    if (!rms.empty())
        s.blocks.push_back({"Activation RMS per layer and op", "One line per op; logarithmic scale.",
                            LinePlot{"layer", "rms", rms.series(), {}, true, false}});
    if (!global.rows.empty()) s.blocks.push_back({"Outside the layers", "", std::move(global)});
    return s;
}

}  // namespace

Page check_page(const Report& report, const CheckMeasurements& measured) {
    Page page;
    page.title = "gguf-doctor check " + report.path;
    page.subtitle = model_line(report.model);
    page.passed = verdict(report).passed;
    page.verdict = verdict_line(report) + fmt::format("  ({:.1f} s)", report.seconds);
    page.generator = "gguf-doctor " + report.tool_version;
    page.sections.push_back(findings_section(report));

    std::vector<const dequant::TensorStats*> tensors;
    for (const auto& t : measured.tensors) tensors.push_back(&t);
    if (!tensors.empty()) {
        Section weights{"Weights across layers", "", {}};
        for (Block& b : detail::norm_blocks(tensors, measured.model, measured.norm_outlier_ratio)) weights.blocks.push_back(std::move(b));
        if (auto rms = detail::weight_rms_block(tensors)) weights.blocks.push_back(std::move(*rms));
        if (weights.blocks.empty()) weights.text = "No tensor is named by layer (blk.N.*): nothing to plot across layers.";
        page.sections.push_back(std::move(weights));
        page.sections.push_back(detail::block_scale_section(tensors));
        page.sections.push_back({"Tensors", "", {detail::histograms_block(tensors)}});
    } else {
        page.sections.push_back({"Weights", "The tensor data was not read (--no-values, or the file cannot be parsed).", {}});
    }
    if (measured.sanity) page.sections.push_back(forward_section(*measured.sanity));
    if (measured.trace) page.sections.push_back(trace_section(*measured.trace, measured.trace_prompt));
    for (const Section& s : report.sections) page.sections.push_back(s);
    return page;
}

}  // namespace gguf::report
