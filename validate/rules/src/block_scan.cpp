#include "block_scan.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "content_hash.hpp"
#include "float_format.hpp"
#include "gguf/float_formats.hpp"

namespace gguf::rules {
namespace {

struct Layout {
    TypeId type;
    std::uint32_t block_bytes;
    std::uint32_t d_offset;     // the f16 block (or super-block) scale; IQ1_M: its four scale words
    int dmin_offset;            // the f16 min scale, -1 when the type has none
};

// Byte offsets from ggml-common.h's block structs (dequant's gguf/blocks/*.hpp draw them).
constexpr Layout kLayouts[] = {
    {TypeId::Q4_0, 18, 0, -1}, {TypeId::Q4_1, 20, 0, 2},  {TypeId::Q5_0, 22, 0, -1}, {TypeId::Q5_1, 24, 0, 2},
    {TypeId::Q8_0, 34, 0, -1}, {TypeId::Q2_K, 84, 80, 82}, {TypeId::Q3_K, 110, 108, -1}, {TypeId::Q4_K, 144, 0, 2},
    {TypeId::Q5_K, 176, 0, 2}, {TypeId::Q6_K, 210, 208, -1},
    {TypeId::IQ2_XXS, 66, 0, -1}, {TypeId::IQ2_XS, 74, 0, -1}, {TypeId::IQ2_S, 82, 0, -1}, {TypeId::IQ3_XXS, 98, 0, -1},
    {TypeId::IQ3_S, 110, 0, -1}, {TypeId::IQ1_S, 50, 0, -1}, {TypeId::IQ1_M, 56, 48, -1}, {TypeId::TQ1_0, 54, 52, -1},
    {TypeId::TQ2_0, 66, 64, -1}, {TypeId::Q1_0, 18, 0, -1}, {TypeId::Q2_0, 18, 0, -1},
};

// IQ1_M's f16 scale: the top nibbles of the four little-endian uint16 at `p` (the type has no
// big-endian layout, so there is no other order to read).
std::uint16_t iq1m_scale(const std::byte* p) {
    std::uint16_t w[4];
    std::memcpy(w, p, 8);
    return static_cast<std::uint16_t>((w[0] >> 12) | ((w[1] >> 8) & 0x00F0u) | ((w[2] >> 4) & 0x0F00u) | (w[3] & 0xF000u));
}

const Layout* layout_of(std::uint32_t type) {
    for (const auto& l : kLayouts)
        if (static_cast<std::uint32_t>(l.type) == type) return &l;
    return nullptr;
}

std::uint16_t read_u16(const std::byte* p, ByteOrder order) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return order == ByteOrder::big ? static_cast<std::uint16_t>((v >> 8) | (v << 8)) : v;
}

float half_to_float(std::uint16_t h) { return fp16_to_fp32(h); }

std::uint8_t u8(const std::byte* p) { return static_cast<std::uint8_t>(*p); }

// Fraction of the block's code range its codes use (see the header); nullopt for a degenerate block
// (zero scale, all codes equal), which says nothing about the quantizer.
std::optional<double> block_fill(TypeId type, const std::byte* b, float d) {
    if (d == 0 || !std::isfinite(d)) return std::nullopt;
    switch (type) {
        case TypeId::Q8_0: {
            int m = 0;
            for (int i = 0; i < 32; ++i) m = std::max(m, std::abs(static_cast<int>(static_cast<std::int8_t>(u8(b + 2 + i)))));
            return m ? std::optional(m / 127.0) : std::nullopt;
        }
        case TypeId::Q4_0: {
            int m = 0;
            for (int i = 0; i < 16; ++i) {
                const int q = u8(b + 2 + i);
                m = std::max({m, std::abs((q & 15) - 8), std::abs((q >> 4) - 8)});
            }
            return m / 8.0;
        }
        case TypeId::Q4_1: {
            int lo = 15, hi = 0;
            for (int i = 0; i < 16; ++i) {
                const int q = u8(b + 4 + i);
                lo = std::min({lo, q & 15, q >> 4});
                hi = std::max({hi, q & 15, q >> 4});
            }
            return hi > lo ? std::optional((hi - lo) / 15.0) : std::nullopt;
        }
        case TypeId::Q5_0:
        case TypeId::Q5_1: {
            const int qs = type == TypeId::Q5_0 ? 6 : 8;
            std::uint32_t qh;
            std::memcpy(&qh, b + qs - 4, 4);
            int lo = 31, hi = 0, m = 0;
            for (int j = 0; j < 16; ++j) {
                const int q = u8(b + qs + j);
                const int x0 = (q & 15) | static_cast<int>(((qh >> j) << 4) & 0x10);
                const int x1 = (q >> 4) | static_cast<int>((qh >> (j + 12)) & 0x10);
                lo = std::min({lo, x0, x1});
                hi = std::max({hi, x0, x1});
                m = std::max({m, std::abs(x0 - 16), std::abs(x1 - 16)});
            }
            if (type == TypeId::Q5_0) return m / 16.0;
            return hi > lo ? std::optional((hi - lo) / 31.0) : std::nullopt;
        }
        case TypeId::Q4_K:
        case TypeId::Q5_K: {
            // 6-bit sub-block scales packed in 12 bytes after d and dmin (ggml's get_scale_min_k4).
            const std::byte* s = b + 4;
            int m = 0;
            for (int j = 0; j < 8; ++j) {
                const int sc = j < 4 ? (u8(s + j) & 63) : ((u8(s + j + 4) & 0xF) | ((u8(s + j - 4) >> 6) << 4));
                m = std::max(m, sc);
            }
            return m ? std::optional(m / 63.0) : std::nullopt;
        }
        case TypeId::Q6_K: {
            int m = 0;
            for (int j = 0; j < 16; ++j) m = std::max(m, std::abs(static_cast<int>(static_cast<std::int8_t>(u8(b + 192 + j)))));
            return m ? std::optional(m / 128.0) : std::nullopt;
        }
        default:
            return std::nullopt;
    }
}

// |scale| histogram by float exponent and 4 mantissa bits, for a percentile without sorting.
class ScaleHistogram {
public:
    void add(float v) { ++bins_[(std::bit_cast<std::uint32_t>(v) & 0x7fffffffu) >> 19]; ++n_; }
    double quantile(double q) const {
        const double target = q * static_cast<double>(n_);
        double seen = 0;
        for (std::size_t i = 0; i < bins_.size(); ++i) {
            seen += static_cast<double>(bins_[i]);
            if (bins_[i] && seen >= target) return std::bit_cast<float>(static_cast<std::uint32_t>(((i + 1) << 19) - 1));
        }
        return 0;
    }

private:
    std::array<std::uint64_t, 4096> bins_{};
    std::uint64_t n_ = 0;
};

}  // namespace

bool fill_supported(std::uint32_t type) {
    switch (static_cast<TypeId>(type)) {
        case TypeId::Q4_0: case TypeId::Q4_1: case TypeId::Q5_0: case TypeId::Q5_1:
        case TypeId::Q8_0: case TypeId::Q4_K: case TypeId::Q5_K: case TypeId::Q6_K:
            return true;
        default:
            return false;
    }
}

BlockScan scan_blocks(const TensorView& view, std::uint64_t max_fill_blocks) {
    BlockScan scan;
    const Hash128 h = content_hash(view.bytes);
    scan.hash_low = h.low;
    scan.hash_high = h.high;
    if (!view.info) return scan;
    const Layout* layout = layout_of(view.info->type);
    if (!layout) return scan;

    scan.has_scales = true;
    const std::uint64_t n_blocks = view.bytes.size() / layout->block_bytes;
    // Code usage of Q5 types depends on the bit order of qh, which big-endian conversions do not define.
    const bool q5 = layout->type == TypeId::Q5_0 || layout->type == TypeId::Q5_1;
    scan.has_fill = fill_supported(view.info->type) && !(q5 && view.order == ByteOrder::big);
    const std::uint64_t fill_stride = std::max<std::uint64_t>(1, n_blocks / std::max<std::uint64_t>(1, max_fill_blocks));

    ScaleHistogram histogram;
    const auto note_scale = [&](float v, std::uint64_t block) {
        ++scan.scales;
        if (!std::isfinite(v)) {
            if (scan.non_finite_scales++ == 0) scan.first_non_finite_block = block;
            return;
        }
        const float a = std::fabs(v);
        histogram.add(a);
        if (a > scan.scale_abs_max) {
            scan.scale_abs_max = a;
            scan.scale_abs_max_block = block;
        }
    };
    for (std::uint64_t i = 0; i < n_blocks; ++i) {
        const std::byte* b = view.bytes.data() + i * layout->block_bytes;
        const float d = half_to_float(layout->type == TypeId::IQ1_M ? iq1m_scale(b + layout->d_offset)
                                                                    : read_u16(b + layout->d_offset, view.order));
        note_scale(d, i);
        if (layout->dmin_offset >= 0) note_scale(half_to_float(read_u16(b + layout->dmin_offset, view.order)), i);
        if (scan.has_fill && i % fill_stride == 0) {
            if (const auto fill = block_fill(layout->type, b, d)) {
                ++scan.fill_blocks;
                if (*fill < 0.5 && scan.underfilled_blocks++ == 0) scan.first_underfilled_block = i;
            }
        }
    }
    scan.scale_abs_p99 = histogram.quantile(0.99);
    return scan;
}

}  // namespace gguf::rules
