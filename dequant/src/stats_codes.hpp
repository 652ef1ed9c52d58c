// The integer parts of quantized blocks that the decoded values hide: the packed sub-block scales of
// the K-quants and IQ types, and how the code-book (IQ) types use their grid, sign bits and 1/8 shifts.
// Read from little-endian blocks (the decoder's conversion of a big-endian file comes first), one
// accumulator per thread; stats.cpp merges them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "gguf/stats.hpp"
#include "gguf/types.hpp"

namespace gguf::dequant::detail {

// One packed sub-block scale field of a type.
struct SubScaleField {
    std::string_view name;
    std::uint8_t bits = 0;
    int min_code = 0;
};

// What one block holds, counted into an accumulator's tables.
struct CodeCounts {
    std::array<std::uint64_t*, 2> histograms{};  // per field, indexed by code - min_code
    std::uint64_t* grid_words = nullptr;         // bit set of the grid entries used
    std::uint64_t zero_blocks = 0, grid_lookups = 0, sign_bits = 0, signs_set = 0, delta_bits = 0, deltas_negative = 0;
};

struct CodeLayout {
    TypeId type;
    std::uint32_t block_bytes;
    std::array<SubScaleField, 2> fields;
    std::uint8_t n_fields;
    std::uint32_t grid_size;  // 0: no code book
    // Code-book types: where the f16 super-block scale d sits (-1: IQ1_M's packed nibbles), so that
    // blocks with d = 0 are left out; -2 for types whose blocks are all counted.
    int d_offset;
    void (*read)(const std::uint8_t* block, CodeCounts& counts);
};

// nullptr for a type with neither sub-block scales nor a grid.
const CodeLayout* find_code_layout(std::uint32_t type);

class CodeAccumulator {
public:
    explicit CodeAccumulator(std::uint32_t type);

    bool active() const { return layout_ != nullptr; }
    // `blocks`: little-endian whole blocks.
    void add_blocks(const std::byte* blocks, std::size_t n_blocks);
    void merge(const CodeAccumulator& other);
    void finish(TensorStats& s) const;

private:
    const CodeLayout* layout_;
    std::array<std::vector<std::uint64_t>, 2> histograms_;
    std::vector<std::uint64_t> grid_words_;
    CodeCounts counts_;
};

}  // namespace gguf::dequant::detail
