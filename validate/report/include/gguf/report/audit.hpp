// `gguf-doctor audit`'s outcome in the forms people and pipelines read: text, JSON (docs/audit.md,
// "JSON output") and JUnit XML (one test case per tensor and per compared activation).
#pragma once

#include <string>

#include "gguf/audit/report.hpp"

namespace gguf::report {

// `verbose`: also list the tensors that match and every compared activation.
std::string render_text(const audit::AuditReport& report, bool verbose = false);
std::string render_json(const audit::AuditReport& report);
std::string render_junit(const audit::AuditReport& report);

}  // namespace gguf::report
