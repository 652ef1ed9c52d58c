#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <span>

#include "builder.hpp"
#include "gguf/dequant.hpp"

namespace gguf::forward::architectures {

const TensorInfo* Binder::find(const std::string& name, const std::vector<std::uint64_t>& shape, bool required) {
    const TensorInfo* t = model_.find_tensor(name);
    if (!t) {
        if (required) fail(name, "is missing");
        return nullptr;
    }
    bool same = t->n_dims >= 1;
    for (std::size_t d = 0; d < max_dims; ++d) same = same && t->ne[d] == (d < shape.size() ? shape[d] : 1);
    if (!same) {
        fail(name, fmt::format("has shape [{}], expected [{}]", fmt::join(std::span(t->ne.data(), t->n_dims), ", "),
                               fmt::join(shape, ", ")));
        return nullptr;
    }
    if (!t->data_valid) {
        fail(name, "has unreadable data (unknown type or out of the file)");
        return nullptr;
    }
    if (!dequant::is_supported(t->type)) {
        fail(name, "has type " + type_label(t->type) + ", which has no dequantizer here");
        return nullptr;
    }
    return t;
}

int Binder::matrix(WeightSet& set, const std::string& name, std::uint64_t n_in, std::uint64_t n_out) {
    const TensorInfo* t = find(name, {n_in, n_out}, true);
    if (!t) return -1;
    auto view = model_.view(*t);
    if (!view) {
        fail(name, view.error().message);
        return -1;
    }
    set.matrices.push_back({*view, n_in, n_out});
    return static_cast<int>(set.matrices.size() - 1);
}

int Binder::experts(WeightSet& set, const std::string& name, std::uint64_t n_in, std::uint64_t n_out, std::uint64_t n_expert) {
    const TensorInfo* t = find(name, {n_in, n_out, n_expert}, true);
    if (!t) return -1;
    auto view = model_.view(*t);
    if (!view) {
        fail(name, view.error().message);
        return -1;
    }
    const auto first = static_cast<int>(set.matrices.size());
    for (std::uint64_t e = 0; e < n_expert; ++e) set.matrices.push_back({*view, n_in, n_out, e * n_out});
    return first;
}

int Binder::matrix_rows(WeightSet& set, const std::string& name, std::uint64_t n_in, std::uint64_t n_out,
                        std::uint64_t first, std::uint64_t count) {
    const int whole = matrix(set, name, n_in, n_out);
    if (whole < 0) return -1;
    BoundMatrix& m = set.matrices[static_cast<std::size_t>(whole)];
    const std::uint64_t row_bytes = m.view.bytes.size() / n_out;
    auto rows = std::make_shared<TensorInfo>(*m.view.info);
    rows->name = fmt::format("{} (rows {}-{})", name, first, first + count - 1);
    rows->ne[1] = count;
    rows->n_bytes = count * row_bytes;
    rows->offset += first * row_bytes;
    if (rows->file_offset != UINT64_MAX) rows->file_offset += first * row_bytes;
    m.view.bytes = m.view.bytes.subspan(first * row_bytes, count * row_bytes);
    m.view.info = rows.get();
    m.n_out = count;
    m.rows_of = std::move(rows);
    return whole;
}

int Binder::vector_part(WeightSet& set, const std::string& name, std::uint64_t n, std::uint64_t first,
                        std::uint64_t count, bool required) {
    const int whole = vector(set, name, n, required);
    if (whole < 0) return -1;
    BoundVector& v = set.vectors[static_cast<std::size_t>(whole)];
    v.values = std::vector<float>(v.values.begin() + static_cast<std::ptrdiff_t>(first),
                                  v.values.begin() + static_cast<std::ptrdiff_t>(first + count));
    v.name = fmt::format("{} (values {}-{})", name, first, first + count - 1);
    return whole;
}

int Binder::vector(WeightSet& set, const std::string& name, std::uint64_t n, bool required) {
    return decoded(set, name, {n}, required);
}

int Binder::values(WeightSet& set, const std::string& name, const std::vector<std::uint64_t>& shape) {
    return decoded(set, name, shape, true);
}

int Binder::expert_vectors(WeightSet& set, const std::string& name, std::uint64_t n, std::uint64_t n_expert) {
    const int all = decoded(set, name, {n, n_expert}, true);
    if (all < 0) return -1;
    const std::vector<float> values = std::move(set.vectors.back().values);
    set.vectors.pop_back();
    const int first = static_cast<int>(set.vectors.size());
    for (std::uint64_t e = 0; e < n_expert; ++e)
        set.vectors.push_back({name, std::vector<float>(values.begin() + static_cast<std::ptrdiff_t>(e * n),
                                                        values.begin() + static_cast<std::ptrdiff_t>((e + 1) * n))});
    return first;
}

int Binder::decoded(WeightSet& set, const std::string& name, const std::vector<std::uint64_t>& shape, bool required) {
    const TensorInfo* t = find(name, shape, required);
    if (!t) return -1;
    auto view = model_.view(*t);
    if (!view) {
        fail(name, view.error().message);
        return -1;
    }
    auto values = dequant::to_float(*view, 1);
    if (!values) {
        fail(name, values.error().message);
        return -1;
    }
    set.vectors.push_back({name, std::move(*values)});
    return static_cast<int>(set.vectors.size() - 1);
}

void Binder::fail(const std::string& name, const std::string& what) { reject("tensor '" + name + "' " + what); }

void Binder::reject(const std::string& message) {
    if (!error_) error_ = Error{ErrorCode::invalid_argument, 0, message, ""};
}

}  // namespace gguf::forward::architectures
