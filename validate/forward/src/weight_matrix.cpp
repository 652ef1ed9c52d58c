#include "weight_matrix.hpp"

#include "gguf/dequant.hpp"

namespace gguf::forward {

WeightMatrix::WeightMatrix(TensorView view, std::uint64_t n_in, std::uint64_t n_out, std::uint64_t first_row)
    : view_(view), n_in_(n_in), n_out_(n_out), first_row_(first_row) {
    direct_ = view.info->type == static_cast<std::uint32_t>(TypeId::F32) && view.order == host_byte_order;
}

void WeightMatrix::prepare() {
    if (keep_ && !direct_ && kept_.empty()) kept_.resize(n_in_ * n_out_);
}

Result<const float*> WeightMatrix::rows(std::uint64_t first, std::uint64_t count, std::vector<float>& scratch) {
    if (direct_) return reinterpret_cast<const float*>(view_.bytes.data()) + (first_row_ + first) * n_in_;
    if (complete_) return kept_.data() + first * n_in_;
    std::span<float> out;
    if (!kept_.empty()) {
        out = {kept_.data() + first * n_in_, count * n_in_};
    } else {
        if (scratch.size() < count * n_in_) scratch.resize(count * n_in_);
        out = {scratch.data(), count * n_in_};
    }
    if (auto r = dequant::decode_rows(view_, first_row_ + first, count, out); !r) return r.error();
    return out.data();
}

}  // namespace gguf::forward
