#include "ternary_variants.hpp"

#include <stdexcept>

#include "gguf/blocks/ternary.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/types.hpp"

namespace gguf::audit::detail {
namespace {

using gguf::blocks::tq1_digit;

// Where the codes and the scale are read from, with `mistake`: ggml puts d after the codes.
struct Parts {
    const std::uint8_t* codes;
    float d;
};

Parts parts(const std::uint8_t* block, int code_bytes, TernaryMistake mistake) {
    if (mistake == TernaryMistake::scale_first) return {block + 2, blocks::f16(block)};
    const auto bits = static_cast<std::uint16_t>(blocks::u16(block + code_bytes));
    return {block, mistake == TernaryMistake::scale_as_bf16 ? bf16_to_fp32(bits) : fp16_to_fp32(bits)};
}

float value(int digit, float d, TernaryMistake mistake) {
    return blocks::mul(static_cast<float>(mistake == TernaryMistake::offset_dropped ? digit : digit - 1), d);
}

// Digit n (0 first) of a TQ1_0 byte as the mistaken loader extracts it.
int tq1_read(std::uint8_t byte, int n, TernaryMistake mistake) {
    constexpr int kPow3[5] = {1, 3, 9, 27, 81};
    switch (mistake) {
        case TernaryMistake::digits_reversed: return tq1_digit(byte, 4 - n);
        case TernaryMistake::plain_base3: return byte / kPow3[4 - n] % 3;
        default: return tq1_digit(byte, n);
    }
}

// ggml's TQ1_0 order (gguf/blocks/ternary.hpp): digit n of qs byte m < 32 is value 32n + m, of qs byte
// 32 + m value 160 + 16n + m, of qh byte m value 240 + 4n + m.
void decode_tq1(const std::uint8_t* block, TernaryMistake mistake, float* out) {
    const Parts p = parts(block, 52, mistake);
    const bool byte_major = mistake == TernaryMistake::byte_major;
    for (int m = 0; m < 48; ++m)
        for (int n = 0; n < 5; ++n) {
            const int i = byte_major ? 5 * m + n : m < 32 ? 32 * n + m : 160 + 16 * n + (m - 32);
            out[i] = value(tq1_read(p.codes[m], n, mistake), p.d, mistake);
        }
    const bool qh_byte_major = byte_major || mistake == TernaryMistake::qh_byte_major;
    for (int m = 0; m < 4; ++m)
        for (int n = 0; n < 4; ++n)
            out[240 + (qh_byte_major ? 4 * m + n : 4 * n + m)] = value(tq1_read(p.codes[48 + m], n, mistake), p.d, mistake);
}

// ggml's TQ2_0 order: code l (bits 2l, 2l + 1) of byte 32h + m is value 128h + 32l + m.
void decode_tq2(const std::uint8_t* block, TernaryMistake mistake, float* out) {
    const Parts p = parts(block, 64, mistake);
    for (int k = 0; k < 64; ++k)
        for (int l = 0; l < 4; ++l) {
            const int shift = mistake == TernaryMistake::codes_high_first ? 6 - 2 * l : 2 * l;
            const int i = mistake == TernaryMistake::byte_major ? 4 * k + l : 128 * (k / 32) + 32 * l + k % 32;
            out[i] = value((p.codes[k] >> shift) & 3, p.d, mistake);
        }
}

}  // namespace

std::vector<TernaryMistakeInfo> ternary_mistakes(std::uint32_t type) {
    const TernaryMistakeInfo byte_major{TernaryMistake::byte_major, "byte_major",
                                        "the codes of each byte were taken as consecutive values (ggml places them 32 "
                                        "values apart: code n of byte m is value 32n + m)"};
    const TernaryMistakeInfo offset{TernaryMistake::offset_dropped, "offset_dropped",
                                    "the codes 0, 1, 2 were used as they are instead of minus 1 (ggml: (t - 1) * d, values "
                                    "-d, 0, d)"};
    const TernaryMistakeInfo scale_first{TernaryMistake::scale_first, "scale_first",
                                         "the f16 scale was read from the block's first two bytes, as in the other types; "
                                         "ggml stores it after the codes"};
    const TernaryMistakeInfo bf16{TernaryMistake::scale_as_bf16, "scale_as_bf16",
                                  "the f16 scale was read as bfloat16"};
    switch (static_cast<TypeId>(type)) {
        case TypeId::TQ1_0:
            return {{TernaryMistake::digits_reversed, "digits_reversed",
                     "the five base-3 digits of each byte were taken least significant first (ggml: most significant "
                     "first)"},
                    {TernaryMistake::plain_base3, "plain_base3",
                     "each byte was read as an integer in base 3 (byte / 3^k mod 3); ggml stores the digits as a "
                     "fixed-point fraction (the base-3 number times 256/243, rounded up), read as (byte * 3^k mod 256) * 3 / 256"},
                    {TernaryMistake::qh_byte_major, "qh_byte_major",
                     "the last 16 values (the 4 qh bytes) were taken byte after byte (ggml: digit n of qh byte m is value "
                     "240 + 4n + m)"},
                    byte_major, offset, scale_first, bf16};
        case TypeId::TQ2_0:
            return {byte_major,
                    {TernaryMistake::codes_high_first, "codes_high_first",
                     "the 2-bit codes of each byte were taken from its top bits first (ggml: bits 0-1 first)"},
                    offset, scale_first, bf16};
        default: return {};
    }
}

void decode_ternary(std::uint32_t type, TernaryMistake mistake, std::span<const std::byte> blocks, ByteOrder order,
                    std::span<float> out) {
    const TypeInfo* info = find_type(type);
    const bool tq1 = type == static_cast<std::uint32_t>(TypeId::TQ1_0);
    if (!info || (!tq1 && type != static_cast<std::uint32_t>(TypeId::TQ2_0)))
        throw std::invalid_argument("decode_ternary: not a ternary quant");
    const std::size_t n_blocks = blocks.size() / info->type_size;
    if (blocks.size() % info->type_size != 0 || out.size() != n_blocks * info->block_size)
        throw std::invalid_argument("decode_ternary: not whole blocks, or output of the wrong size");
    std::vector<std::byte> little;
    if (order == ByteOrder::big) {
        little.assign(blocks.begin(), blocks.end());
        if (!swap_block_fields(type, little)) throw std::invalid_argument("decode_ternary: no big-endian layout");
    }
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(order == ByteOrder::big ? little.data() : blocks.data());
    for (std::size_t b = 0; b < n_blocks; ++b) {
        const std::uint8_t* block = bytes + b * info->type_size;
        float* values = out.data() + b * info->block_size;
        if (tq1) decode_tq1(block, mistake, values);
        else decode_tq2(block, mistake, values);
    }
}

}  // namespace gguf::audit::detail
