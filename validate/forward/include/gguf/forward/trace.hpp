// Per-layer, per-op activations of a forward pass: the comparison points a user needs to find where
// their own engine diverges. The JSON form is documented in docs/trace.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gguf::forward {

struct TraceOptions {
    std::size_t first_values = 8;  // values kept from the start of each activation
    bool keep_values = false;      // keep every value (for --npy-dir and op-by-op comparisons)
};

struct TraceRecord {
    std::int32_t layer = -1;              // -1 for ops outside the layers (embedding, output_norm, logits)
    std::string op;                       // "attn_norm", "q", "k", "v", ... (docs/trace.md lists them)
    std::vector<std::uint64_t> shape;     // [n_tokens, width] (outermost first, as NumPy would say)
    double min = 0, max = 0, mean = 0, rms = 0;  // over the finite values only
    std::uint64_t non_finite = 0;         // NaN and infinite values
    std::vector<float> first;             // first `first_values` values
    std::vector<float> values;            // all values when keep_values
};

class Trace {
public:
    explicit Trace(TraceOptions options = {}) : options_(options) {}

    const TraceOptions& options() const { return options_; }
    const std::vector<TraceRecord>& records() const { return records_; }

    // Summarizes `data` (row-major, `shape`) and appends a record.
    void record(std::int32_t layer, std::string_view op, std::vector<std::uint64_t> shape, std::span<const float> data);

    // The record of (layer, op), or nullptr.
    const TraceRecord* find(std::int32_t layer, std::string_view op) const;

private:
    TraceOptions options_;
    std::vector<TraceRecord> records_;
};

}  // namespace gguf::forward
