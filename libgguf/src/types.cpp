#include "gguf/types.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "checked_math.hpp"

namespace gguf {
namespace {

constexpr TypeInfo make(TypeId id, std::string_view name, std::uint32_t block, std::uint32_t size, bool quantized,
                        bool removed = false) {
    return TypeInfo{id, name, block, size, quantized, removed};
}

// Block sizes and bytes per block follow ggml's type_traits (ggml/src/ggml.c) and, for removed types,
// the layouts they had when ggml still read them. tests/reference checks the live ones against ggml.
constexpr std::array kTypes = {
    make(TypeId::F32, "F32", 1, 4, false),
    make(TypeId::F16, "F16", 1, 2, false),
    make(TypeId::Q4_0, "Q4_0", 32, 18, true),
    make(TypeId::Q4_1, "Q4_1", 32, 20, true),
    make(TypeId::Q4_2, "Q4_2", 16, 10, true, true),
    make(TypeId::Q4_3, "Q4_3", 16, 12, true, true),
    make(TypeId::Q5_0, "Q5_0", 32, 22, true),
    make(TypeId::Q5_1, "Q5_1", 32, 24, true),
    make(TypeId::Q8_0, "Q8_0", 32, 34, true),
    make(TypeId::Q8_1, "Q8_1", 32, 36, true),
    make(TypeId::Q2_K, "Q2_K", 256, 84, true),
    make(TypeId::Q3_K, "Q3_K", 256, 110, true),
    make(TypeId::Q4_K, "Q4_K", 256, 144, true),
    make(TypeId::Q5_K, "Q5_K", 256, 176, true),
    make(TypeId::Q6_K, "Q6_K", 256, 210, true),
    make(TypeId::Q8_K, "Q8_K", 256, 292, true),
    make(TypeId::IQ2_XXS, "IQ2_XXS", 256, 66, true),
    make(TypeId::IQ2_XS, "IQ2_XS", 256, 74, true),
    make(TypeId::IQ3_XXS, "IQ3_XXS", 256, 98, true),
    make(TypeId::IQ1_S, "IQ1_S", 256, 50, true),
    make(TypeId::IQ4_NL, "IQ4_NL", 32, 18, true),
    make(TypeId::IQ3_S, "IQ3_S", 256, 110, true),
    make(TypeId::IQ2_S, "IQ2_S", 256, 82, true),
    make(TypeId::IQ4_XS, "IQ4_XS", 256, 136, true),
    make(TypeId::I8, "I8", 1, 1, false),
    make(TypeId::I16, "I16", 1, 2, false),
    make(TypeId::I32, "I32", 1, 4, false),
    make(TypeId::I64, "I64", 1, 8, false),
    make(TypeId::F64, "F64", 1, 8, false),
    make(TypeId::IQ1_M, "IQ1_M", 256, 56, true),
    make(TypeId::BF16, "BF16", 1, 2, false),
    make(TypeId::Q4_0_4_4, "Q4_0_4_4", 32, 18, true, true),
    make(TypeId::Q4_0_4_8, "Q4_0_4_8", 32, 18, true, true),
    make(TypeId::Q4_0_8_8, "Q4_0_8_8", 32, 18, true, true),
    make(TypeId::TQ1_0, "TQ1_0", 256, 54, true),
    make(TypeId::TQ2_0, "TQ2_0", 256, 66, true),
    make(TypeId::IQ4_NL_4_4, "IQ4_NL_4_4", 32, 18, true, true),
    make(TypeId::IQ4_NL_4_8, "IQ4_NL_4_8", 32, 18, true, true),
    make(TypeId::IQ4_NL_8_8, "IQ4_NL_8_8", 32, 18, true, true),
    make(TypeId::MXFP4, "MXFP4", 32, 17, true),
    make(TypeId::NVFP4, "NVFP4", 64, 36, true),
    make(TypeId::Q1_0, "Q1_0", 128, 18, true),
    make(TypeId::Q2_0, "Q2_0", 64, 18, true),
};

static_assert([] {
    for (std::size_t i = 0; i < kTypes.size(); ++i)
        if (static_cast<std::size_t>(kTypes[i].id) != i) return false;
    return true;
}(), "kTypes must be indexed by type id");

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
}

// Where the multi-byte scalars sit in each block (offsets from ggml-common.h's block structs).
constexpr BlockField f16_at(std::uint16_t offset) { return {offset, 2, 1}; }
constexpr std::array<BlockField, 0> kNone{};
constexpr std::array kWord16{BlockField{0, 2, 1}};
constexpr std::array kWord32{BlockField{0, 4, 1}};
constexpr std::array kWord64{BlockField{0, 8, 1}};
constexpr std::array kScaleAt0{f16_at(0)};
constexpr std::array kScaleAndMin{f16_at(0), f16_at(2)};
constexpr std::array kQ2K{f16_at(80), f16_at(82)};
constexpr std::array kQ3K{f16_at(108)};
constexpr std::array kQ6K{f16_at(208)};
constexpr std::array kQ8K{BlockField{0, 4, 1}, BlockField{260, 2, 16}};
constexpr std::array kIQ2Grid{f16_at(0), BlockField{2, 2, 32}};  // IQ2_XXS, IQ2_XS: uint16 qs[32]
constexpr std::array kIQ1S{f16_at(0), BlockField{34, 2, 8}};
constexpr std::array kIQ4XS{f16_at(0), BlockField{2, 2, 1}};
constexpr std::array kTQ1{f16_at(52)};
constexpr std::array kTQ2{f16_at(64)};

}  // namespace

const TypeInfo* find_type(std::uint32_t id) {
    return id < kTypes.size() ? &kTypes[id] : nullptr;
}

const TypeInfo* find_type(std::string_view name) {
    for (const auto& t : kTypes)
        if (iequals(t.name, name)) return &t;
    return nullptr;
}

std::span<const TypeInfo> all_types() { return kTypes; }

std::string type_label(std::uint32_t id) {
    const TypeInfo* t = find_type(id);
    if (!t) return "unknown type " + std::to_string(id);
    if (t->removed) return std::string(t->name) + " (removed)";
    return std::string(t->name);
}

std::optional<std::uint64_t> byte_size(std::uint32_t type, std::uint64_t n_elements) {
    const TypeInfo* t = find_type(type);
    if (!t || t->type_size == 0 || n_elements % t->block_size != 0) return std::nullopt;
    return checked_mul(n_elements / t->block_size, t->type_size);
}

std::optional<std::span<const BlockField>> byte_swap_layout(std::uint32_t type) {
    const TypeInfo* t = find_type(type);
    if (!t || t->removed) return std::nullopt;
    switch (t->id) {
        case TypeId::F32: case TypeId::I32: return kWord32;
        case TypeId::F16: case TypeId::BF16: case TypeId::I16: return kWord16;
        case TypeId::F64: case TypeId::I64: return kWord64;
        case TypeId::I8: case TypeId::MXFP4: case TypeId::NVFP4: return kNone;
        case TypeId::Q4_0: case TypeId::Q5_0: case TypeId::Q8_0: case TypeId::IQ4_NL: case TypeId::IQ3_XXS:
        case TypeId::IQ3_S: case TypeId::IQ2_S: case TypeId::Q1_0: case TypeId::Q2_0:
            return kScaleAt0;
        case TypeId::Q4_1: case TypeId::Q5_1: case TypeId::Q8_1: case TypeId::Q4_K: case TypeId::Q5_K:
            return kScaleAndMin;
        case TypeId::Q2_K: return kQ2K;
        case TypeId::Q3_K: return kQ3K;
        case TypeId::Q6_K: return kQ6K;
        case TypeId::Q8_K: return kQ8K;
        case TypeId::IQ2_XXS: case TypeId::IQ2_XS: return kIQ2Grid;
        case TypeId::IQ1_S: return kIQ1S;
        case TypeId::IQ4_XS: return kIQ4XS;
        case TypeId::TQ1_0: return kTQ1;
        case TypeId::TQ2_0: return kTQ2;
        default: return std::nullopt;  // IQ1_M
    }
}

bool swap_block_fields(std::uint32_t type, std::span<std::byte> blocks) {
    const auto layout = byte_swap_layout(type);
    if (!layout) return false;
    const std::size_t block_bytes = find_type(type)->type_size;
    if (blocks.size() % block_bytes != 0) return false;
    for (std::size_t b = 0; b < blocks.size(); b += block_bytes) {
        for (const BlockField& f : *layout) {
            for (std::uint16_t k = 0; k < f.count; ++k) {
                std::byte* p = blocks.data() + b + f.offset + std::size_t{k} * f.width;
                std::reverse(p, p + f.width);
            }
        }
    }
    return true;
}

}  // namespace gguf
