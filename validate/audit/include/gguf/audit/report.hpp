// The outcome of `gguf-doctor audit`: the dump's and the trace's audits of one run. The report module
// (gguf/report/audit.hpp) renders it as text, JSON and JUnit XML.
#pragma once

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

}  // namespace gguf::audit
