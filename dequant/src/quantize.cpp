// quantize(): argument checks, the plain float formats, and the per-family quantizer tables.
#include "gguf/quantize.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "gguf/float_formats.hpp"
#include "gguf/types.hpp"
#include "quantizers.hpp"

namespace gguf::dequant {
namespace {

const detail::TypeQuantizer* find_quantizer(std::uint32_t type) {
    for (auto family : {detail::legacy_quantizers(), detail::kquant_quantizers(), detail::nonlinear_quantizers(),
                        detail::ternary_quantizers(), detail::iquant_quantizers()})
        for (const auto& q : family)
            if (static_cast<std::uint32_t>(q.type) == type) return &q;
    return nullptr;
}

bool is_plain_float(std::uint32_t type) {
    return type == static_cast<std::uint32_t>(TypeId::F32) || type == static_cast<std::uint32_t>(TypeId::F16) ||
           type == static_cast<std::uint32_t>(TypeId::BF16);
}

Error invalid(std::string message) { return Error{ErrorCode::invalid_argument, 0, "quantize: " + std::move(message), {}}; }

}  // namespace

bool can_quantize(std::uint32_t type) { return is_plain_float(type) || find_quantizer(type) != nullptr; }

Result<std::vector<std::byte>> quantize(std::uint32_t type, std::span<const float> values, std::uint64_t row_length) {
    if (!can_quantize(type)) return invalid("no reference quantizer for " + type_label(type));
    const TypeInfo& info = *find_type(type);
    if (row_length == 0 || row_length % info.block_size != 0)
        return invalid("row length " + std::to_string(row_length) + " is not a multiple of the " + std::string(info.name) +
                       " block size " + std::to_string(info.block_size));
    if (values.size() % row_length != 0)
        return invalid(std::to_string(values.size()) + " values are not whole rows of " + std::to_string(row_length));

    const std::size_t n_blocks = values.size() / info.block_size;
    std::vector<std::byte> out(n_blocks * info.type_size);
    switch (static_cast<TypeId>(type)) {
        case TypeId::F32:
            std::memcpy(out.data(), values.data(), out.size());
            return out;
        case TypeId::F16:
            for (std::size_t i = 0; i < values.size(); ++i) {
                const std::uint16_t h = fp32_to_fp16(values[i]);
                std::memcpy(out.data() + 2 * i, &h, 2);
            }
            return out;
        case TypeId::BF16:
            for (std::size_t i = 0; i < values.size(); ++i) {
                const std::uint16_t h = fp32_to_bf16(values[i]);
                std::memcpy(out.data() + 2 * i, &h, 2);
            }
            return out;
        default: break;
    }
    for (std::size_t i = 0; i < values.size(); ++i)
        if (!std::isfinite(values[i]))
            return invalid("value " + std::to_string(i) + " is not finite; " + std::string(info.name) + " cannot hold it");
    find_quantizer(type)->quantize(values.data(), n_blocks, out.data());
    return out;
}

}  // namespace gguf::dequant
