// Block layouts (bytes), as ggml defines them:
//   Q4_K (144): d f16 | dmin f16 | scales[12] | qs[128]            value = (d*sc) * q - (dmin*m)
//   Q5_K (176): d f16 | dmin f16 | scales[12] | qh[32] | qs[128]   q has a fifth bit from qh
//   Q6_K (210): ql[128] | qh[64] | scales[16] int8 | d f16         value = (d*scale) * (q - 32)
// The 12 scale bytes of Q4_K/Q5_K hold eight 6-bit scales and eight 6-bit mins:
//   sub-block j < 4:  scale = s[j] & 63,  min = s[j+4] & 63
//   sub-block j >= 4: scale = (s[j+4] & 15) | (s[j-4] >> 6) << 4,  min = (s[j+4] >> 4) | (s[j] >> 6) << 4
// The float operations are ggml's, in ggml's order, so that `none` is bit-exact.
#include "kquant_variants.hpp"

#include <stdexcept>

#include "gguf/float_formats.hpp"
#include "gguf/types.hpp"

namespace gguf::audit::detail {
namespace {

struct ScaleMin {
    int scale, min;
};

ScaleMin scale_min(const std::uint8_t* s, int j, KQuantMistake mistake) {
    ScaleMin r{};
    if (j < 4 || mistake == KQuantMistake::low_scale_layout) {
        r = {s[j] & 63, s[j + 4] & 63};
    } else if (mistake == KQuantMistake::high_bits_dropped) {
        r = {s[j + 4] & 15, s[j + 4] >> 4};
    } else {
        r = {(s[j + 4] & 15) | (s[j - 4] >> 6) << 4, (s[j + 4] >> 4) | (s[j] >> 6) << 4};
    }
    if (mistake == KQuantMistake::scales_mins_swapped) std::swap(r.scale, r.min);
    return r;
}

float half_at(const std::uint8_t* p, ByteOrder order) { return fp16_to_fp32(load<std::uint16_t>(p, order)); }

// Q4_K (has_high = false) and Q5_K (has_high = true).
void decode_q45k(const std::uint8_t* x, bool has_high, KQuantMistake mistake, ByteOrder order, float* out) {
    const float d = half_at(x, order);
    const float dmin = half_at(x + 2, order);
    const std::uint8_t* scales = x + 4;
    const std::uint8_t* qh = has_high ? x + 16 : nullptr;
    const std::uint8_t* qs = x + (has_high ? 48 : 16);
    for (int sub = 0; sub < 8; ++sub) {
        const ScaleMin sm = scale_min(scales, sub, mistake);
        const float dl = d * static_cast<float>(sm.scale);
        const float ml = dmin * static_cast<float>(sm.min);
        const std::uint8_t* q = qs + 32 * (sub / 2);
        int shift = 4 * (sub % 2);
        if (mistake == KQuantMistake::nibbles_swapped) shift = 4 - shift;
        for (int l = 0; l < 32; ++l) {
            int v = (q[l] >> shift) & 0x0F;
            if (has_high && mistake != KQuantMistake::fifth_bit_ignored) v |= ((qh[l] >> sub) & 1) << 4;
            const float scaled = dl * static_cast<float>(v);
            out[32 * sub + l] = mistake == KQuantMistake::min_added ? scaled + ml : scaled - ml;
        }
    }
}

void decode_q6k(const std::uint8_t* x, KQuantMistake mistake, ByteOrder order, float* out) {
    const std::uint8_t* ql = x;
    const std::uint8_t* qh = x + 128;
    const std::uint8_t* scales = x + 192;
    const float d = half_at(x + 208, order);
    for (int i = 0; i < 256; ++i) {
        const int h = i / 128, k = (i % 128) / 32, l = i % 32;
        int nibble_shift = 4 * (k / 2);
        if (mistake == KQuantMistake::ql_nibbles_swapped) nibble_shift = 4 - nibble_shift;
        const int low = (ql[64 * h + 32 * (k % 2) + l] >> nibble_shift) & 0x0F;
        const int high = (qh[32 * h + l] >> (2 * k)) & 3;
        const int scale = mistake == KQuantMistake::unsigned_scales ? static_cast<int>(scales[i / 16])
                                                                    : static_cast<int>(static_cast<std::int8_t>(scales[i / 16]));
        const float dl = d * static_cast<float>(scale);
        const int q = (low | high << 4) - (mistake == KQuantMistake::no_offset ? 0 : 32);
        out[i] = dl * static_cast<float>(q);
    }
}

}  // namespace

std::vector<KQuantMistakeInfo> kquant_mistakes(std::uint32_t type) {
    const std::vector<KQuantMistakeInfo> shared = {
        {KQuantMistake::scales_mins_swapped, "scales_mins_swapped", "the 6-bit sub-block scales and mins were exchanged"},
        {KQuantMistake::low_scale_layout, "low_scale_layout",
         "sub-blocks 4-7 had their 6-bit scale and min unpacked like sub-blocks 0-3 (scale = s[j] & 63), instead of "
         "low 4 bits from bytes 8-11 and high 2 bits from bytes 0-7"},
        {KQuantMistake::high_bits_dropped, "high_bits_dropped",
         "sub-blocks 4-7 lost the 2 high bits of their scale and min (kept in the top bits of bytes 0-7)"},
        {KQuantMistake::nibbles_swapped, "nibbles_swapped",
         "the 4-bit quants were unpacked high nibble first (ggml: low nibbles are the first 32 values of a pair)"},
        {KQuantMistake::min_added, "min_added", "the sub-block min was added instead of subtracted"},
    };
    switch (static_cast<TypeId>(type)) {
        case TypeId::Q4_K: return shared;
        case TypeId::Q5_K: {
            auto list = shared;
            list.push_back({KQuantMistake::fifth_bit_ignored, "fifth_bit_ignored", "the fifth bit of each quant (qh) was not applied"});
            return list;
        }
        case TypeId::Q6_K:
            return {{KQuantMistake::no_offset, "no_offset", "the 6-bit quants were used without subtracting 32 (they are signed)"},
                    {KQuantMistake::unsigned_scales, "unsigned_scales", "the int8 sub-block scales were read as unsigned bytes"},
                    {KQuantMistake::ql_nibbles_swapped, "ql_nibbles_swapped", "the low and high nibbles of ql were exchanged"}};
        default: return {};
    }
}

void decode_kquant(std::uint32_t type, KQuantMistake mistake, std::span<const std::byte> blocks, ByteOrder order,
                   std::span<float> out) {
    const TypeInfo* info = find_type(type);
    const auto id = static_cast<TypeId>(type);
    if (!info || (id != TypeId::Q4_K && id != TypeId::Q5_K && id != TypeId::Q6_K))
        throw std::invalid_argument("decode_kquant: not Q4_K, Q5_K or Q6_K");
    const std::size_t n_blocks = blocks.size() / info->type_size;
    if (blocks.size() % info->type_size != 0 || out.size() != n_blocks * info->block_size)
        throw std::invalid_argument("decode_kquant: not whole blocks, or output of the wrong size");
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(blocks.data());
    for (std::size_t b = 0; b < n_blocks; ++b) {
        const std::uint8_t* x = bytes + b * info->type_size;
        float* y = out.data() + b * info->block_size;
        if (id == TypeId::Q6_K) decode_q6k(x, mistake, order, y);
        else decode_q45k(x, id == TypeId::Q5_K, mistake, order, y);
    }
}

}  // namespace gguf::audit::detail
