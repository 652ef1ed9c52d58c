// Decodes runs of whole blocks of one type, in the byte order of their file. Big-endian blocks are
// converted into a buffer the decoder keeps (types.hpp's swap_block_fields says which bytes), so the
// kernels only ever see little-endian blocks. One per thread.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "gguf/byte_order.hpp"
#include "gguf/types.hpp"
#include "kernels.hpp"

namespace gguf::dequant::detail {

class BlockDecoder {
public:
    // `use_simd` false forces the scalar reference decoder (tests compare the two).
    BlockDecoder(const TypeKernels& kernels, ByteOrder order, bool use_simd = true);

    std::uint32_t block_size() const { return info_->block_size; }
    std::uint32_t block_bytes() const { return info_->type_size; }

    // The little-endian form of `blocks` (whole blocks): `blocks` itself in a little-endian file, else a
    // converted copy that stays valid until the next call.
    std::span<const std::byte> little_endian(std::span<const std::byte> blocks);

    // Decodes little-endian whole blocks into blocks.size() / block_bytes() * block_size() floats.
    void decode_little_endian(std::span<const std::byte> blocks, float* out) const;

    // Both steps; a big-endian run is converted piece by piece, so the buffer stays small.
    void decode(std::span<const std::byte> blocks, float* out);

    const TypeKernels& kernels() const { return *kernels_; }

private:
    const TypeKernels* kernels_;
    const TypeInfo* info_;
    ByteOrder order_;
    DecodeFn decode_;
    std::vector<std::byte> converted_;
};

}  // namespace gguf::dequant::detail
