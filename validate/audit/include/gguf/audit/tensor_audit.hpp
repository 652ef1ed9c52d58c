// One tensor as a user's loader produced it, against the reference decoding of the GGUF file: equal
// within tolerance, or a diagnosis. Each hypothesis (transposed, scaled, offset, byte-swapped, wrong
// type, K-quant scale unpacking, Q/K RoPE row order, rows permuted, only a prefix right, vocabulary
// padding) is tested by transforming the reference (or re-reading the file's bytes the mistaken way)
// and comparing with the user's values; a diagnosis is reported only when that comparison agrees.
// docs/audit.md lists every diagnosis with its evidence.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gguf/audit/npy.hpp"
#include "gguf/container.hpp"
#include "gguf/model/finding.hpp"

namespace gguf::audit {

// An element agrees when |theirs - reference| <= atol + rtol * |reference|; NaN agrees with NaN and
// an infinity with the same infinity.
struct Tolerance {
    double rtol = 0;
    double atol = 0;
};

// For a float32 dump: rtol 1e-5 and atol 1e-6 * max|reference| (a decoder that orders its float
// operations differently from ggml is still right). For a float16 dump: rtol 1e-3 (half precision
// rounds to 2^-11 relative) and atol at least 2^-24 (its subnormals).
Tolerance default_tolerance(bool float16_dump, double max_abs_reference);

struct Agreement {
    std::uint64_t compared = 0;        // elements compared
    std::uint64_t within = 0;          // of those, within tolerance
    std::uint64_t first_mismatch = 0;  // index of the first element outside tolerance (= compared when none)
    double max_abs_diff = 0;           // over the pairs of finite values
    std::uint64_t max_abs_diff_index = 0;
    double max_abs_reference = 0;
    double relative_rms = 0;           // ||theirs - reference|| / ||reference|| over finite pairs
    double cosine = 0;                 // of the finite pairs (1 when both are all zero)
    bool equal() const { return within == compared; }
};

// Compares the first min(reference.size(), theirs.size()) elements. threads <= 0: every core.
Agreement compare_values(std::span<const float> reference, std::span<const float> theirs, const Tolerance& tolerance,
                         int threads = 0);

struct Diagnosis {
    std::string kind;        // stable name, e.g. "transposed", "scaled" (docs/audit.md lists them)
    std::string message;     // one sentence a person can act on
    std::vector<model::Evidence> evidence;
    std::uint64_t compared = 0;  // elements compared under this hypothesis
    std::uint64_t within = 0;    // of those, agreeing with the user's values
};

enum class TensorStatus : std::uint8_t {
    match,       // every value within tolerance
    mismatch,    // values (or shape) differ: see diagnoses
    missing,     // a tensor of the model with no dump file
    extra,       // a dump file whose name maps to no tensor of the model
    unreadable,  // the dump file or the tensor cannot be read (problem says why)
};
std::string_view status_name(TensorStatus status);

// Which row order the user's engine keeps for attn_q / attn_k of RoPE-on-adjacent-pairs models (llama):
// GGUF's (llama.cpp's RoPE), or Hugging Face's (rotate-half RoPE; convert_hf_to_gguf.py permutes the
// rows into GGUF's order, so such an engine undoes that permutation).
enum class QkOrder : std::uint8_t { gguf, hf };

struct TensorAudit {
    std::string name;                     // the GGUF tensor; for an extra file, the name it maps to
    std::filesystem::path file;           // the dump file; for a missing tensor, the file that was expected
    TensorStatus status = TensorStatus::match;
    std::uint32_t type = 0;               // the tensor's GGUF type
    std::vector<std::uint64_t> expected_shape;  // NumPy order: reversed ne
    std::vector<std::uint64_t> dump_shape;
    std::string dump_dtype;
    Tolerance tolerance;
    Agreement agreement;                  // element by element, over the common prefix
    std::vector<Diagnosis> diagnoses;     // hypotheses that fit, most specific first; empty on a match
    std::vector<std::string> tested;      // every hypothesis tested (a mismatch without diagnosis lists them)
    std::string problem;                  // unreadable: why
};

struct TensorAuditOptions {
    // Override either half of default_tolerance() (which depends on the dump's precision).
    std::optional<double> rtol;
    std::optional<double> atol;
    QkOrder qk_order = QkOrder::gguf;
    int threads = 0;                      // <= 0: every core
};

// Audits one tensor of `model` against `theirs`, the values a loader produced for it.
TensorAudit audit_tensor(const Container& model, const TensorInfo& tensor, const NpyArray& theirs,
                         const TensorAuditOptions& options = {});

}  // namespace gguf::audit
