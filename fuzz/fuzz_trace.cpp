// The trace reader of `audit --trace` on arbitrary text: an error naming the record and field, or a
// trace with one .npy slot per record.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gguf/forward/trace_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto trace = gguf::forward::parse_trace({reinterpret_cast<const char*>(data), size}, "/fuzz/trace.json");
    if (!trace) return 0;
    if (trace->npy.size() != trace->records.size()) __builtin_trap();
    return 0;
}
