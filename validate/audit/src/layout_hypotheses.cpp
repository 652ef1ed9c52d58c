// Hypotheses about where values went: a transposed matrix, a shape that disagrees with the values'
// layout, and attn_q / attn_k rows in the other RoPE layout.
#include <numeric>

#include "tensor_context.hpp"

namespace gguf::audit::detail {
namespace {

std::string shape_text(const std::vector<std::uint64_t>& shape) { return fmt::format("({})", fmt::join(shape, ", ")); }

void test_transposed(const Subject& s, Findings& out) {
    if (!s.is_matrix() || !s.same_count()) return;
    out.tested.push_back("transposed");
    const std::uint64_t cols = s.info.ne[0], rows = s.info.ne[1];
    std::vector<float> transposed(s.n());
    for (std::uint64_t r = 0; r < rows; ++r)
        for (std::uint64_t c = 0; c < cols; ++c) transposed[c * rows + r] = s.reference[r * cols + c];
    const Fit f = fit(s, transposed);
    if (!explains(s, f)) return;
    const bool declared = s.their_shape == std::vector<std::uint64_t>{cols, rows};
    Diagnosis d{"transposed",
                fmt::format("the matrix is transposed: your array holds W^T ({} x {}) where GGUF stores W as {} rows of {} "
                            "(ne[0] = {} is the row length){}",
                            cols, rows, rows, cols, cols,
                            declared ? "" : "; your shape says " + shape_text(s.their_shape) + ", so the data is column-major"),
                {evidence("expected_shape", shape_text({rows, cols})), evidence("your_shape", shape_text(s.their_shape))}};
    out.add(std::move(d), f);
}

// Same values in memory order, but a shape that reads them differently.
void test_shape(const Subject& s, Findings& out) {
    if (!s.same_count() || !s.agreement.equal()) return;
    std::vector<std::uint64_t> theirs, expected;  // without dimensions of 1
    for (auto d : s.their_shape)
        if (d != 1) theirs.push_back(d);
    for (std::uint32_t i = s.info.n_dims; i-- > 0;)
        if (s.info.ne[i] != 1) expected.push_back(s.info.ne[i]);
    if (theirs == expected) return;
    out.tested.push_back("shape");
    Fit f{s.n(), s.n(), s.n()};
    out.add({"shape",
             fmt::format("the values are right in memory order, but your shape {} is not the tensor's {}: an engine that "
                         "indexes the array by that shape reads it wrongly",
                         shape_text(s.their_shape), shape_text(expected)),
             {evidence("expected_shape", shape_text(expected)), evidence("your_shape", shape_text(s.their_shape))}},
            f);
}

void test_qk_rows(const Subject& s, Findings& out) {
    const auto layout = qk_layout(s);
    if (!layout || !s.same_count()) return;
    out.tested.push_back("qk_rope_layout");
    const std::uint64_t d = layout->head_dim;
    std::vector<std::uint64_t> forward(layout->rows), inverse(layout->rows);
    for (std::uint64_t g = 0; g < layout->rows; ++g) {
        forward[g] = hf_row_of_gguf_row(g, d);
        inverse[forward[g]] = g;
    }
    const bool neox = s.facts.spec->rope.style == model::RopeStyle::neox;
    const bool reference_hf = s.qk_order == QkOrder::hf && !neox;
    const std::string tensor_kind = s.info.name.find("attn_q") != std::string::npos ? "query" : "key";
    for (const bool apply : {false, true}) {
        // apply: gather by the converter's permutation once more; otherwise by its inverse (undo it).
        const auto& map = apply ? forward : inverse;
        const Fit f = fit(s, gather_rows(s.reference, layout->row_length, [&](std::uint64_t r) { return map[r]; }));
        if (!explains(s, f)) continue;
        std::string message;
        if (neox) {
            message = fmt::format("the {} rows were {} as convert_hf_to_gguf.py does for llama, but {} uses NeoX RoPE "
                                  "(pairs i, i + n_rot/2) and keeps the rows as stored: do not permute them",
                                  tensor_kind, apply ? "permuted" : "un-permuted", s.facts.spec->architecture);
        } else if (reference_hf) {
            message = apply ? fmt::format("the {} rows are in GGUF's order, but --qk-order hf says your engine keeps Hugging "
                                          "Face's order (rotate-half RoPE): undo llama.cpp's Q/K permutation, or audit "
                                          "with --qk-order gguf if your RoPE rotates adjacent pairs",
                                          tensor_kind)
                            : fmt::format("the {} rows were un-permuted twice: Hugging Face's order was expected", tensor_kind);
        } else {
            message = apply ? fmt::format("the {} rows were permuted twice: llama.cpp's Q/K permutation was applied again "
                                          "to rows already in GGUF's order",
                                          tensor_kind)
                            : fmt::format("the {} rows are in Hugging Face's order: llama.cpp's Q/K permutation (done by "
                                          "convert_hf_to_gguf.py for RoPE on adjacent pairs) was undone. That is right only "
                                          "if your engine applies rotate-half RoPE (then audit with --qk-order hf); "
                                          "llama.cpp's RoPE needs the rows as stored",
                                          tensor_kind);
        }
        const std::uint64_t example = std::min<std::uint64_t>(1, layout->rows - 1);
        out.add({"qk_rope_layout", message,
                 {evidence("head_dim", std::to_string(d)), evidence("heads", std::to_string(layout->rows / d)),
                  evidence("example", fmt::format("your row {} is reference row {}", example, map[example]))}},
                f);
    }
}

}  // namespace

void test_layout(const Subject& s, Findings& out) {
    test_shape(s, out);
    test_transposed(s, out);
    test_qk_rows(s, out);
}

}  // namespace gguf::audit::detail
