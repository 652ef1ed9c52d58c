// Decoders of the code-book quants (IQ1, IQ2, IQ3) with one deliberate, plausible mistake each: the
// ways a hand-written loader gets the sign bits, the packed sub-block scales or the code book wrong.
// They decode through dequant's shared group() readers (gguf/blocks/iquants.hpp) and change one thing,
// so `IQuantMistake::none` is gguf_dequant's decoding bit for bit (tests check it).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gguf/byte_order.hpp"

namespace gguf::audit::detail {

enum class IQuantMistake : std::uint8_t {
    none,
    signs_ignored,          // IQ2, IQ3: every value positive (the sign bits never applied)
    sign_parity_dropped,    // IQ2_XXS, IQ2_XS, IQ3_XXS: the eighth sign taken as + instead of from the parity of the seven
    scale_nibbles_swapped,  // IQ2_XS, IQ2_S, IQ3_S: the high nibble of a scale byte used for the low half and vice versa
    delta_sign_ignored,     // IQ1_S, IQ1_M: the shift always +1/8
    wrong_grid,             // IQ2_XXS looked up in IQ2_XS's code book, IQ2_XS in IQ2_S's, IQ3_XXS in IQ3_S's
};

struct IQuantMistakeInfo {
    IQuantMistake mistake;
    std::string_view name;         // "signs_ignored"
    std::string_view description;  // one clause for the report
};

// The mistakes that apply to `type` (empty for a type that is not a code-book quant), without `none`.
std::vector<IQuantMistakeInfo> iquant_mistakes(std::uint32_t type);

// Decodes whole blocks of `type` (in byte order `order`) making `mistake`.
void decode_iquant(std::uint32_t type, IQuantMistake mistake, std::span<const std::byte> blocks, ByteOrder order,
                   std::span<float> out);

}  // namespace gguf::audit::detail
