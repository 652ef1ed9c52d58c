// Hash manifests: per-tensor xxh64 of the raw bytes and of the dequantized values, per-key hashes of the
// metadata, and whole-file hashes (xxh64, optionally sha256) of every shard. `hash --manifest` writes
// one; `hash --check` recomputes and names every difference. docs/hash.md defines the JSON format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::audit {

inline constexpr std::string_view manifest_format_name = "gguf-doctor-manifest";
inline constexpr int manifest_format_version = 1;

struct TensorHash {
    std::string name;
    std::string type;                         // "Q4_K", as type_label() spells it
    std::vector<std::uint64_t> ne;            // ggml order
    std::uint64_t bytes = 0;
    std::string xxh64;                        // of the tensor's bytes as stored (16 hex digits); empty in a
                                              // header-only manifest
    std::optional<std::string> values_xxh64;  // of its values as little-endian float32; absent when not
                                              // computed or the type has no dequantizer
};

struct FileHash {
    std::string name;                         // file name (no folder)
    std::uint64_t bytes = 0;
    std::string xxh64;                        // as `xxhsum -H64` prints it; empty in a header-only manifest
    std::optional<std::string> sha256;        // as `sha256sum` prints it
};

struct Manifest {
    std::string model;                        // informational: the file name it was made from
    bool header_only = false;                 // made from the header alone: no tensor or file hashes
    std::vector<FileHash> files;              // one per shard, in shard order
    std::vector<std::pair<std::string, std::string>> metadata;  // key -> xxh64 of its value, file order
    std::vector<TensorHash> tensors;          // file order, across shards
};

struct HashOptions {
    bool values = true;   // also hash the dequantized values
    bool sha256 = false;  // also sha256 every whole file
    int threads = 0;      // <= 0: every core
    // Hash only what the header holds: metadata, tensor names, types, shapes and sizes, file sizes (a
    // file checked before it is downloaded). values and sha256 are ignored.
    bool header_only = false;
    // Called with (bytes hashed so far, total bytes), from worker threads but never concurrently.
    std::function<void(std::uint64_t, std::uint64_t)> progress;
};

// Hashes a parsed model. Fails only for a tensor whose bytes cannot be viewed (structural damage).
Result<Manifest> compute_manifest(const Container& model, const HashOptions& options = {});

std::string manifest_json(const Manifest& manifest);
Result<void> write_manifest(const std::filesystem::path& path, const Manifest& manifest);
// Fails (invalid_argument, naming the field) for anything but the documented format.
Result<Manifest> read_manifest(const std::filesystem::path& path);

struct ManifestDifference {
    std::string kind;      // tensor_changed, tensor_reencoded, tensor_missing, tensor_added, type_changed,
                           // shape_changed, metadata_changed, metadata_missing, metadata_added,
                           // file_changed, file_count
    std::string subject;   // tensor name, metadata key or file name
    std::string message;
};

// A header-only manifest on either side compares what the header holds: metadata, tensor names, types,
// shapes and sizes, shard count and sizes; the data hashes are not compared.
struct CheckOptions {
    // Compare decoded values only: tensors whose bytes differ but whose values are the same (another
    // byte order, a repacked file) pass, and whole-file hashes are not compared.
    bool values_only = false;
};

// What `actual` differs in from `expected`; empty when they agree.
std::vector<ManifestDifference> check_manifest(const Manifest& expected, const Manifest& actual, const CheckOptions& options = {});

}  // namespace gguf::audit
