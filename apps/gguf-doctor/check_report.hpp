// check's whole pipeline as a function, for commands that judge a file the way `check` does (fix runs
// it on its input and on the file it wrote, and prints the two verdicts side by side).
#pragma once

#include <string>

#include "forward_setup.hpp"
#include "gguf/report/report.hpp"

namespace gguf::cli {

// The report `gguf-doctor check PATH` prints, with its default settings and the given backend; nothing
// is printed. A file that cannot be parsed gives a report with that finding.
report::Report check_report(const std::string& path, const BackendOptions& backend);

}  // namespace gguf::cli
