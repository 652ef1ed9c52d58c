// What the tensor hypotheses share: the model facts they need (spec, vocabulary padding), the tensor,
// the reference values and the user's, and the element comparison.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gguf/audit/tensor_audit.hpp"
#include "gguf/container.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::audit::detail {

struct ModelFacts {
    std::optional<model::ModelSpec> spec;  // absent when the metadata does not give one
    std::uint64_t n_tokens = 0;            // entries of tokenizer.ggml.tokens
    std::uint64_t padding_start = 0;       // first of the trailing padding tokens; n_tokens when none
};
ModelFacts model_facts(const Container& model);

inline bool agrees(double reference, double theirs, const Tolerance& t) {
    if (std::isnan(reference) || std::isnan(theirs)) return std::isnan(reference) && std::isnan(theirs);
    if (std::isinf(reference) || std::isinf(theirs)) return reference == theirs;
    return std::fabs(theirs - reference) <= t.atol + t.rtol * std::fabs(reference);
}

struct Subject {
    const Container& model;
    const TensorInfo& info;
    TensorView view;
    const ModelFacts& facts;
    std::span<const float> reference;       // decoded, in the order the user should have (see QkOrder)
    std::span<const float> theirs;
    std::vector<std::uint64_t> their_shape;
    Tolerance tolerance;
    Agreement agreement;                    // reference vs theirs over the common prefix
    QkOrder qk_order = QkOrder::gguf;
    int threads = 0;

    std::uint64_t n() const { return reference.size(); }
    bool same_count() const { return reference.size() == theirs.size(); }
    std::uint64_t row_length() const { return info.ne[0]; }
    std::uint64_t n_rows() const { return info.n_rows(); }
    bool is_matrix() const { return info.ne[1] > 1 && info.ne[2] == 1 && info.ne[3] == 1 && info.ne[0] > 1; }
};

// A hypothesis explains the user's values when its prediction agrees with them on (almost) every
// compared element: at most one in a thousand may disagree (values on a rounding boundary), it covers
// at least half of the tensor, and it explains some of the elements that disagree with the reference.
// And at the scale of the user's values, not only the reference's: ||predicted - theirs|| stays within
// 1% of ||theirs||. (The absolute tolerance follows the reference's magnitude, so values far smaller
// than it, such as F16 bits read as BF16, would otherwise "agree" with any prediction of tiny numbers.)
struct Fit {
    std::uint64_t compared = 0;
    std::uint64_t within = 0;     // predicted agrees with theirs
    std::uint64_t explained = 0;  // ... where the reference does not
    double diff2 = 0;             // sum of (predicted - theirs)^2 over the finite pairs
    double their2 = 0;            // sum of theirs^2 over the same pairs
};
// predicted[i] stands for theirs[offset + i] (as far as both reach).
Fit fit(const Subject& s, std::span<const float> predicted, std::uint64_t offset = 0);
bool explains(const Subject& s, const Fit& f);

// Appends the fitting diagnosis; records the hypothesis as tested either way.
struct Findings {
    std::vector<Diagnosis> fits;
    std::vector<std::string> tested;
    void add(Diagnosis d, const Fit& f) {
        d.compared = f.compared;
        d.within = f.within;
        fits.push_back(std::move(d));
    }
    bool has(std::string_view kind) const {
        for (const auto& d : fits)
            if (d.kind == kind) return true;
        return false;
    }
};

inline model::Evidence evidence(std::string name, std::string value) { return {std::move(name), std::move(value)}; }
inline std::string number(double x) { return fmt::format("{:.6g}", x); }

// The hypotheses, by family (each file tests its own and appends what fits).
void test_layout(const Subject& s, Findings& out);     // transposed, Q/K RoPE row order
void test_encoding(const Subject& s, Findings& out);   // all zero, scaled, byte-swapped, wrong type, K-quant scales
void test_offsets(const Subject& s, Findings& out);    // offset by elements or bytes
void test_rows(const Subject& s, Findings& out);       // vocabulary padding, rows permuted, only a prefix right

// audit_tensor() with the model facts computed once per model (audit_dump audits many tensors).
TensorAudit audit_with_facts(const Container& model, const TensorInfo& tensor, const ModelFacts& facts,
                             const NpyArray& theirs, const TensorAuditOptions& options);

// Row order conversions between GGUF's Q/K layout (RoPE on adjacent pairs) and Hugging Face's
// (rotate-half): row head*d + 2i + j of GGUF holds Hugging Face's row head*d + j*d/2 + i.
std::uint64_t hf_row_of_gguf_row(std::uint64_t row, std::uint64_t head_dim);
// Values of `rows` rows of `row_length` with row r taken from source row map(r).
template <class Map>
std::vector<float> gather_rows(std::span<const float> values, std::uint64_t row_length, Map map) {
    const std::uint64_t rows = values.size() / row_length;
    std::vector<float> out(values.size());
    for (std::uint64_t r = 0; r < rows; ++r) {
        const std::uint64_t from = map(r);
        std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(from * row_length), row_length,
                    out.begin() + static_cast<std::ptrdiff_t>(r * row_length));
    }
    return out;
}
// The heads of attn_q / attn_k (and their biases) from the spec: nullopt for other tensors.
struct QkLayout {
    std::uint64_t rows = 0;        // rows to permute (ne[1] of a weight, ne[0] of a bias)
    std::uint64_t row_length = 0;  // 1 for a bias
    std::uint64_t head_dim = 0;
};
std::optional<QkLayout> qk_layout(const Subject& s);
std::optional<QkLayout> qk_layout(const TensorInfo& info, const ModelFacts& facts);

}  // namespace gguf::audit::detail
