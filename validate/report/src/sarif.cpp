// SARIF 2.1.0 (OASIS), the format code-scanning services ingest: the driver lists every code as a
// rule, each finding is a result with a level, the model file as its artifact, the tensor or key as
// a logical location, and the byte offset as a region when the finding has one.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "gguf/report/report.hpp"
#include "report_internal.hpp"

namespace gguf::report {
namespace {

std::string_view level(Severity s) {
    switch (s) {
        case Severity::error: return "error";
        case Severity::warning: return "warning";
        case Severity::info: return "note";
    }
    return "none";
}

// A relative URI reference for the file path: percent-encode what RFC 3986 does not allow in a path.
std::string uri_reference(std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : path) {
        const bool unreserved = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::optional<std::uint64_t> byte_offset(const model::Finding& f) {
    for (const auto& e : f.evidence) {
        if (e.name != "byte_offset") continue;
        try {
            return std::stoull(e.value);
        } catch (...) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string render_sarif(const Report& report) {
    using nlohmann::ordered_json;
    // The rules: every described code, plus any code a finding has without a description.
    std::vector<CodeDescription> rules = report.codes;
    for (const auto& f : report.findings)
        if (std::none_of(rules.begin(), rules.end(), [&](const CodeDescription& c) { return c.code == f.code; }))
            rules.push_back(CodeDescription{f.code, f.code, f.severity});
    ordered_json rule_list = ordered_json::array();
    for (const auto& r : rules) {
        std::string anchor = r.code;
        std::transform(anchor.begin(), anchor.end(), anchor.begin(), [](unsigned char c) { return std::tolower(c); });
        rule_list.push_back({{"id", r.code},
                             {"shortDescription", {{"text", r.title}}},
                             {"help", {{"text", "See docs/findings.md#" + anchor + " in gguf-doctor."}}},
                             {"defaultConfiguration", {{"level", level(r.severity)}}},
                             {"properties", {{"category", category_of(r.code)}}}});
    }

    const std::string uri = uri_reference(report.path);
    ordered_json results = ordered_json::array();
    for (const auto& f : report.findings) {
        const auto index = std::find_if(rules.begin(), rules.end(), [&](const CodeDescription& c) { return c.code == f.code; }) - rules.begin();
        ordered_json physical = {{"artifactLocation", {{"uri", uri}, {"index", 0}}}};
        if (auto offset = byte_offset(f)) physical["region"] = {{"byteOffset", *offset}};
        ordered_json location = {{"physicalLocation", std::move(physical)}};
        if (!f.subject.empty()) location["logicalLocations"] = ordered_json::array({{{"name", f.subject}}});
        ordered_json evidence = ordered_json::object();
        for (const auto& e : f.evidence) evidence[e.name] = e.value;
        ordered_json result = {{"ruleId", f.code},
                               {"ruleIndex", index},
                               {"level", level(f.severity)},
                               {"message", {{"text", detail::one_line(f)}}},
                               {"locations", ordered_json::array({std::move(location)})}};
        ordered_json properties = {{"evidence", std::move(evidence)}};
        if (!f.hint.empty()) properties["hint"] = f.hint;
        result["properties"] = std::move(properties);
        results.push_back(std::move(result));
    }

    const Verdict v = verdict(report);
    ordered_json run = {
        {"tool", {{"driver", {{"name", "gguf-doctor"},
                              {"version", report.tool_version},
                              {"rules", std::move(rule_list)}}}}},
        {"invocations", ordered_json::array({{{"executionSuccessful", true},
                                              {"properties", {{"verdict", verdict_line(report)}, {"passed", v.passed}}}}})},
        {"artifacts", ordered_json::array({{{"location", {{"uri", uri}}}, {"roles", {"analysisTarget"}}}})},
        {"results", std::move(results)},
    };
    if (report.model) run["artifacts"][0]["length"] = report.model->file_bytes;
    ordered_json log = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                        {"version", "2.1.0"},
                        {"runs", ordered_json::array({std::move(run)})}};
    return log.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace gguf::report
