// Each command's HTML report: its results turned into a Page (page.hpp), which render_html() draws.
// The builders only choose tables and plots; the one HTML renderer draws every command's pages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/forward/trace.hpp"
#include "gguf/report/audit.hpp"
#include "gguf/report/diff.hpp"
#include "gguf/report/page.hpp"
#include "gguf/report/report.hpp"
#include "gguf/report/stats.hpp"
#include "gguf/stats.hpp"

namespace gguf::report {

// What `check` measured beyond its findings, for the plots. Every part may be absent.
struct CheckMeasurements {
    const Container* model = nullptr;               // the norm vectors' values (their mean |gain|)
    std::vector<dequant::TensorStats> tensors;      // with linear histograms; empty with --no-values
    double norm_outlier_ratio = 0;                  // the norm sibling rule's threshold; 0: no band drawn
    std::optional<forward::SanityMeasures> sanity;  // the prompts' predictions and the perplexity
    std::optional<forward::Trace> trace;            // one forward pass over `trace_prompt`
    std::string trace_prompt;
};

// check: verdict and findings, norms and weight RMS across layers, block scales, a histogram per
// tensor, the prompts' predictions and perplexity, activation RMS per layer and op; then the report's
// own extra sections.
Page check_page(const Report& report, const CheckMeasurements& measured);
// stats: a sortable table of every tensor, RMS across layers, a histogram per tensor, totals per type.
Page stats_page(const std::string& file, const std::vector<stats::Entry>& entries, const std::string& tool_version);
// diff: per-tensor difference across layers, the tensors and metadata that differ, KL per position.
Page diff_page(const DiffReport& report, const std::string& tool_version);
// audit: a layer-by-op heat map of the trace's deviation from the reference, the first divergence and
// its diagnosis, the dump's tensors.
Page audit_page(const audit::AuditReport& report);

}  // namespace gguf::report
