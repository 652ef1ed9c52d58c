// Writes GGUF v3 files from metadata and tensors, little- or big-endian, atomically: the bytes go to a
// temporary file beside the target, which is renamed over it only when everything was written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
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
    // Instead of `data` (used when `data` is empty): bytes that live elsewhere, such as a mapped model
    // or one zero buffer shared by many tensors, in byte order `borrowed_order`. They must stay valid
    // until the file is written.
    std::span<const std::byte> borrowed = {};
    ByteOrder borrowed_order = ByteOrder::little;

    std::span<const std::byte> bytes() const { return data.empty() ? borrowed : std::span<const std::byte>(data); }
    ByteOrder bytes_order() const { return data.empty() ? borrowed_order : ByteOrder::little; }
};

class Writer {
public:
    // An alignment other than the default also sets general.alignment (uint32), as readers need it.
    explicit Writer(ByteOrder order = ByteOrder::little, std::uint64_t alignment = 32);

    // Sets a key (replacing an existing one in place, so key order is stable). Setting
    // general.alignment to a uint32 power of two also changes the alignment of the data section; any
    // other value makes serialize() and write() fail, since ggml would refuse the file.
    void set(std::string_view key, Value value);
    bool erase(std::string_view key);
    const Value* find(std::string_view key) const;

    // Checks the tensor (1 to 4 dimensions, a known type whose block size divides ne[0], a data size
    // that matches, a name that is new and shorter than ggml's 64-byte limit). Data is converted to
    // the file's byte order when written: each multi-byte field (plain numbers, the f16/f32 scales
    // inside quantized blocks) is swapped as types.hpp's byte_swap_layout describes; a type without a
    // defined layout is refused when a conversion would be needed.
    Result<void> add_tensor(WriterTensor tensor);
    void clear_tensors();

    const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
    const std::vector<WriterTensor>& tensors() const { return tensors_; }
    std::uint64_t alignment() const { return alignment_; }
    ByteOrder byte_order() const { return order_; }

    // The serialized file, in memory (fixtures and tests). Offsets are packed in tensor order with
    // padding to the alignment, which is the only layout ggml's reader accepts.
    Result<std::vector<std::byte>> serialize() const;
    // Writes the same bytes to `path`, streaming tensor data (no copy of the whole file in memory),
    // through a temporary file and an atomic rename.
    Result<void> write(const std::filesystem::path& path) const;

private:
    Result<void> check_writable() const;

    ByteOrder order_;
    std::uint64_t alignment_;
    std::vector<std::pair<std::string, Value>> metadata_;
    std::vector<WriterTensor> tensors_;
};

// Copies a parsed model into a writer (metadata and tensors), e.g. to edit metadata or to rewrite it
// in the other byte order. Tensor data is borrowed from the model's mapping, not copied: `model` must
// outlive the writer's write(). The split.* keys of a split model are dropped, so the result is one
// self-contained file. Fails for a tensor whose data cannot be viewed (see Container::issues()).
Result<Writer> writer_from(const Container& model, ByteOrder order);

// How to cut a model into shards, as llama.cpp's gguf-split does (0: no limit of that kind).
struct SplitLimits {
    std::uint64_t max_tensors = 0;  // --split-max-tensors
    // --split-max-size: a shard starts when the tensor data of the current one (each tensor padded to
    // the alignment; metadata not counted) would exceed this. A tensor larger than the limit gets a
    // shard of its own (gguf-split would also leave an empty first shard then; this does not).
    std::uint64_t max_bytes = 0;
};

// One shard of a split: tensors [first_tensor, first_tensor + n_tensors) of the model.
struct SplitShard {
    std::uint64_t first_tensor = 0;
    std::uint64_t n_tensors = 0;
    std::uint64_t data_bytes = 0;   // padded tensor data
};

// The shards `limits` give for `model` (one when it has no tensors). Fails for limits that set neither
// kind, or for more shards than split.count (uint16) can number.
Result<std::vector<SplitShard>> plan_split(const Writer& model, const SplitLimits& limits);

// Writes `model` the way llama.cpp's gguf-split does: files <prefix>-00001-of-0000N.gguf ... as
// plan_split cuts it. The first shard carries all metadata; every shard carries split.no (uint16,
// 0-based), split.count (uint16) and split.tensors.count (int32). Each shard is written atomically
// (the set as a whole is not). Returns the shard paths in order.
Result<std::vector<std::filesystem::path>> write_split(const Writer& model, const std::filesystem::path& prefix,
                                                        const SplitLimits& limits);
// The same with at most `max_tensors_per_shard` tensors a shard.
Result<std::vector<std::filesystem::path>> write_split(const Writer& model, const std::filesystem::path& prefix,
                                                        std::uint64_t max_tensors_per_shard);

// The path of shard `index` (0-based) of `count`: "<prefix>-%05d-of-%05d.gguf", as llama.cpp names them.
std::filesystem::path split_shard_path(const std::filesystem::path& prefix, std::uint64_t index, std::uint64_t count);

// Writes `bytes` to `path` through a temporary file and an atomic rename.
Result<void> write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes);

}  // namespace gguf
