// K-quant decoders with one deliberate, common mistake each: the ways a hand-written loader gets the
// 6-bit scale/min packing of Q4_K/Q5_K or the signs of Q6_K wrong. `KQuantMistake::none` is the
// correct decoding (tests check it against gguf_dequant bit for bit, which keeps these layouts honest).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gguf/byte_order.hpp"

namespace gguf::audit::detail {

enum class KQuantMistake : std::uint8_t {
    none,
    scales_mins_swapped,   // Q4_K/Q5_K: the 6-bit scale used as the min and the min as the scale
    low_scale_layout,      // Q4_K/Q5_K: sub-blocks 4-7 unpacked like 0-3 (scale = q[j] & 63, min = q[j+4] & 63)
    high_bits_dropped,     // Q4_K/Q5_K: sub-blocks 4-7 without the 2 high bits kept in bytes 0-7
    nibbles_swapped,       // Q4_K/Q5_K: high nibble for the first sub-block of a pair, low for the second
    min_added,             // Q4_K/Q5_K: dl * q + ml instead of dl * q - ml
    fifth_bit_ignored,     // Q5_K: the high bit in qh not applied
    no_offset,             // Q6_K: the 6-bit quant used without subtracting 32
    unsigned_scales,       // Q6_K: the int8 sub-block scales read as uint8
    ql_nibbles_swapped,    // Q6_K: high and low nibbles of ql exchanged
};

struct KQuantMistakeInfo {
    KQuantMistake mistake;
    std::string_view name;         // "scales_mins_swapped"
    std::string_view description;  // one clause for the report
};

// The mistakes that apply to `type` (Q4_K, Q5_K or Q6_K; empty for any other type), without `none`.
std::vector<KQuantMistakeInfo> kquant_mistakes(std::uint32_t type);

// Decodes whole blocks of `type` (blocks in byte order `order`) making `mistake`.
void decode_kquant(std::uint32_t type, KQuantMistake mistake, std::span<const std::byte> blocks, ByteOrder order,
                   std::span<float> out);

}  // namespace gguf::audit::detail
