// `check`: every rule over one model — structure, hyperparameters, schema, vocabulary, tokenizer, and
// the value rules on statistics from one streaming pass over the tensor data. Returns findings; the
// forward pass's findings are added by the caller (apps/), which owns the choice of backend.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/model/finding.hpp"
#include "gguf/model/spec.hpp"
#include "gguf/rules/settings.hpp"

namespace gguf::rules {

struct CheckOptions {
    RuleSettings settings;
    bool values = true;  // read the tensor data and run the value rules
    int threads = 0;     // <= 0: all cores
    // Called as tensor data is read (bytes done, bytes in total), possibly from worker threads but
    // never concurrently.
    std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct CheckResult {
    std::optional<model::ModelSpec> spec;  // absent when the hyperparameters cannot be read
    bool modelled = false;                 // a schema and a forward pass exist for the architecture
    bool schema_checked = false;           // the file was checked against its architecture's schema
    std::vector<model::Finding> findings;  // in rule order; disabled codes removed, overrides applied
    std::uint64_t tensors_read = 0;        // tensors whose values were checked
    std::uint64_t bytes_read = 0;
};

CheckResult check(const Container& model, const CheckOptions& options = {});

// The finding for a file that cannot be parsed at all (GD-S015), for reports of unreadable input.
model::Finding unparsable_finding(const Error& error);

// Removes disabled codes and applies severity overrides (for findings from other sources, e.g. the
// forward pass, so --disable and --rules treat every code alike).
void apply_settings(std::vector<model::Finding>& findings, const RuleSettings& settings);

}  // namespace gguf::rules
