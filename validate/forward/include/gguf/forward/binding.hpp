// Which tensor plays which role: the weights an architecture's program reads, located by name and
// checked against the spec by its builder. Both backends execute a program over this binding (the CPU
// decodes matrices panel by panel from the mapped file, the GPU uploads their blocks), so they accept
// and refuse the same files with the same messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <memory>
#include <string>
#include <vector>

#include "gguf/container.hpp"

namespace gguf::forward {

// A ggml weight with ne[0] = n_in and ne[1] = n_out, used as out = x W^T (or as a table of n_out rows,
// for the embedding). The bytes stay in the file's encoding and byte order. A matrix may be a view of
// part of its tensor: rows [first_row, first_row + n_out) of the tensor seen as rows of n_in values,
// which is how expert e of a 3-D expert tensor (ne = [n_in, n_out, n_expert]) is bound (first_row =
// e * n_out). A block of rows of a fused tensor (phi3's attn_qkv, its gate/up ffn_up) is bound as a
// matrix of its own: its view describes only those rows, with an info of their shape that the binding
// owns (`rows_of`), and first_row is 0.
struct BoundMatrix {
    TensorView view;  // the whole tensor
    std::uint64_t n_in = 0, n_out = 0;
    std::uint64_t first_row = 0;
    std::shared_ptr<const TensorInfo> rows_of;  // set for a block of rows: the info `view` points to

    const std::string& name() const { return view.info->name; }
    std::uint32_t type() const { return view.info->type; }
    // The matrix's own bytes within the tensor's (rows are whole blocks).
    std::span<const std::byte> bytes() const {
        const std::uint64_t rows = view.info->n_rows();
        const std::uint64_t row_bytes = rows ? view.bytes.size() / rows : 0;
        return view.bytes.subspan(first_row * row_bytes, n_out * row_bytes);
    }
};

// A norm weight or a bias, decoded to float32 on the host when bound.
struct BoundVector {
    std::string name;
    std::vector<float> values;
};

// The weights of one scope: the model's globals (embedding, output norm, lm_head) or one layer. Ops
// name their weights by index into these lists.
struct WeightSet {
    std::vector<BoundMatrix> matrices;
    std::vector<BoundVector> vectors;
};

struct WeightBinding {
    WeightSet globals;
    std::vector<WeightSet> layers;
    std::uint64_t n_vocab = 0;  // rows of the embedding
};

}  // namespace gguf::forward
