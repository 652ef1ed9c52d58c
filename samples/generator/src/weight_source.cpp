#include "weight_source.hpp"

#include <set>

#include "random_weights.hpp"

namespace gguf::samples::detail {
namespace {

bool permuted(const ModelConfig& c, Role role) {
    return c.weights_hf_qk_order && c.architecture == Architecture::llama &&
           (role == Role::attn_q || role == Role::attn_k || role == Role::attn_q_bias || role == Role::attn_k_bias);
}

Error weights_error(const std::filesystem::path& path, std::string what) {
    return Error{ErrorCode::invalid_argument, 0, std::move(what), path.string()};
}

}  // namespace

std::uint64_t hf_row_for_llama_row(std::uint64_t row, std::uint64_t head_dim) {
    // Per head, Hugging Face keeps the two halves of each rotated pair head_dim/2 rows apart
    // (rotate_half); llama.cpp's RoPE rotates adjacent rows. Row head*d + 2i + j comes from head*d + j*d/2 + i.
    const std::uint64_t head = row / head_dim, within = row % head_dim;
    const std::uint64_t i = within / 2, j = within % 2;
    return head * head_dim + j * (head_dim / 2) + i;
}

Result<WeightSource> WeightSource::open(const ModelConfig& c, const std::vector<PlannedTensor>& tensors) {
    WeightSource source(c);
    if (c.weights_from.empty()) return source;
    std::error_code ec;
    if (!std::filesystem::is_directory(c.weights_from, ec))
        return Error{ErrorCode::io_error, 0, "not a folder of .npy files", c.weights_from.string()};
    std::set<std::string> expected;
    for (const auto& t : tensors) {
        expected.insert(t.name + ".npy");
        const auto path = c.weights_from / (t.name + ".npy");
        auto array = NpyArray::open(path);
        if (!array) return array.error();
        // NumPy lists dimensions outermost first: the reverse of ggml's ne.
        std::vector<std::uint64_t> want(t.ne.rbegin(), t.ne.rend());
        if (array->shape() != want) {
            std::string got, need;
            for (auto d : array->shape()) got += (got.empty() ? "" : ", ") + std::to_string(d);
            for (auto d : want) need += (need.empty() ? "" : ", ") + std::to_string(d);
            return weights_error(path, "shape (" + got + ") does not match the model's (" + need + ")");
        }
        source.arrays_.emplace(t.name, std::move(*array));
    }
    for (const auto& entry : std::filesystem::directory_iterator(c.weights_from, ec)) {
        const auto file = entry.path().filename().string();
        if (entry.path().extension() == ".npy" && !expected.count(file))
            return weights_error(entry.path(), "no tensor of this name in a " + std::string(architecture_name(c.architecture)) +
                                                   " model of this configuration");
    }
    if (ec) return Error{ErrorCode::io_error, 0, ec.message(), c.weights_from.string()};
    return source;
}

Result<void> WeightSource::rows(const PlannedTensor& t, std::uint64_t first_row, std::span<float> out) {
    if (config_->weights_from.empty()) {
        fill_random(*config_, t, first_row, out);
        return {};
    }
    NpyArray& array = arrays_.find(t.name)->second;
    if (!permuted(*config_, t.role)) return array.read_rows(first_row, out);

    const std::uint64_t d = config_->head_dim;
    if (is_vector(t.role)) {  // a bias: permute its elements (it is read whole)
        std::vector<float> hf(out.size());
        if (auto r = array.read_rows(0, hf); !r) return r;
        for (std::uint64_t k = 0; k < out.size(); ++k) out[k] = hf[hf_row_for_llama_row(k, d)];
        return {};
    }
    const std::uint64_t n = t.row_length();
    for (std::uint64_t r = 0; r < out.size() / n; ++r) {
        const std::uint64_t source_row = hf_row_for_llama_row(first_row + r, d);
        if (auto ok = array.read_rows(source_row, out.subspan(r * n, n)); !ok) return ok;
    }
    return {};
}

}  // namespace gguf::samples::detail
