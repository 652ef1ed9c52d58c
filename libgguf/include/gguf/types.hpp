// The ggml tensor type registry: every type id a GGUF file can carry, with its block layout.
// Byte sizes of tensors are computed from here and nowhere else.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gguf {

// ggml's type ids as stored in GGUF tensor infos (ggml.h, enum ggml_type).
enum class TypeId : std::uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3,
    Q4_2 = 4, Q4_3 = 5,  // removed from ggml
    Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    Q4_0_4_4 = 31, Q4_0_4_8 = 32, Q4_0_8_8 = 33,  // removed (runtime repacking of Q4_0 instead)
    TQ1_0 = 34, TQ2_0 = 35,
    IQ4_NL_4_4 = 36, IQ4_NL_4_8 = 37, IQ4_NL_8_8 = 38,  // removed (runtime repacking of IQ4_NL instead)
    MXFP4 = 39, NVFP4 = 40, Q1_0 = 41, Q2_0 = 42,
};

struct TypeInfo {
    TypeId id;
    std::string_view name;     // ggml's spelling in gguf-py: "F32", "Q4_K", "IQ4_XS"
    std::uint32_t block_size;  // elements per block (1 for plain numbers)
    std::uint32_t type_size;   // bytes per block; 0 when a removed type's layout is not known
    bool quantized;
    bool removed;              // ggml no longer reads it; files carrying it are legacy
};

// nullptr for an id ggml never assigned.
const TypeInfo* find_type(std::uint32_t id);
const TypeInfo* find_type(std::string_view name);  // case-insensitive: "q4_k", "Q4_K"
inline const TypeInfo* find_type(TypeId id) { return find_type(static_cast<std::uint32_t>(id)); }

// All assigned ids, in id order.
std::span<const TypeInfo> all_types();

// "Q4_K", "Q4_2 (removed)", "unknown type 77"
std::string type_label(std::uint32_t id);

// Bytes of `n_elements` values of `type`, or nullopt when the type is unknown, has no known layout,
// `n_elements` is not a multiple of its block size, or the product overflows.
std::optional<std::uint64_t> byte_size(std::uint32_t type, std::uint64_t n_elements);

// Multi-byte scalars inside one block (f16/f32 scales, int16 sums, plain numbers): `count` fields of
// `width` bytes starting at `offset`. A big-endian file stores exactly these byte-swapped and every
// other byte as is (the convention of gguf-py's gguf_convert_endian). Empty for byte-only blocks.
struct BlockField {
    std::uint16_t offset;
    std::uint8_t width;
    std::uint16_t count;
};
// nullopt when the type's big-endian layout is not defined (unknown or removed types, IQ1_M, whose
// scales ggml reads through a uint16 view of a byte array).
std::optional<std::span<const BlockField>> byte_swap_layout(std::uint32_t type);

// Swaps every multi-byte field of whole blocks in place (little <-> big). `blocks.size()` must be a
// multiple of the type size; returns false for a type without a defined layout.
bool swap_block_fields(std::uint32_t type, std::span<std::byte> blocks);

}  // namespace gguf
