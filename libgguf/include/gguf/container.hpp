// A parsed GGUF model: header, ordered metadata, tensor infos and views of the tensor data, over one
// file or all shards of a split model. The files are mapped read-only; nothing is copied.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/byte_order.hpp"
#include "gguf/error.hpp"
#include "gguf/types.hpp"
#include "gguf/value.hpp"

namespace gguf {

inline constexpr std::uint32_t max_dims = 4;
inline constexpr std::uint64_t default_alignment = 32;

struct TensorInfo {
    std::string name;
    std::uint32_t type = 0;                  // raw ggml type id (may be unknown: see data_valid)
    std::uint32_t n_dims = 0;                // 1..4
    std::array<std::uint64_t, max_dims> ne{1, 1, 1, 1};  // ggml order: ne[0] is the innermost (row length)
    std::uint64_t offset = 0;                // relative to its shard's data section, as stored
    std::uint64_t file_offset = 0;           // absolute position in its shard file (UINT64_MAX if that overflows)
    std::uint64_t n_bytes = 0;               // from the type registry; 0 when the type is unknown, the row
                                             // length is not a block multiple, or the size overflows
    std::uint32_t shard = 0;                 // index into Container::shards()
    std::uint64_t info_offset = 0;           // where this tensor's info record starts in its shard file
    bool data_valid = false;                 // known type, whole blocks, entirely inside the file

    std::uint64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    std::uint64_t row_length() const { return ne[0]; }
    std::uint64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
    const TypeInfo* type_info() const { return find_type(type); }
};

// What dequant consumes: a tensor's info and its bytes, in the byte order of its file.
struct TensorView {
    const TensorInfo* info = nullptr;
    std::span<const std::byte> bytes;
    ByteOrder order = ByteOrder::little;
};

struct MetadataEntry {
    std::string key;
    Value value;
    std::uint64_t offset = 0;  // where the key starts in shard 0
};

enum class Severity : std::uint8_t { info, warning, error };
std::string_view severity_name(Severity s);

// Facts about the file's structure that do not stop parsing. validate turns them into findings.
enum class IssueKind : std::uint16_t {
    tensor_out_of_bounds = 1,   // offset or offset+size past the end of the file
    tensor_misaligned,          // offset not a multiple of the alignment
    tensors_overlap,            // two tensors share bytes
    not_block_multiple,         // ne[0] is not a multiple of the type's block size
    unknown_type,               // a type id ggml never assigned
    removed_type,               // a type id ggml has removed
    duplicate_key,              // a key that appears more than once (the first one is used)
    duplicate_tensor,           // a tensor name that appears more than once (the first one is used)
    data_gap,                   // unused bytes between tensors beyond alignment padding
    not_contiguous,             // offsets are not the packed order ggml's loader requires
    trailing_bytes,             // bytes after the last tensor beyond alignment padding
    invalid_utf8,               // a key, string value or tensor name that is not valid UTF-8
    long_tensor_name,           // a tensor name of 64 bytes or more (ggml's GGML_MAX_NAME)
    alignment_not_u32,          // general.alignment present with a type other than uint32
};
std::string_view issue_kind_name(IssueKind kind);

struct StructuralIssue {
    IssueKind kind{};
    Severity severity = Severity::error;
    std::uint32_t shard = 0;
    std::uint64_t offset = 0;   // byte offset in that shard's file
    std::string subject;        // tensor name or metadata key
    std::string message;
};

struct Shard {
    std::filesystem::path path;
    std::uint64_t file_size = 0;
    std::uint32_t version = 0;
    ByteOrder byte_order = ByteOrder::little;
    std::uint64_t alignment = default_alignment;
    std::uint64_t data_offset = 0;   // start of the data section (absolute)
    std::uint64_t header_bytes = 0;  // bytes up to the end of the tensor infos
    std::uint64_t n_tensors = 0;
    std::uint64_t n_kv = 0;
    std::span<const std::byte> bytes;  // the whole mapped file; with header_only, only its first bytes
    // Only the header was read (open_header(): a file checked before it is downloaded). bytes holds at
    // least header_bytes; file_size is still the whole file's, so tensor bounds are judged as on disk,
    // but no tensor data is present and Container::view refuses every tensor of the shard.
    bool header_only = false;
};

struct OpenOptions {
    bool load_split = true;        // opening one shard of name-0000k-of-0000n.gguf opens all of them
    std::uint32_t max_array_depth = 8;  // arrays of arrays beyond this depth are an error (at most 1024)
    // Fail with ErrorCode::duplicate_key / duplicate_tensor on a repeated key or tensor name, as ggml
    // does, instead of reporting it as a structural issue and using the first occurrence.
    bool reject_duplicates = false;
};

struct ParsedShard;  // libgguf's internals

class Container {
public:
    Container();
    Container(Container&&) noexcept;
    Container& operator=(Container&&) noexcept;
    ~Container();

    // Header of the first shard; shards() has each shard's own (alignment may differ between shards).
    std::uint32_t version() const;
    ByteOrder byte_order() const;
    std::uint64_t alignment() const;
    std::uint64_t data_offset() const;
    const std::vector<Shard>& shards() const;
    bool is_split() const { return shards().size() > 1; }

    // Metadata of the first shard, in file order (split models keep their model metadata there).
    const std::vector<MetadataEntry>& metadata() const;
    const Value* find(std::string_view key) const;  // first occurrence
    std::optional<std::string_view> get_string(std::string_view key) const;
    std::optional<std::uint64_t> get_u64(std::string_view key) const;  // any integer type that fits
    std::optional<double> get_f64(std::string_view key) const;         // any number

    // Tensors of all shards, in file order.
    const std::vector<TensorInfo>& tensors() const;
    const TensorInfo* find_tensor(std::string_view name) const;
    Result<TensorView> view(const TensorInfo& tensor) const;  // fails unless data_valid

    // Parameter count: sum of n_elements over all tensors (saturates at UINT64_MAX, which only forged
    // dimensions reach; such tensors are reported as out of bounds).
    std::uint64_t n_parameters() const;

    const std::vector<StructuralIssue>& issues() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    friend Result<Container> assemble_container(std::vector<ParsedShard>, const OpenOptions&);
    friend class OverlayBuilder;  // overlay.hpp
};

// Opens and parses a GGUF file (and its sibling shards). Fails only when the header cannot be parsed;
// problems with tensor placement are reported through Container::issues().
Result<Container> open(const std::filesystem::path& path, const OpenOptions& options = {});

// Parses a GGUF image held in memory (a file read by other means, a network buffer, a fuzzer's
// input) with the same checks as open(). The bytes are copied once, so the caller's buffer need not
// outlive the Container; `name` stands for the file in errors and Shard::path. One shard only: split
// siblings are not looked for (OpenOptions::load_split is ignored).
Result<Container> open_memory(std::span<const std::byte> bytes, std::string name, const OpenOptions& options = {});

// Where open_header() gets bytes from: extends `prefix` (the first prefix.size() bytes of the file
// called `name`) with the bytes that follow, up to `want` bytes or the end of the file, and returns the
// file's size. It may add fewer (a server that caps its answers): open_header() asks again, and fails
// only when nothing was added. gguf::remote reads over HTTP; a local file works too.
using PrefixReader =
    std::function<Result<std::uint64_t>(const std::string& name, std::uint64_t want, std::vector<std::byte>& prefix)>;

inline constexpr std::uint64_t default_first_read = 256 * 1024;

// Opens a model from its header alone, with the same checks as open() (tensor bounds against the real
// file size included). Reads the first `first_read` bytes of `name`; while the parse stops at the end
// of the bytes read, asks for max(what the parse needs, twice what it has). Every request but the first
// is smaller than the header, so at most max(first_read, 2 x header) bytes of a file are read. Split
// siblings are found by name as open() does (`name` may be a URL: its last '/' part is the file name).
// Shard::header_only is set on the shards read only in part.
Result<Container> open_header(const std::string& name, const PrefixReader& read, const OpenOptions& options = {},
                              std::uint64_t first_read = default_first_read);

}  // namespace gguf
