// A check's outcome in the forms people and pipelines read: text grouped by severity with a one-line
// verdict, JSON, JUnit XML (one test case per failing finding) and SARIF 2.1.0 (one result per finding),
// and HTML (page.hpp). Renderers return strings; the caller decides where they go (nothing here prints).
// This module renders every command's results: stats.hpp, diff.hpp and audit.hpp hold the others.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/model/finding.hpp"
#include "gguf/report/page.hpp"

namespace gguf::report {

// What a code means, for SARIF's rule list and the reports' titles.
struct CodeDescription {
    std::string code;
    std::string title;
    Severity severity = Severity::info;
};

struct ModelSummary {
    std::string architecture;            // empty when unknown
    bool modelled = false;
    std::uint64_t n_layer = 0, n_embd = 0, n_vocab = 0;
    std::uint64_t n_tensors = 0, n_parameters = 0;
    std::uint64_t file_bytes = 0;
};

// One part of the check and what became of it ("weights", "ran", "42 tensors, 1.0 GB"). Names are the
// categories of category_of(), so reports can show a category that ran clean.
struct CheckStep {
    std::string name;
    std::string status;   // "ran", "skipped", "not available"
    std::string detail;
};

struct Report {
    std::string tool_version;
    std::string path;                          // the model file as given
    std::optional<ModelSummary> model;         // absent when the file cannot be parsed
    std::vector<model::Finding> findings;
    std::vector<CodeDescription> codes;        // every code that may appear (at least those that do)
    std::vector<CheckStep> steps;
    Severity fail_on = Severity::error;
    double seconds = 0;
    // Further results as titled tables and plots (a counterfactual, a per-layer measurement): the HTML
    // report shows them after its own sections without any change to the HTML renderer. Text, JSON,
    // JUnit and SARIF do not show them (their formats are contracts with scripts).
    std::vector<Section> sections;
};

struct Verdict {
    bool passed = true;                 // no finding at or above fail_on
    std::uint64_t errors = 0, warnings = 0, infos = 0;
};
Verdict verdict(const Report& report);

// "FAIL  2 errors, 1 warning, 3 notes (fails on: error)"
std::string verdict_line(const Report& report);

// The category a code belongs to, from its letter: "structure", "architecture", "vocabulary",
// "tokenizer", "weights", "forward pass"; "other" for anything else.
std::string category_of(std::string_view code);

std::string render_text(const Report& report, bool colour);
std::string render_json(const Report& report);
std::string render_junit(const Report& report);
std::string render_sarif(const Report& report);

}  // namespace gguf::report
