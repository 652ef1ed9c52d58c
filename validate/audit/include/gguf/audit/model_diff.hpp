// `gguf-doctor diff A B`: what changed between two models (two conversions of one checkpoint, a model
// and its quantization): metadata keys added, removed or changed; tensors added or removed, type and
// shape changes; and for tensors of the same shape, how far apart their dequantized values are.
// With a forward pass, how far apart their next-token distributions are (KL divergence, top-1
// agreement), as llama-perplexity --kl-divergence reports.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/compare.hpp"
#include "gguf/forward/forward.hpp"

namespace gguf::audit {

struct MetadataChange {
    enum class Kind : std::uint8_t { added, removed, changed };
    Kind kind = Kind::changed;
    std::string key;
    std::string a, b;  // the values as short text ("" where absent)
};

struct TensorComparison {
    std::string name;
    bool in_a = false, in_b = false;
    std::uint32_t type_a = 0, type_b = 0;
    std::vector<std::uint64_t> ne_a, ne_b;  // ggml order
    bool identical_bytes = false;  // same type, shape and bytes (values not decoded)
    bool compared = false;         // values decoded and compared (same element count, both types supported)
    std::string note;              // why the values were not compared
    // Of the values of B against those of A (finite pairs):
    double relative_error = 0;     // ||b - a|| / ||a||
    double cosine = 1;
    double max_abs_diff = 0;
    std::uint64_t nonfinite_mismatches = 0;  // positions where exactly one of the two is finite, or both differ

    bool differs() const;
};

struct ModelDiff {
    std::vector<MetadataChange> metadata;
    // Tensors only in one model first, then shape changes, then compared tensors worst first (by
    // relative error), identical ones last.
    std::vector<TensorComparison> tensors;
    bool identical() const;  // no metadata change and no tensor differs
};

struct DiffOptions {
    int threads = 0;  // <= 0: every core
    // Called with (tensors done, tensors to compare).
    std::function<void(std::uint64_t, std::uint64_t)> progress;
};

// Fails only when a tensor's bytes cannot be viewed (structural damage in either file).
Result<ModelDiff> diff_models(const Container& a, const Container& b, const DiffOptions& options = {});

// The next-token distributions of two forward passes over the same tokens, B against A.
struct ForwardDiff {
    std::uint64_t positions = 0;     // predictions compared (one per token)
    double mean_kl = 0;              // KL(P_A || P_B) in nats, mean over positions
    double median_kl = 0, p99_kl = 0, max_kl = 0;
    double top1_agreement = 0;       // fraction of positions whose most likely token is the same
    std::vector<double> kl;          // KL(P_A || P_B) at each position, in token order
    double perplexity_a = 0, perplexity_b = 0;  // of tokens[1..] given the tokens before them
    forward::LogitsAgreement logits; // max |diff| and relative difference of the raw logits
};

// The logits of every position of `tokens` from model A and model B, compared. Fails
// (invalid_argument) for fewer than two tokens or logits of different shapes (other vocabularies).
Result<ForwardDiff> compare_predictions(const forward::Logits& a, const forward::Logits& b, std::span<const std::int32_t> tokens);
// Evaluates both passes (reset before and after) on `tokens`, then compare_predictions. To keep one
// model in memory at a time (GPU), evaluate them in turn and call compare_predictions.
Result<ForwardDiff> compare_forward(forward::Forward& a, forward::Forward& b, std::span<const std::int32_t> tokens);

// A metadata value as short text for reports: numbers, quoted strings (escaped, cut at 80 bytes),
// arrays as "[uint32 x 3] 1, 2, 3" with the first few elements.
std::string value_text(const Value& value);

}  // namespace gguf::audit
