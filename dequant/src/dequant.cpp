// The public decoding entry points: type table, byte order, row ranges, whole tensors.
#include "gguf/dequant.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "block_decoder.hpp"
#include "blocks.hpp"
#include "gguf/float_formats.hpp"
#include "kernels.hpp"
#include "simd.hpp"

#if GGUF_DEQUANT_X86
#include <cpuid.h>
#endif

namespace gguf::dequant {
namespace {

#if GGUF_DEQUANT_X86
// F16C is CPUID leaf 1, ECX bit 29. Asked through cpuid.h because clang (14 at least) knows no "f16c"
// for __builtin_cpu_supports; AVX2 is asked through the builtin, which also checks that the OS saves
// the AVX registers.
bool cpu_has_avx2_f16c() {
    __builtin_cpu_init();
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    return __builtin_cpu_supports("avx2") && (ecx & bit_F16C) != 0;
}
#endif

}  // namespace

bool simd_enabled() {
#if GGUF_DEQUANT_X86
    static const bool enabled = [] {
        const char* env = std::getenv("GGUF_DOCTOR_SIMD");
        if (env && std::string_view(env) == "0") return false;
        return cpu_has_avx2_f16c();
    }();
    return enabled;
#else
    return false;  // the AVX2 decoders exist only in x86 builds
#endif
}

namespace detail {

const TypeKernels* find_kernels(std::uint32_t type) {
    static const auto by_id = [] {
        std::array<const TypeKernels*, 64> table{};
        for (auto family : {float_kernels(), legacy_kernels(), kquant_kernels(), nonlinear_kernels(), iquant_kernels()})
            for (const TypeKernels& k : family) table.at(static_cast<std::size_t>(k.type)) = &k;
        return table;
    }();
    return type < by_id.size() ? by_id[type] : nullptr;
}


DecodeFn active_decoder(const TypeKernels& kernels) {
    return kernels.avx2 && simd_enabled() ? kernels.avx2 : kernels.scalar;
}

float read_scale(const std::byte* block, const ScaleField& field) {
    switch (field.format) {
        case ScaleFormat::f16: return fp16_to_fp32(load_le<std::uint16_t>(block + field.offset));
        case ScaleFormat::e8m0: return e8m0_to_fp32(static_cast<std::uint8_t>(block[field.offset]));
        case ScaleFormat::iq1m:
            return fp16_to_fp32(blocks::iq1m_scale_bits(reinterpret_cast<const std::uint8_t*>(block + field.offset)));
        case ScaleFormat::ue4m3: return 2.0f * blocks::ue4m3_half(static_cast<std::uint8_t>(block[field.offset]));
    }
    return 0.0f;
}

BlockDecoder::BlockDecoder(const TypeKernels& kernels, ByteOrder order, bool use_simd)
    : kernels_(&kernels),
      info_(find_type(kernels.type)),
      order_(order),
      decode_(use_simd ? active_decoder(kernels) : kernels.scalar) {}

std::span<const std::byte> BlockDecoder::little_endian(std::span<const std::byte> blocks) {
    if (order_ == ByteOrder::little) return blocks;
    converted_.assign(blocks.begin(), blocks.end());
    swap_block_fields(static_cast<std::uint32_t>(kernels_->type), converted_);
    return converted_;
}

void BlockDecoder::decode_little_endian(std::span<const std::byte> blocks, float* out) const {
    decode_(blocks.data(), blocks.size() / info_->type_size, out);
}

void BlockDecoder::decode(std::span<const std::byte> blocks, float* out) {
    if (order_ == ByteOrder::little) return decode_little_endian(blocks, out);
    const std::size_t piece = std::max<std::size_t>(1, (std::size_t{64} << 10) / info_->type_size) * info_->type_size;
    for (std::size_t at = 0; at < blocks.size(); at += piece) {
        const auto part = blocks.subspan(at, std::min(piece, blocks.size() - at));
        decode_little_endian(little_endian(part), out + at / info_->type_size * info_->block_size);
    }
}

}  // namespace detail

namespace {

Error unreadable(const TensorInfo& info, std::string message) {
    return Error{ErrorCode::tensor_unreadable, info.file_offset, "tensor '" + info.name + "': " + message, {}};
}

Error bad_argument(const TensorInfo& info, std::string message) {
    return Error{ErrorCode::invalid_argument, info.file_offset, "tensor '" + info.name + "': " + message, {}};
}

// The view's kernels, after checking that its bytes are exactly its tensor's size.
Result<const detail::TypeKernels*> checked_kernels(const TensorView& view) {
    if (!view.info) return Error{ErrorCode::invalid_argument, 0, "tensor view without tensor info", {}};
    const TensorInfo& info = *view.info;
    const detail::TypeKernels* kernels = detail::find_kernels(info.type);
    if (!kernels) return unreadable(info, "type " + type_label(info.type) + " has no dequantizer (unsupported)");
    const auto size = byte_size(info.type, info.n_elements());
    if (!size || *size != view.bytes.size())
        return unreadable(info, "data size " + std::to_string(view.bytes.size()) + " does not match its shape and type");
    return kernels;
}

int thread_count(int requested) { return requested > 0 ? requested : omp_get_max_threads(); }

}  // namespace

bool is_supported(std::uint32_t type) { return detail::find_kernels(type) != nullptr; }

void decode_blocks(std::uint32_t type, std::span<const std::byte> blocks, ByteOrder order, std::span<float> out) {
    const detail::TypeKernels* kernels = detail::find_kernels(type);
    if (!kernels) throw std::invalid_argument("decode_blocks: type " + type_label(type) + " has no dequantizer");
    const TypeInfo& info = *find_type(type);
    if (blocks.size() % info.type_size != 0)
        throw std::invalid_argument("decode_blocks: " + std::to_string(blocks.size()) + " bytes are not whole " +
                                    std::string(info.name) + " blocks");
    if (out.size() != blocks.size() / info.type_size * info.block_size)
        throw std::invalid_argument("decode_blocks: output size does not match the number of blocks");
    detail::BlockDecoder(*kernels, order).decode(blocks, out.data());
}

Result<void> decode_rows(const TensorView& view, std::uint64_t first_row, std::uint64_t n_rows, std::span<float> out) {
    auto kernels = checked_kernels(view);
    if (!kernels) return kernels.error();
    const TensorInfo& info = *view.info;
    if (first_row > info.n_rows() || n_rows > info.n_rows() - first_row)
        return bad_argument(info, "rows " + std::to_string(first_row) + "+" + std::to_string(n_rows) + " past its " +
                                      std::to_string(info.n_rows()) + " rows");
    if (out.size() != n_rows * info.row_length())
        return bad_argument(info, "output holds " + std::to_string(out.size()) + " floats, the rows " +
                                      std::to_string(n_rows * info.row_length()));
    const std::uint64_t row_bytes = *byte_size(info.type, info.row_length());  // a block multiple: checked_kernels
    detail::BlockDecoder(**kernels, view.order).decode(view.bytes.subspan(first_row * row_bytes, n_rows * row_bytes), out.data());
    return {};
}

Result<std::vector<float>> to_float(const TensorView& view, int threads) {
    auto kernels = checked_kernels(view);
    if (!kernels) return kernels.error();
    const TypeInfo& type = *find_type(view.info->type);
    std::vector<float> out(view.info->n_elements());
    // Pieces of about 64K values, whole blocks, decoded in parallel.
    const std::uint64_t blocks_per_piece = std::max<std::uint64_t>(1, 65536 / type.block_size);
    const std::uint64_t n_blocks = view.bytes.size() / type.type_size;
    const auto n_pieces = static_cast<std::int64_t>((n_blocks + blocks_per_piece - 1) / blocks_per_piece);
#pragma omp parallel num_threads(thread_count(threads))
    {
        detail::BlockDecoder decoder(**kernels, view.order);
#pragma omp for schedule(static)
        for (std::int64_t p = 0; p < n_pieces; ++p) {
            const std::uint64_t first = static_cast<std::uint64_t>(p) * blocks_per_piece;
            const std::uint64_t count = std::min(blocks_per_piece, n_blocks - first);
            decoder.decode(view.bytes.subspan(first * type.type_size, count * type.type_size),
                           out.data() + first * type.block_size);
        }
    }
    return out;
}

}  // namespace gguf::dequant
