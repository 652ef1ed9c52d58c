#include <fmt/format.h>

#include "gguf/report/report.hpp"
#include "report_internal.hpp"

namespace gguf::report {

Verdict verdict(const Report& report) {
    Verdict v;
    for (const auto& f : report.findings) {
        switch (f.severity) {
            case Severity::error: ++v.errors; break;
            case Severity::warning: ++v.warnings; break;
            case Severity::info: ++v.infos; break;
        }
        if (f.severity >= report.fail_on) v.passed = false;
    }
    return v;
}

std::string verdict_line(const Report& report) {
    const Verdict v = verdict(report);
    const auto plural = [](std::uint64_t n, std::string_view one, std::string_view many) {
        return fmt::format("{} {}", n, n == 1 ? one : many);
    };
    return fmt::format("{}  {}, {}, {} (fails on: {})", v.passed ? "PASS" : "FAIL", plural(v.errors, "error", "errors"),
                       plural(v.warnings, "warning", "warnings"), plural(v.infos, "note", "notes"),
                       severity_name(report.fail_on));
}

std::string category_of(std::string_view code) {
    if (code.size() < 4 || !code.starts_with("GD-")) return "other";
    switch (code[3]) {
        case 'S': return "structure";
        case 'A': return "architecture";
        case 'V': return "vocabulary";
        case 'T': return "tokenizer";
        case 'W': return "weights";
        case 'F': return "forward pass";
        default: return "other";
    }
}

namespace detail {

std::string title_of(const Report& report, std::string_view code) {
    for (const auto& c : report.codes)
        if (c.code == code) return c.title;
    return {};
}

std::string one_line(const model::Finding& f) {
    return f.subject.empty() ? f.message : f.subject + ": " + f.message;
}

std::string evidence_line(const model::Finding& f) {
    std::string out;
    for (const auto& e : f.evidence) {
        if (!out.empty()) out += ", ";
        out += e.name + "=" + e.value;
    }
    return out;
}

std::string human_bytes(std::uint64_t bytes) {
    const double b = static_cast<double>(bytes);
    if (b >= 1e9) return fmt::format("{:.2f} GB", b / 1e9);
    if (b >= 1e6) return fmt::format("{:.1f} MB", b / 1e6);
    if (b >= 1e3) return fmt::format("{:.1f} kB", b / 1e3);
    return fmt::format("{} bytes", bytes);
}

}  // namespace detail
}  // namespace gguf::report
