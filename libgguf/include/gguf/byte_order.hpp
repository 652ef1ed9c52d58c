// Byte order of a GGUF file, and the swaps that decode it. GGUF has no byte-order flag: a big-endian
// file is recognised by its version field reading as a small number only when byte-swapped.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace gguf {

enum class ByteOrder : std::uint8_t { little, big };

constexpr std::string_view byte_order_name(ByteOrder o) { return o == ByteOrder::little ? "little" : "big"; }

inline constexpr ByteOrder host_byte_order =
    std::endian::native == std::endian::little ? ByteOrder::little : ByteOrder::big;

template <class T>
constexpr T byteswap(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if constexpr (sizeof(T) == 1) {
        return v;
    } else {
        using U = std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                     std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>;
        static_assert(sizeof(U) == sizeof(T));
        U u = std::bit_cast<U>(v);
        if constexpr (sizeof(T) == 2) u = static_cast<U>(__builtin_bswap16(u));
        else if constexpr (sizeof(T) == 4) u = __builtin_bswap32(u);
        else u = __builtin_bswap64(u);
        return std::bit_cast<T>(u);
    }
}

// Reads a T stored in `order` from unaligned memory.
template <class T>
inline T load(const void* p, ByteOrder order) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return order == host_byte_order ? v : byteswap(v);
}

// Writes a T in `order` to unaligned memory.
template <class T>
inline void store(void* p, T v, ByteOrder order) {
    if (order != host_byte_order) v = byteswap(v);
    std::memcpy(p, &v, sizeof(T));
}

}  // namespace gguf
