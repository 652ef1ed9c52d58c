#include "iquant_variants.hpp"

#include <cstring>
#include <stdexcept>

#include "gguf/blocks/iquants.hpp"
#include "gguf/types.hpp"

namespace gguf::audit::detail {
namespace {

using namespace gguf::blocks;

// The group as read with `mistake`, from the correct reading `p` of group g of block b.
template <class Block>
Group mistaken(const std::uint8_t* b, int g, Group p, IQuantMistake mistake) {
    switch (mistake) {
        case IQuantMistake::signs_ignored: p.signs = 0; break;
        case IQuantMistake::sign_parity_dropped: p.signs &= 127; break;
        case IQuantMistake::delta_sign_ignored: p.delta = kIQ1Delta; break;
        case IQuantMistake::scale_nibbles_swapped:
            if constexpr (Block::type == TypeId::IQ2_XS || Block::type == TypeId::IQ2_S) {
                const std::uint8_t sc = b[(Block::type == TypeId::IQ2_XS ? 66 : 74) + g / 4];
                p.scale = half_step_scale(f16(b), g % 4 < 2 ? sc >> 4u : sc & 0x0Fu, 0.25f);
            } else if constexpr (Block::type == TypeId::IQ3_S) {
                const int k = g / 4;
                const std::uint8_t sc = b[106 + k / 2];
                p.scale = mul(f16(b), static_cast<float>(1 + 2 * static_cast<int>(k % 2 == 0 ? sc >> 4u : sc & 0x0Fu)));
            }
            break;
        case IQuantMistake::wrong_grid:
            if constexpr (Block::type == TypeId::IQ2_XXS) {
                p.entry = iq2xs_grid(b[2 + 8 * (g / 4) + g % 4]);
            } else if constexpr (Block::type == TypeId::IQ2_XS) {
                p.entry = iq2s_grid(static_cast<int>(u16(b + 2 + 2 * g) & 511u));
            } else if constexpr (Block::type == TypeId::IQ3_XXS) {
                p.entry = iq3s_grid(b[2 + 2 * g]) | std::uint64_t{iq3s_grid(b[3 + 2 * g])} << 32;
            }
            break;
        case IQuantMistake::none: break;
    }
    return p;
}

template <class Block>
void decode_blocks(const std::uint8_t* bytes, std::size_t n_blocks, IQuantMistake mistake, float* out) {
    for (std::size_t i = 0; i < n_blocks; ++i, bytes += Block::bytes) {
        for (int g = 0; g < Block::values / 8; ++g, out += 8) {
            const Group p = mistaken<Block>(bytes, g, Block::group(bytes, g), mistake);
            float v[8];
            if constexpr (Block::shifted) shifted_group(p, v);
            else signed_group(p, v);
            std::memcpy(out, v, sizeof v);
        }
    }
}

}  // namespace

std::vector<IQuantMistakeInfo> iquant_mistakes(std::uint32_t type) {
    const IQuantMistakeInfo signs{IQuantMistake::signs_ignored, "signs_ignored",
                                  "the sign bits were never applied (every value came out positive)"};
    const IQuantMistakeInfo parity{IQuantMistake::sign_parity_dropped, "sign_parity_dropped",
                                   "the eighth sign of each group was taken as + instead of from the parity of the "
                                   "seven stored sign bits (an even number of values is negative)"};
    const IQuantMistakeInfo nibbles{IQuantMistake::scale_nibbles_swapped, "scale_nibbles_swapped",
                                    "the two 4-bit sub-block scales of each scale byte were exchanged (ggml: the low "
                                    "nibble is the first half's)"};
    const IQuantMistakeInfo grid{IQuantMistake::wrong_grid, "wrong_grid",
                                 "the grid indices were looked up in another IQ type's code book"};
    const IQuantMistakeInfo delta{IQuantMistake::delta_sign_ignored, "delta_sign_ignored",
                                  "the sign bit of the 1/8 shift was ignored (always +1/8)"};
    switch (static_cast<TypeId>(type)) {
        case TypeId::IQ2_XXS: case TypeId::IQ3_XXS: return {signs, parity, grid};
        case TypeId::IQ2_XS: return {signs, parity, nibbles, grid};
        case TypeId::IQ2_S: case TypeId::IQ3_S: return {signs, nibbles};
        case TypeId::IQ1_S: case TypeId::IQ1_M: return {delta};
        default: return {};
    }
}

void decode_iquant(std::uint32_t type, IQuantMistake mistake, std::span<const std::byte> blocks, ByteOrder order,
                   std::span<float> out) {
    const TypeInfo* info = find_type(type);
    if (!info) throw std::invalid_argument("decode_iquant: not a code-book quant");
    const std::size_t n_blocks = blocks.size() / info->type_size;
    if (blocks.size() % info->type_size != 0 || out.size() != n_blocks * info->block_size)
        throw std::invalid_argument("decode_iquant: not whole blocks, or output of the wrong size");
    std::vector<std::byte> little;
    if (order == ByteOrder::big) {
        little.assign(blocks.begin(), blocks.end());
        if (!swap_block_fields(type, little)) throw std::invalid_argument("decode_iquant: no big-endian layout");
    }
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(order == ByteOrder::big ? little.data() : blocks.data());
    switch (static_cast<TypeId>(type)) {
        case TypeId::IQ2_XXS: return decode_blocks<BlockIQ2XXS>(bytes, n_blocks, mistake, out.data());
        case TypeId::IQ2_XS: return decode_blocks<BlockIQ2XS>(bytes, n_blocks, mistake, out.data());
        case TypeId::IQ2_S: return decode_blocks<BlockIQ2S>(bytes, n_blocks, mistake, out.data());
        case TypeId::IQ3_XXS: return decode_blocks<BlockIQ3XXS>(bytes, n_blocks, mistake, out.data());
        case TypeId::IQ3_S: return decode_blocks<BlockIQ3S>(bytes, n_blocks, mistake, out.data());
        case TypeId::IQ1_S: return decode_blocks<BlockIQ1S>(bytes, n_blocks, mistake, out.data());
        case TypeId::IQ1_M: return decode_blocks<BlockIQ1M>(bytes, n_blocks, mistake, out.data());
        default: throw std::invalid_argument("decode_iquant: not a code-book quant");
    }
}

}  // namespace gguf::audit::detail
