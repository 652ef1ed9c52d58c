// The report for people: what was checked, findings grouped by severity (errors first), a verdict.
#include <fmt/format.h>

#include <set>

#include "gguf/report/report.hpp"
#include "report_internal.hpp"

namespace gguf::report {
namespace {

struct Style {
    bool on;
    std::string wrap(std::string_view text, std::string_view sgr) const {
        return on ? fmt::format("\x1b[{}m{}\x1b[0m", sgr, text) : std::string(text);
    }
};

constexpr std::string_view kRed = "1;31", kYellow = "1;33", kCyan = "36", kBold = "1", kDim = "2", kGreen = "1;32";

std::string model_line(const ModelSummary& m) {
    std::string line = m.architecture.empty() ? "unknown architecture" : m.architecture;
    if (!m.modelled && !m.architecture.empty()) line += " (not modelled)";
    if (m.n_layer) line += fmt::format(", {} layers", m.n_layer);
    if (m.n_embd) line += fmt::format(", n_embd {}", m.n_embd);
    if (m.n_vocab) line += fmt::format(", {} tokens", m.n_vocab);
    line += fmt::format(", {} tensors, {:.1f}M parameters, {}", m.n_tensors, static_cast<double>(m.n_parameters) / 1e6,
                        detail::human_bytes(m.file_bytes));
    return line;
}

void render_group(std::string& out, const Report& report, Severity severity, std::string_view heading,
                  std::string_view colour, const Style& style) {
    std::vector<const model::Finding*> group;
    for (const auto& f : report.findings)
        if (f.severity == severity) group.push_back(&f);
    if (group.empty()) return;
    out += "\n" + style.wrap(fmt::format("{} ({})", heading, group.size()), colour) + "\n";
    std::set<std::string_view> hinted;  // a hint repeated for every truncated tensor helps nobody
    for (const model::Finding* f : group) {
        out += fmt::format("  {}  {}\n", style.wrap(f->code, colour), detail::one_line(*f));
        if (!f->evidence.empty()) out += fmt::format("           {}\n", style.wrap("evidence: " + detail::evidence_line(*f), kDim));
        if (!f->hint.empty() && hinted.insert(f->code).second)
            out += fmt::format("           {}\n", style.wrap("hint: " + f->hint, kDim));
    }
}

}  // namespace

std::string render_text(const Report& report, bool colour) {
    const Style style{colour};
    std::string out = style.wrap("gguf-doctor check", kBold) + "  " + report.path + "\n";
    if (report.model) out += "  " + model_line(*report.model) + "\n";
    render_group(out, report, Severity::error, "ERRORS", kRed, style);
    render_group(out, report, Severity::warning, "WARNINGS", kYellow, style);
    render_group(out, report, Severity::info, "NOTES", kCyan, style);
    if (!report.steps.empty()) {
        out += "\n" + style.wrap("Checked", kBold) + "\n";
        for (const auto& s : report.steps)
            out += fmt::format("  {:<14} {}{}\n", s.name, s.status, s.detail.empty() ? "" : " (" + s.detail + ")");
    }
    const Verdict v = verdict(report);
    out += "\n" + style.wrap(verdict_line(report), v.passed ? kGreen : kRed) +
           fmt::format("  {:.1f} s\n", report.seconds);
    return out;
}

}  // namespace gguf::report
