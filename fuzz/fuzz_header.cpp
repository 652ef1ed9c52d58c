// The GGUF header parser on arbitrary bytes: an error, or a Container whose every value, tensor view
// and re-serialization is safe to touch.
#include <cstddef>
#include <cstdint>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"

namespace {

std::uint64_t touch(const gguf::Value& v) {
    using gguf::ValueType;
    std::uint64_t h = static_cast<std::uint64_t>(v.type());
    switch (v.type()) {
        case ValueType::string: return h + v.as_string().size();
        case ValueType::array:
            for (std::uint64_t i = 0; i < v.size(); ++i) {
                if (v.element_type() == ValueType::string) h += v.string_at(i).size();
                else if (v.element_type() == ValueType::array) h += touch(v.at(i));
                else h += static_cast<std::uint64_t>(v.number_at(i) == 0.0);
            }
            return h;
        case ValueType::boolean: return h + v.as_bool();
        default: return h + static_cast<std::uint64_t>(v.try_f64().value_or(0.0) == 0.0);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span bytes(reinterpret_cast<const std::byte*>(data), size);
    for (const bool reject_duplicates : {false, true}) {
        gguf::OpenOptions options;
        options.reject_duplicates = reject_duplicates;
        auto model = gguf::open_memory(bytes, "fuzz.gguf", options);
        if (!model) {
            if (model.error().offset > size) __builtin_trap();  // an error points inside the input
            (void)model.error().describe();
            continue;
        }
        volatile std::uint64_t sink = model->n_parameters() + model->issues().size();
        for (const auto& e : model->metadata()) sink = sink + e.key.size() + touch(e.value);
        for (const auto& t : model->tensors()) {
            auto view = model->view(t);
            if (!view) continue;
            if (view->bytes.size() != t.n_bytes) __builtin_trap();
            if (!view->bytes.empty())
                sink = sink + static_cast<std::uint64_t>(view->bytes.front()) + static_cast<std::uint64_t>(view->bytes.back());
        }
        if (auto w = gguf::writer_from(*model, gguf::ByteOrder::little)) (void)w->serialize();
    }
    return 0;
}
