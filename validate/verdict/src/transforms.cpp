#include "gguf/verdict/transforms.hpp"

#include <cstring>

#include "gguf/dequant.hpp"

namespace gguf::verdict {
namespace {

Error problem(const std::string& name, const std::string& why) {
    return Error{ErrorCode::invalid_argument, 0, "tensor '" + name + "': " + why, ""};
}

Result<TensorView> find_view(const Container& model, const std::string& name) {
    const TensorInfo* t = model.find_tensor(name);
    if (!t) return problem(name, "missing");
    if (!dequant::is_supported(t->type)) return problem(name, "type " + type_label(t->type) + " has no dequantizer");
    return model.view(*t);
}

}  // namespace

Result<std::vector<float>> tensor_values(const Container& model, const std::string& name) {
    auto view = find_view(model, name);
    if (!view) return view.error();
    return dequant::to_float(*view);
}

TensorReplacement f32_replacement(const std::string& name, const std::vector<float>& values) {
    TensorReplacement r{name, static_cast<std::uint32_t>(TypeId::F32), std::vector<std::byte>(values.size() * sizeof(float))};
    std::memcpy(r.bytes.data(), values.data(), r.bytes.size());
    return r;
}

Result<TensorReplacement> reorder_rows(const Container& model, const std::string& name,
                                       const std::vector<std::uint64_t>& source) {
    auto view = find_view(model, name);
    if (!view) return view.error();
    const TensorInfo& t = *view->info;
    const bool vector = t.n_rows() == 1;
    const std::uint64_t n = vector ? t.n_elements() : t.n_rows();
    if (source.size() != n) return problem(name, "the row order has the wrong length");
    for (const auto s : source)
        if (s >= n) return problem(name, "the row order names a row past the end");
    if (vector || view->order != host_byte_order) {
        auto values = dequant::to_float(*view);
        if (!values) return values.error();
        const std::uint64_t width = vector ? 1 : t.ne[0];
        std::vector<float> out(values->size());
        for (std::uint64_t k = 0; k < n; ++k)
            std::copy_n(values->begin() + static_cast<std::ptrdiff_t>(source[k] * width), width,
                        out.begin() + static_cast<std::ptrdiff_t>(k * width));
        return f32_replacement(name, out);
    }
    const std::uint64_t row_bytes = t.n_bytes / n;
    TensorReplacement r{name, t.type, std::vector<std::byte>(t.n_bytes)};
    for (std::uint64_t k = 0; k < n; ++k)
        std::memcpy(r.bytes.data() + k * row_bytes, view->bytes.data() + source[k] * row_bytes, row_bytes);
    return r;
}

Result<TensorReplacement> untranspose(const Container& model, const std::string& name) {
    auto values = tensor_values(model, name);
    if (!values) return values.error();
    const TensorInfo& t = *model.find_tensor(name);
    const std::uint64_t n_in = t.ne[0], n_out = t.n_rows();
    std::vector<float> out(values->size());
    for (std::uint64_t o = 0; o < n_out; ++o)
        for (std::uint64_t i = 0; i < n_in; ++i) out[o * n_in + i] = (*values)[i * n_out + o];
    return f32_replacement(name, out);
}

Result<TensorReplacement> map_values(const Container& model, const std::string& name,
                                     const std::function<float(float)>& f) {
    auto values = tensor_values(model, name);
    if (!values) return values.error();
    for (auto& x : *values) x = f(x);
    return f32_replacement(name, *values);
}

Result<TensorReplacement> map_values_with(const Container& model, const std::string& name,
                                          const std::function<std::vector<float>(std::vector<float>)>& f) {
    auto values = tensor_values(model, name);
    if (!values) return values.error();
    const auto out = f(std::move(*values));
    if (out.size() != model.find_tensor(name)->n_elements()) return problem(name, "the transformation changed its size");
    return f32_replacement(name, out);
}

Result<TensorReplacement> swap_byte_order(const Container& model, const std::string& name) {
    auto view = find_view(model, name);
    if (!view) return view.error();
    TensorView swapped = *view;
    swapped.order = view->order == ByteOrder::little ? ByteOrder::big : ByteOrder::little;
    auto values = dequant::to_float(swapped);
    if (!values) return values.error();
    return f32_replacement(name, *values);
}

Result<TensorReplacement> relabel(const Container& model, const std::string& name, std::uint32_t type) {
    auto view = find_view(model, name);
    if (!view) return view.error();
    const TypeInfo* from = view->info->type_info();
    const TypeInfo* to = find_type(type);
    if (!from || !to || from->block_size != to->block_size || from->type_size != to->type_size)
        return problem(name, "cannot be relabelled " + type_label(type));
    if (view->order != host_byte_order) return problem(name, "relabelling needs the host's byte order");
    return TensorReplacement{name, type, std::vector<std::byte>(view->bytes.begin(), view->bytes.end())};
}

Result<TensorReplacement> zeros(const Container& model, const std::string& name) {
    const TensorInfo* t = model.find_tensor(name);
    if (!t) return problem(name, "missing");
    return f32_replacement(name, std::vector<float>(t->n_elements(), 0.0f));
}

Result<TensorReplacement> take_data(const Container& model, const std::string& to, const std::string& from) {
    const TensorInfo* target = model.find_tensor(to);
    auto source = find_view(model, from);
    if (!target) return problem(to, "missing");
    if (!source) return source.error();
    if (target->ne != source->info->ne) return problem(to, "has another shape than '" + from + "'");
    if (source->order != host_byte_order) {
        auto values = dequant::to_float(*source);
        if (!values) return values.error();
        return f32_replacement(to, *values);
    }
    return TensorReplacement{to, source->info->type, std::vector<std::byte>(source->bytes.begin(), source->bytes.end())};
}

}  // namespace gguf::verdict
