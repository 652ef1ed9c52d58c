// The report as one JSON document (docs/findings.md describes the fields): scripts read the verdict,
// the findings with their evidence, and what was checked.
#include <nlohmann/json.hpp>

#include "gguf/report/report.hpp"
#include "report_internal.hpp"

namespace gguf::report {

std::string render_json(const Report& report) {
    using nlohmann::ordered_json;
    ordered_json j;
    j["tool"] = {{"name", "gguf-doctor"}, {"version", report.tool_version}};
    j["file"] = report.path;
    if (report.model) {
        const ModelSummary& m = *report.model;
        j["model"] = {{"architecture", m.architecture}, {"modelled", m.modelled},   {"n_layer", m.n_layer},
                      {"n_embd", m.n_embd},             {"n_vocab", m.n_vocab},     {"n_tensors", m.n_tensors},
                      {"n_parameters", m.n_parameters}, {"file_bytes", m.file_bytes}};
    } else {
        j["model"] = nullptr;
    }
    const Verdict v = verdict(report);
    j["verdict"] = {{"passed", v.passed},  {"fail_on", severity_name(report.fail_on)}, {"errors", v.errors},
                    {"warnings", v.warnings}, {"infos", v.infos}};
    ordered_json findings = ordered_json::array();
    for (const auto& f : report.findings) {
        ordered_json evidence = ordered_json::object();
        for (const auto& e : f.evidence) evidence[e.name] = e.value;
        findings.push_back({{"code", f.code},
                            {"severity", severity_name(f.severity)},
                            {"category", category_of(f.code)},
                            {"title", detail::title_of(report, f.code)},
                            {"subject", f.subject},
                            {"message", f.message},
                            {"evidence", std::move(evidence)},
                            {"hint", f.hint}});
    }
    j["findings"] = std::move(findings);
    ordered_json steps = ordered_json::array();
    for (const auto& s : report.steps) steps.push_back({{"name", s.name}, {"status", s.status}, {"detail", s.detail}});
    j["checks"] = std::move(steps);
    j["seconds"] = report.seconds;
    // Strings from a model file need not be UTF-8 (token text, tensor names): replace invalid bytes
    // rather than fail, so the report is always valid JSON.
    return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace gguf::report
