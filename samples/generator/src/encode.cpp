#include "encode.hpp"

#include <bit>
#include <cstring>

#include <algorithm>
#include <cstring>

#include "gguf/byte_order.hpp"
#include "gguf/quantize.hpp"
#include "gguf/types.hpp"

namespace gguf::samples::detail {
namespace {

constexpr std::uint32_t id(TypeId t) { return static_cast<std::uint32_t>(t); }

template <class Convert>
void encode_u16(std::span<const float> in, std::span<std::byte> out, Convert convert) {
    for (std::size_t i = 0; i < in.size(); ++i) store<std::uint16_t>(out.data() + 2 * i, convert(in[i]), ByteOrder::little);
}

}  // namespace

std::uint16_t fp32_to_fp16(float f) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u) {  // Inf or NaN (NaN keeps a set mantissa bit)
        return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0u));
    }
    if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504: Inf
    if (abs < 0x38800000u) {  // below the smallest normal half: subnormal or zero
        if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);  // below half the smallest subnormal
        const std::uint32_t exponent = abs >> 23;
        const std::uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
        const std::uint32_t shift = 126u - exponent;  // brings the value to units of 2^-24
        std::uint32_t half = mantissa >> shift;
        const std::uint32_t rest = mantissa & ((1u << shift) - 1u);
        const std::uint32_t midpoint = 1u << (shift - 1u);
        if (rest > midpoint || (rest == midpoint && (half & 1u))) ++half;
        return static_cast<std::uint16_t>(sign | half);
    }
    std::uint32_t half = ((abs - 0x38000000u) >> 13);  // rebias the exponent from 127 to 15
    const std::uint32_t rest = abs & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // a carry may reach the exponent: right
    return static_cast<std::uint16_t>(sign | half);
}

float fp16_to_fp32(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    std::uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
    if (exponent == 0) {
        if (mantissa == 0) return std::bit_cast<float>(sign);
        int e = -1;  // normalise the subnormal
        do { ++e; mantissa <<= 1; } while ((mantissa & 0x400u) == 0);
        return std::bit_cast<float>(sign | ((112u - static_cast<std::uint32_t>(e)) << 23) | ((mantissa & 0x3ffu) << 13));
    }
    return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

std::uint16_t fp32_to_bf16(float f) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 64u);
    return static_cast<std::uint16_t>((x + (0x7fffu + ((x >> 16) & 1u))) >> 16);
}

bool can_encode(std::uint32_t type) {
    return type == id(TypeId::F32) || type == id(TypeId::F16) || type == id(TypeId::BF16) || dequant::can_quantize(type);
}

bool encode_rows(std::uint32_t type, std::span<const float> in, std::uint64_t row_length, std::span<std::byte> out) {
    if (type == id(TypeId::F32)) {
        for (std::size_t i = 0; i < in.size(); ++i) store<float>(out.data() + 4 * i, in[i], ByteOrder::little);
    } else if (type == id(TypeId::F16)) {
        encode_u16(in, out, fp32_to_fp16);
    } else if (type == id(TypeId::BF16)) {
        encode_u16(in, out, fp32_to_bf16);
    } else {
        // gguf_dequant's quantizers, on row ranges in parallel (rows are independent).
        const std::int64_t n_rows = static_cast<std::int64_t>(in.size() / row_length);
        const std::size_t row_bytes = out.size() / static_cast<std::size_t>(n_rows);
        constexpr std::int64_t rows_per_task = 16;
        bool failed = false;
#pragma omp parallel for schedule(dynamic) reduction(|| : failed)
        for (std::int64_t first = 0; first < n_rows; first += rows_per_task) {
            const std::int64_t n = std::min(rows_per_task, n_rows - first);
            const auto values = in.subspan(static_cast<std::size_t>(first) * row_length, static_cast<std::size_t>(n) * row_length);
            auto blocks = dequant::quantize(type, values, row_length);
            if (!blocks || blocks->size() != static_cast<std::size_t>(n) * row_bytes) {
                failed = true;
                continue;
            }
            std::memcpy(out.data() + static_cast<std::size_t>(first) * row_bytes, blocks->data(), blocks->size());
        }
        return !failed;
    }
    return true;
}

}  // namespace gguf::samples::detail
