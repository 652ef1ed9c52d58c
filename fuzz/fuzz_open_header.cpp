// open_header() against open_memory() on arbitrary bytes: reading a file's header in growing requests
// (as over HTTP) must give the parse of the whole file, or its error at the same offset, and read at
// most max(first request, 2 x header). The first request's size comes from the input's last byte, so
// the fuzzer also moves where the requests end.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gguf/container.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span bytes(reinterpret_cast<const std::byte*>(data), size);
    const std::uint64_t first_read = size == 0 ? 1 : 1 + data[size - 1];
    std::uint64_t bytes_read = 0;
    const gguf::PrefixReader reader = [&](const std::string&, std::uint64_t want, std::vector<std::byte>& prefix) {
        const std::size_t end = static_cast<std::size_t>(std::min<std::uint64_t>(want, size));
        if (end > prefix.size()) {
            bytes_read += end - prefix.size();
            prefix.insert(prefix.end(), bytes.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                          bytes.begin() + static_cast<std::ptrdiff_t>(end));
        }
        return gguf::Result<std::uint64_t>(static_cast<std::uint64_t>(size));
    };
    gguf::OpenOptions options;
    options.load_split = false;  // open_memory() never looks for siblings
    auto whole = gguf::open_memory(bytes, "fuzz.gguf", options);
    auto header = gguf::open_header("fuzz.gguf", reader, options, first_read);
    if (whole.ok() != header.ok()) __builtin_trap();
    if (!whole.ok()) {
        if (whole.error().code != header.error().code || whole.error().offset != header.error().offset) __builtin_trap();
        return 0;
    }
    const gguf::Shard& shard = header->shards().front();
    if (bytes_read > std::max(first_read, 2 * shard.header_bytes)) __builtin_trap();
    if (header->tensors().size() != whole->tensors().size() || header->issues().size() != whole->issues().size() ||
        header->metadata().size() != whole->metadata().size() || shard.file_size != size)
        __builtin_trap();
    for (std::size_t i = 0; i < header->tensors().size(); ++i) {
        const auto& a = whole->tensors()[i];
        const auto& b = header->tensors()[i];
        if (a.name != b.name || a.file_offset != b.file_offset || a.data_valid != b.data_valid) __builtin_trap();
        if (shard.header_only && header->view(b).ok()) __builtin_trap();  // no data was read
    }
    return 0;
}
