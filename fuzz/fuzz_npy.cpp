// The .npy reader of `audit --dump` on arbitrary bytes: an error, or an array whose size is its shape's.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gguf/audit/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto array = gguf::audit::parse_npy({reinterpret_cast<const char*>(data), size}, "fuzz.npy");
    if (!array) {
        if (array.error().offset > size) __builtin_trap();
        return 0;
    }
    if (array->values.size() != array->size()) __builtin_trap();
    return 0;
}
