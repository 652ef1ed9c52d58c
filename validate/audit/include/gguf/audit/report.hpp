// The outcome of `gguf-doctor audit` in the forms people and pipelines read: text, JSON and JUnit XML
// (one test case per tensor and per compared activation). Renderers return strings; apps/ prints.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "gguf/audit/dump_audit.hpp"
#include "gguf/audit/trace_audit.hpp"

namespace gguf::audit {

struct AuditReport {
    std::string tool_version;
    std::string model_path;
    std::optional<DumpAudit> dump;
    std::optional<TraceAudit> trace;
    std::string trace_path;
    double seconds = 0;

    // Every part that ran passed (and at least one ran).
    bool passed() const;
};

// `verbose`: also list the tensors that match and every compared activation.
std::string render_text(const AuditReport& report, bool verbose = false);
std::string render_json(const AuditReport& report);
std::string render_junit(const AuditReport& report);

}  // namespace gguf::audit
