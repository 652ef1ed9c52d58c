// `audit --trace THEIRS.json`: a user's per-op activations (docs/trace.md) against the reference pass
// on the same tokens. Finds the first layer and op where they diverge, says which inputs of that op
// still agree (so the fault lies in the op or its weights), and tests hypotheses by recomputing the op
// from the reference's own inputs the mistaken way (no residual, norm without its weight, RoPE style or
// base, attention scale or mask, activation function...) and comparing with the user's numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/audit/tensor_audit.hpp"
#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/forward.hpp"
#include "gguf/forward/trace_io.hpp"

namespace gguf::audit {

struct TraceAuditOptions {
    // An activation diverges when one of its compared numbers differs by more than this, relative to
    // the activation's scale (docs/audit.md, "How activations are compared"). Engines that round
    // activations to half precision or 8 bits stay well below the default.
    double tolerance = 0.05;
    QkOrder qk_order = QkOrder::gguf;  // hf: their q_proj/k_proj/q/k columns are in Hugging Face's order
};

struct RecordComparison {
    std::int32_t layer = -1;
    std::string op;
    forward::TraceRecord ours;    // summary only (values dropped), first values as many as theirs
    forward::TraceRecord theirs;  // as read from their trace
    bool full_values = false;     // their record named an .npy: compared value by value
    double deviation = 0;         // the largest relative difference of the compared numbers
    std::string worst;            // which number: "rms", "min", "first[3]", "values", "shape", "non_finite"
    double relative_rms = 0;      // full values: ||theirs - ours|| / ||ours||
    double max_abs_diff = 0;      // full values
    bool diverged = false;
};

struct TraceAudit {
    std::vector<std::int32_t> tokens;
    double tolerance = 0;
    std::vector<RecordComparison> records;      // reference order; records both traces have
    std::vector<std::string> not_in_theirs;     // "blk.0.q_proj" ...
    std::vector<std::string> not_in_ours;
    std::optional<std::size_t> first_divergence;  // index into records
    // Where the fault lies, from which inputs of the first diverging op agree, e.g. "blk.3.attn_out
    // agrees, blk.3.attn_residual does not: the residual add (x + attn_out) or its input x".
    std::string localisation;
    std::vector<Diagnosis> explanations;        // hypotheses that reproduce their numbers at that op
    std::vector<std::string> tested;

    bool passed() const { return !records.empty() && !first_divergence; }
};

// Runs `reference` (reset first) on the trace's tokens and compares. Fails (invalid_argument) for a
// trace without tokens, one that does not start at position 0, or an .npy that cannot be read or
// does not match its record's shape; forward-pass errors are passed on.
Result<TraceAudit> audit_trace(const Container& model, forward::Forward& reference, const forward::TraceFile& theirs,
                               const TraceAuditOptions& options = {});

}  // namespace gguf::audit
