// The HTML report's script and style (src/html/report.js and report.css, inlined at build time).
#pragma once

namespace gguf::report::detail {

extern const char* const kReportScript;
extern const char* const kReportStyle;

}  // namespace gguf::report::detail
