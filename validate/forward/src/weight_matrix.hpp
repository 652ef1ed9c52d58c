// A weight matrix as the CPU pass multiplies it. Matrices stay in the file's encoding (mapped, not
// copied) and are decoded to float32 panel by panel while they are multiplied, so a model needs little
// more memory than its file; a byte budget lets the decoded matrices be kept for the next call
// (generation evaluates one token at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::forward {

// A ggml weight with ne[0] = n_in and ne[1] = n_out, used as out = x W^T.
class WeightMatrix {
public:
    WeightMatrix() = default;
    // Rows [first_row, first_row + n_out) of the tensor seen as rows of n_in values (one expert of a 3-D
    // expert tensor; binding.hpp's BoundMatrix).
    WeightMatrix(TensorView view, std::uint64_t n_in, std::uint64_t n_out, std::uint64_t first_row = 0);

    const std::string& name() const { return view_.info->name; }
    std::uint32_t type() const { return view_.info->type; }
    std::uint64_t n_in() const { return n_in_; }
    std::uint64_t n_out() const { return n_out_; }
    // Memory that keeping the decoded matrix costs (none for F32 read in place).
    std::uint64_t keep_cost() const { return direct_ ? 0 : n_in_ * n_out_ * sizeof(float); }

    // Asks for the decoded matrix to be kept (the caller accounts for the memory).
    void keep_decoded() { keep_ = true; }

    // Allocates the kept copy when one is wanted; call before rows() from several threads.
    void prepare();

    // Rows [first, first + count) as float32 ([count][n_in]): a pointer into the file (host-order F32),
    // into the kept copy, or into `scratch` after decoding. Concurrent calls on disjoint rows are safe.
    Result<const float*> rows(std::uint64_t first, std::uint64_t count, std::vector<float>& scratch);

    // Called after a pass that decoded every row: later calls read the kept copy.
    void mark_complete() { complete_ = keep_; }

private:
    TensorView view_{};
    std::uint64_t n_in_ = 0, n_out_ = 0;
    std::uint64_t first_row_ = 0;  // of the tensor
    bool direct_ = false;      // host-order F32: used in place
    bool keep_ = false;
    std::vector<float> kept_;  // [n_out][n_in] once filled
    bool complete_ = false;
};

}  // namespace gguf::forward
