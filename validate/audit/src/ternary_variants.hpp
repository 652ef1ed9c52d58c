// Decoders of the ternary quants (TQ1_0, TQ2_0) with one deliberate, plausible mistake each: the ways a
// hand-written loader gets ggml's digit packing, the order of the values or the trailing scale wrong.
// `TernaryMistake::none` is gguf_dequant's decoding bit for bit (tests check it), which keeps the layout
// each mistake departs from honest.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gguf/byte_order.hpp"

namespace gguf::audit::detail {

enum class TernaryMistake : std::uint8_t {
    none,
    digits_reversed,   // TQ1_0: a byte's base-3 digits taken least significant first
    plain_base3,       // TQ1_0: the byte read as an integer in base 3 (byte / 3^k % 3), not as ggml's fixed-point fraction
    qh_byte_major,     // TQ1_0: the 4 qh bytes' digits taken byte after byte (value 240 + 4m + n, ggml: 240 + 4n + m)
    byte_major,        // TQ1_0, TQ2_0: the codes of one byte taken as consecutive values (ggml spreads them apart)
    codes_high_first,  // TQ2_0: the 2-bit codes taken from the top bits of the byte first
    offset_dropped,    // TQ1_0, TQ2_0: t * d instead of (t - 1) * d (values 0, d, 2d)
    scale_first,       // TQ1_0, TQ2_0: d read from the block's first two bytes, the codes after it
    scale_as_bf16,     // TQ1_0, TQ2_0: the f16 scale read as bfloat16
};

struct TernaryMistakeInfo {
    TernaryMistake mistake;
    std::string_view name;         // "offset_dropped"
    std::string_view description;  // one clause for the report
};

// The mistakes that apply to `type` (empty for a type that is not TQ1_0 or TQ2_0), without `none`.
std::vector<TernaryMistakeInfo> ternary_mistakes(std::uint32_t type);

// Decodes whole blocks of `type` (in byte order `order`) making `mistake`.
void decode_ternary(std::uint32_t type, TernaryMistake mistake, std::span<const std::byte> blocks, ByteOrder order,
                    std::span<float> out);

}  // namespace gguf::audit::detail
