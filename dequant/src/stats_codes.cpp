#include "stats_codes.hpp"

#include <bit>
#include <cmath>
#include <limits>

#include "blocks.hpp"

namespace gguf::dequant::detail {
namespace {

// The bit positions follow the layouts drawn in gguf/blocks/iquants.hpp and kquants.hpp (from
// ggml-common.h); tests/dequant/stats_codes_test.cpp holds each reader to the shared group() readers.

void note_grid(CodeCounts& c, int index) {
    ++c.grid_lookups;
    c.grid_words[index >> 6] |= std::uint64_t{1} << (index & 63);
}

void note_signs(CodeCounts& c, int signs) {
    c.sign_bits += 8;
    c.signs_set += static_cast<std::uint64_t>(std::popcount(static_cast<unsigned>(signs & 0xFF)));
}

void note_delta(CodeCounts& c, std::uint32_t negative) {
    ++c.delta_bits;
    c.deltas_negative += negative & 1u;
}

// Two 4-bit scales in one byte, low nibble first.
void note_nibbles(CodeCounts& c, std::uint8_t byte) {
    ++c.histograms[0][byte & 0x0F];
    ++c.histograms[0][byte >> 4];
}

void read_iq2_xxs(const std::uint8_t* b, CodeCounts& c) {
    for (int k = 0; k < 8; ++k) {
        const std::uint8_t* q = b + 2 + 8 * k;
        const std::uint32_t aux = u32(q + 4);
        ++c.histograms[0][aux >> 28];
        for (int l = 0; l < 4; ++l) {
            note_grid(c, q[l]);
            note_signs(c, signs_from_index(static_cast<int>((aux >> (7 * l)) & 127u)));
        }
    }
}

void read_iq2_xs(const std::uint8_t* b, CodeCounts& c) {
    for (int g = 0; g < 32; ++g) {
        const std::uint32_t q = u16(b + 2 + 2 * g);
        note_grid(c, static_cast<int>(q & 511u));
        note_signs(c, signs_from_index(static_cast<int>(q >> 9)));
    }
    for (int k = 0; k < 8; ++k) note_nibbles(c, b[66 + k]);
}

void read_iq2_s(const std::uint8_t* b, CodeCounts& c) {
    for (int g = 0; g < 32; ++g) {
        note_grid(c, b[2 + g] | ((b[66 + g / 4] << (8 - 2 * (g % 4))) & 0x300));
        note_signs(c, b[34 + g]);
    }
    for (int k = 0; k < 8; ++k) note_nibbles(c, b[74 + k]);
}

void read_iq3_xxs(const std::uint8_t* b, CodeCounts& c) {
    for (int g = 0; g < 32; ++g) {
        note_grid(c, b[2 + 2 * g]);
        note_grid(c, b[3 + 2 * g]);
    }
    for (int k = 0; k < 8; ++k) {
        const std::uint32_t aux = u32(b + 66 + 4 * k);
        ++c.histograms[0][aux >> 28];
        for (int l = 0; l < 4; ++l) note_signs(c, signs_from_index(static_cast<int>((aux >> (7 * l)) & 127u)));
    }
}

void read_iq3_s(const std::uint8_t* b, CodeCounts& c) {
    for (int g = 0; g < 32; ++g) {
        const int l = g % 4, qh = b[66 + g / 4];
        note_grid(c, b[2 + 2 * g] | ((qh << (8 - 2 * l)) & 256));
        note_grid(c, b[3 + 2 * g] | ((qh << (7 - 2 * l)) & 256));
        note_signs(c, b[74 + g]);
    }
    for (int k = 0; k < 4; ++k) note_nibbles(c, b[106 + k]);
}

void read_iq1_s(const std::uint8_t* b, CodeCounts& c) {
    for (int k = 0; k < 8; ++k) {
        const std::uint32_t qh = u16(b + 34 + 2 * k);
        ++c.histograms[0][(qh >> 12) & 7u];
        note_delta(c, qh >> 15);
        for (int l = 0; l < 4; ++l) note_grid(c, b[2 + 4 * k + l] | static_cast<int>((qh >> (3 * l)) & 7u) << 8);
    }
}

void read_iq1_m(const std::uint8_t* b, CodeCounts& c) {
    for (int g = 0; g < 32; ++g) {
        const int bits = (b[32 + g / 2] >> (4 * (g % 2))) & 0x0F;
        note_grid(c, b[g] | (bits & 7) << 8);
        note_delta(c, static_cast<std::uint32_t>(bits) >> 3);
    }
    for (int w = 0; w < 4; ++w) {
        const std::uint32_t word = u16(b + 48 + 2 * w);
        for (int k = 0; k < 4; ++k) ++c.histograms[0][(word >> (3 * k)) & 7u];
    }
}

void read_q2_k(const std::uint8_t* b, CodeCounts& c) {
    for (int j = 0; j < 16; ++j) {
        ++c.histograms[0][b[j] & 0x0F];
        ++c.histograms[1][b[j] >> 4];
    }
}

void read_q3_k(const std::uint8_t* b, CodeCounts& c) {
    for (int j = 0; j < 16; ++j) ++c.histograms[0][q3k_scale(b + 96, j)];  // stored s, meaning s - 32
}

void read_k4(const std::uint8_t* b, CodeCounts& c) {
    for (int j = 0; j < 8; ++j) {
        const ScaleMin sm = k4_scale_min(b + 4, j);
        ++c.histograms[0][sm.scale];
        ++c.histograms[1][sm.min];
    }
}

void read_q6_k(const std::uint8_t* b, CodeCounts& c) {
    for (int j = 0; j < 16; ++j) ++c.histograms[0][b[192 + j] ^ 0x80u];  // int8 s at index s + 128
}

constexpr SubScaleField kScales4{"scales", 4, 0};
constexpr SubScaleField kScales6{"scales", 6, 0};

constexpr CodeLayout kLayouts[] = {
    {TypeId::Q2_K, 84, {kScales4, SubScaleField{"mins", 4, 0}}, 2, 0, -2, read_q2_k},
    {TypeId::Q3_K, 110, {SubScaleField{"scales", 6, -32}}, 1, 0, -2, read_q3_k},
    {TypeId::Q4_K, 144, {kScales6, SubScaleField{"mins", 6, 0}}, 2, 0, -2, read_k4},
    {TypeId::Q5_K, 176, {kScales6, SubScaleField{"mins", 6, 0}}, 2, 0, -2, read_k4},
    {TypeId::Q6_K, 210, {SubScaleField{"scales", 8, -128}}, 1, 0, -2, read_q6_k},
    {TypeId::IQ2_XXS, 66, {SubScaleField{"aux.scale", 4, 0}}, 1, 256, 0, read_iq2_xxs},
    {TypeId::IQ2_XS, 74, {kScales4}, 1, 512, 0, read_iq2_xs},
    {TypeId::IQ2_S, 82, {kScales4}, 1, 1024, 0, read_iq2_s},
    {TypeId::IQ3_XXS, 98, {SubScaleField{"aux.scale", 4, 0}}, 1, 256, 0, read_iq3_xxs},
    {TypeId::IQ3_S, 110, {kScales4}, 1, 512, 0, read_iq3_s},
    {TypeId::IQ1_S, 50, {SubScaleField{"qh.scale", 3, 0}}, 1, 2048, 0, read_iq1_s},
    {TypeId::IQ1_M, 56, {SubScaleField{"scales", 3, 0}}, 1, 2048, -1, read_iq1_m},
};

// A code-book block whose d is +-0: ggml's quantizers write an all-zero block so, indices and signs
// zero, which would count as grid entry 0 and cleared signs without saying anything about the weights.
bool zero_scale(const CodeLayout& layout, const std::uint8_t* b) {
    if (layout.d_offset == -2) return false;
    const std::uint32_t bits = layout.d_offset == -1 ? iq1m_scale_bits(b + 48) : u16(b + layout.d_offset);
    return (bits & 0x7FFFu) == 0;
}

}  // namespace

const CodeLayout* find_code_layout(std::uint32_t type) {
    for (const CodeLayout& l : kLayouts)
        if (static_cast<std::uint32_t>(l.type) == type) return &l;
    return nullptr;
}

CodeAccumulator::CodeAccumulator(std::uint32_t type) : layout_(find_code_layout(type)) {
    if (!layout_) return;
    for (int f = 0; f < layout_->n_fields; ++f) histograms_[f].assign(std::size_t{1} << layout_->fields[f].bits, 0);
    grid_words_.assign((layout_->grid_size + 63) / 64, 0);
}

void CodeAccumulator::add_blocks(const std::byte* blocks, std::size_t n_blocks) {
    if (!layout_) return;
    CodeCounts c = counts_;
    for (int f = 0; f < layout_->n_fields; ++f) c.histograms[f] = histograms_[f].data();
    c.grid_words = grid_words_.data();
    const auto* b = reinterpret_cast<const std::uint8_t*>(blocks);
    for (std::size_t i = 0; i < n_blocks; ++i, b += layout_->block_bytes) {
        if (zero_scale(*layout_, b)) {
            ++c.zero_blocks;
            continue;
        }
        layout_->read(b, c);
    }
    // The tables were written through the pointers; only the counters are kept by value.
    counts_.zero_blocks = c.zero_blocks;
    counts_.grid_lookups = c.grid_lookups;
    counts_.sign_bits = c.sign_bits;
    counts_.signs_set = c.signs_set;
    counts_.delta_bits = c.delta_bits;
    counts_.deltas_negative = c.deltas_negative;
}

void CodeAccumulator::merge(const CodeAccumulator& other) {
    if (!layout_) return;
    for (int f = 0; f < layout_->n_fields; ++f)
        for (std::size_t i = 0; i < histograms_[f].size(); ++i) histograms_[f][i] += other.histograms_[f][i];
    for (std::size_t i = 0; i < grid_words_.size(); ++i) grid_words_[i] |= other.grid_words_[i];
    counts_.zero_blocks += other.counts_.zero_blocks;
    counts_.grid_lookups += other.counts_.grid_lookups;
    counts_.sign_bits += other.counts_.sign_bits;
    counts_.signs_set += other.counts_.signs_set;
    counts_.delta_bits += other.counts_.delta_bits;
    counts_.deltas_negative += other.counts_.deltas_negative;
}

void CodeAccumulator::finish(TensorStats& s) const {
    if (!layout_) return;
    for (int f = 0; f < layout_->n_fields; ++f) {
        const SubScaleField& field = layout_->fields[f];
        SubScaleStats out;
        out.name = std::string(field.name);
        out.bits = field.bits;
        out.min_code = field.min_code;
        out.histogram = histograms_[f];
        double sum = 0.0;
        for (std::size_t i = 0; i < out.histogram.size(); ++i) {
            out.count += out.histogram[i];
            sum += static_cast<double>(out.histogram[i]) * static_cast<double>(static_cast<int>(i) + field.min_code);
        }
        out.mean = out.count ? sum / static_cast<double>(out.count) : std::numeric_limits<double>::quiet_NaN();
        s.sub_scales.push_back(std::move(out));
    }
    s.codes.grid_size = layout_->grid_size;
    for (std::uint64_t w : grid_words_) s.codes.grid_used += static_cast<std::uint32_t>(std::popcount(w));
    s.codes.zero_blocks = counts_.zero_blocks;
    s.codes.grid_lookups = counts_.grid_lookups;
    s.codes.sign_bits = counts_.sign_bits;
    s.codes.signs_set = counts_.signs_set;
    s.codes.delta_bits = counts_.delta_bits;
    s.codes.deltas_negative = counts_.deltas_negative;
}

}  // namespace gguf::dequant::detail
