// The code books of the IQ types, read out of ggml's own to_float: for each table, blocks are crafted
// with a unit super-block scale, the smallest sub-block scale, no sign bits and one grid index per
// group of eight values, and the decoded values give the entries back. No table is copied from ggml's
// source; derive_iq_grids writes what this finds into dequant's gguf/blocks/iq_grid_data.hpp, and
// dequant_iq_grids_test derives it again and compares.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "gguf/types.hpp"
#include "reference/ggml_reference.hpp"

namespace gguf::test {

struct DerivedGrid {
    std::string name;          // the macro's name in iq_grid_data.hpp
    int entry_bytes;           // 8 (uint64 of 8 values) or 4 (uint32 of 4 values)
    std::vector<std::uint64_t> entries;
};

namespace probe_detail {

inline std::vector<float> ggml_to_float(TypeId type, const std::vector<std::uint8_t>& blocks) {
    const TypeInfo& info = *find_type(type);
    std::vector<float> out(blocks.size() / info.type_size * info.block_size);
    ggml_get_type_traits(static_cast<int>(type))->to_float(blocks.data(), out.data(), static_cast<std::int64_t>(out.size()));
    return out;
}

inline void put16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, 2); }

// One table entry from `n` decoded values: value = scale * byte (+ offset), each byte exact.
inline std::uint64_t entry_from(const float* v, int n, float scale, float offset) {
    std::uint64_t e = 0;
    for (int j = 0; j < n; ++j) {
        const float byte = (v[j] - offset) / scale;
        if (byte != std::nearbyint(byte) || byte < -128 || byte > 255)
            throw std::runtime_error("a probed grid value is not a byte: " + std::to_string(v[j]));
        e |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(static_cast<int>(byte))) << (8 * j);
    }
    return e;
}

constexpr std::uint16_t kUnitHalf = 0x3C00;  // 1.0

// A table of `n_entries` probed through blocks of `type` that place `per_block` indices each:
// place(block, slot, index) writes index into slot (0..per_block-1), whose 8 values are read back from
// position read_at(slot) with `scale` and `offset`.
template <class Place, class ReadAt>
std::vector<std::uint64_t> probe(TypeId type, int n_entries, int per_block, int entry_bytes, float scale, float offset,
                                 Place place, ReadAt read_at) {
    const TypeInfo& info = *find_type(type);
    const int n_blocks = (n_entries + per_block - 1) / per_block;
    std::vector<std::uint8_t> blocks(static_cast<std::size_t>(n_blocks) * info.type_size, 0);
    for (int i = 0; i < n_entries; ++i) place(blocks.data() + (i / per_block) * info.type_size, i % per_block, i);
    const std::vector<float> v = ggml_to_float(type, blocks);
    std::vector<std::uint64_t> entries(n_entries);
    for (int i = 0; i < n_entries; ++i) {
        const float* at = v.data() + (i / per_block) * info.block_size + read_at(i % per_block);
        entries[i] = entry_from(at, entry_bytes, scale, offset);
    }
    return entries;
}

}  // namespace probe_detail

// Every IQ code book, in the order iq_grid_data.hpp lists them.
inline std::vector<DerivedGrid> derive_iq_grids() {
    using namespace probe_detail;
    std::vector<DerivedGrid> grids;
    // IQ2_XXS: d, then per 32 values two uint32: four 8-bit grid indices, then 7-bit sign indices and
    // a 4-bit scale (0: 0.125 with d = 1). 32 indices a block, slot = 4 * sub-block + l.
    grids.push_back({"GGUF_IQ2XXS_GRID", 8,
                     probe(TypeId::IQ2_XXS, 256, 32, 8, 0.125f, 0.0f,
                           [](std::uint8_t* b, int slot, int index) {
                               put16(b, kUnitHalf);
                               b[2 + 8 * (slot / 4) + slot % 4] = static_cast<std::uint8_t>(index);
                           },
                           [](int slot) { return 8 * slot; })});
    // IQ2_XS: d, 32 uint16 of (9-bit index | 7-bit sign index << 9), scales 0: 0.125.
    grids.push_back({"GGUF_IQ2XS_GRID", 8,
                     probe(TypeId::IQ2_XS, 512, 32, 8, 0.125f, 0.0f,
                           [](std::uint8_t* b, int slot, int index) {
                               put16(b, kUnitHalf);
                               put16(b + 2 + 2 * slot, static_cast<std::uint16_t>(index));
                           },
                           [](int slot) { return 8 * slot; })});
    // IQ2_S: d, qs[32] low 8 bits of the indices, 32 sign bytes, qh[8] (2 high bits per index), scales 0.
    grids.push_back({"GGUF_IQ2S_GRID", 8,
                     probe(TypeId::IQ2_S, 1024, 32, 8, 0.125f, 0.0f,
                           [](std::uint8_t* b, int slot, int index) {
                               put16(b, kUnitHalf);
                               b[2 + slot] = static_cast<std::uint8_t>(index & 0xFF);
                               b[66 + slot / 4] |= static_cast<std::uint8_t>((index >> 8) << (2 * (slot % 4)));
                           },
                           [](int slot) { return 8 * slot; })});
    // IQ3_XXS: d, qs[64] 8-bit indices of 4 values each, then per 32 values a uint32 of sign indices
    // and scale (0: 0.25 with d = 1).
    grids.push_back({"GGUF_IQ3XXS_GRID", 4,
                     probe(TypeId::IQ3_XXS, 256, 64, 4, 0.25f, 0.0f,
                           [](std::uint8_t* b, int slot, int index) {
                               put16(b, kUnitHalf);
                               b[2 + slot] = static_cast<std::uint8_t>(index);
                           },
                           [](int slot) { return 4 * slot; })});
    // IQ3_S: d, qs[64] low 8 bits, qh[8] (bit 8 of each index), signs[32], scales 0: a scale of 1.
    grids.push_back({"GGUF_IQ3S_GRID", 4,
                     probe(TypeId::IQ3_S, 512, 64, 4, 1.0f, 0.0f,
                           [](std::uint8_t* b, int slot, int index) {
                               put16(b, kUnitHalf);
                               b[2 + slot] = static_cast<std::uint8_t>(index & 0xFF);
                               b[66 + slot / 8] |= static_cast<std::uint8_t>((index >> 8) << (slot % 8));
                           },
                           [](int slot) { return 4 * slot; })});
    // IQ1_S: d, qs[32] low 8 bits, qh[8] uint16 (3 high bits per index, scale 0: 1, delta +1/8).
    grids.push_back({"GGUF_IQ1S_GRID", 8,
                     probe(TypeId::IQ1_S, 2048, 32, 8, 1.0f, 0.125f,
                           [](std::uint8_t* b, int slot, int index) {
                               put16(b, kUnitHalf);
                               b[2 + slot] = static_cast<std::uint8_t>(index & 0xFF);
                               std::uint16_t qh;
                               std::memcpy(&qh, b + 34 + 2 * (slot / 4), 2);
                               qh = static_cast<std::uint16_t>(qh | (index >> 8) << (3 * (slot % 4)));
                               put16(b + 34 + 2 * (slot / 4), qh);
                           },
                           [](int slot) { return 8 * slot; })});
    return grids;
}

// The sign byte ggml applies for each 7-bit sign index of IQ2_XXS/IQ2_XS/IQ3_XXS: bit j set where value
// j of the group of eight comes out negative. Probed with grid index 0 and a unit scale.
inline std::vector<std::uint8_t> derive_sign_table() {
    using namespace probe_detail;
    std::vector<std::uint8_t> blocks(66 * 16, 0);
    for (int s = 0; s < 128; ++s) {
        std::uint8_t* b = blocks.data() + 66 * (s / 8);
        put16(b, kUnitHalf);
        const int sub = (s % 8), l = 0;
        std::uint32_t aux = static_cast<std::uint32_t>(s) << (7 * l);
        std::memcpy(b + 2 + 8 * sub + 4, &aux, 4);
    }
    const std::vector<float> v = ggml_to_float(TypeId::IQ2_XXS, blocks);
    std::vector<std::uint8_t> signs(128);
    for (int s = 0; s < 128; ++s) {
        const float* at = v.data() + 256 * (s / 8) + 32 * (s % 8);
        std::uint8_t bits = 0;
        for (int j = 0; j < 8; ++j) bits = static_cast<std::uint8_t>(bits | (std::signbit(at[j]) ? 1 << j : 0));
        signs[s] = bits;
    }
    return signs;
}

}  // namespace gguf::test
