// Writes GGUF v3 files from metadata and tensors, little- or big-endian, atomically: the bytes go to a
// temporary file beside the target, which is renamed over it only when everything was written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/byte_order.hpp"
#include "gguf/error.hpp"
#include "gguf/value.hpp"

namespace gguf {

class Container;

struct WriterTensor {
    std::string name;
    std::uint32_t type = 0;
    std::vector<std::uint64_t> ne;      // ggml order, 1..4 entries
    std::vector<std::byte> data;        // little-endian encoding (ggml's in-memory layout)
};

class Writer {
public:
    explicit Writer(ByteOrder order = ByteOrder::little, std::uint64_t alignment = 32);

    // Sets a key (replacing an existing one in place, so key order is stable). Setting
    // general.alignment also changes the alignment used for the data section.
    void set(std::string_view key, Value value);
    bool erase(std::string_view key);
    const Value* find(std::string_view key) const;

    // Tensor data is given little-endian; for a big-endian file the writer swaps each multi-byte field
    // (plain numbers, and the f16/f32 scales inside quantized blocks) the way gguf-py's
    // gguf_convert_endian does. Fails for a type whose block layout it does not know how to swap.
    Result<void> add_tensor(WriterTensor tensor);
    void clear_tensors();

    const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
    const std::vector<WriterTensor>& tensors() const { return tensors_; }
    std::uint64_t alignment() const { return alignment_; }
    ByteOrder byte_order() const { return order_; }

    // The serialized file. Offsets are packed in tensor order with padding to the alignment, which is
    // the only layout ggml's reader accepts.
    Result<std::vector<std::byte>> serialize() const;
    Result<void> write(const std::filesystem::path& path) const;

private:
    ByteOrder order_;
    std::uint64_t alignment_;
    std::vector<std::pair<std::string, Value>> metadata_;
    std::vector<WriterTensor> tensors_;
};

// Copies a parsed model into a writer (metadata and tensors, converted to little-endian data), e.g. to
// edit metadata or to rewrite it in the other byte order.
Result<Writer> writer_from(const Container& model, ByteOrder order);

// Writes `bytes` to `path` through a temporary file and an atomic rename.
Result<void> write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes);

}  // namespace gguf
