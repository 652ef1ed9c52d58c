// Traces on disk: the JSON form documented in docs/trace.md (what `gguf-doctor trace` writes, what a
// user's engine emits and `audit` reads), and float32 .npy files for full activations and logits.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/error.hpp"
#include "gguf/forward/trace.hpp"

namespace gguf::forward {

inline constexpr std::string_view trace_format_name = "gguf-doctor-trace";
inline constexpr int trace_format_version = 1;

struct TraceHeader {
    std::string model;                   // informational: file name or model name
    std::string backend;                 // "cpu", "cuda:0", or the user's engine
    std::vector<std::int32_t> tokens;    // the evaluated token ids
    std::uint64_t first_position = 0;    // position of tokens[0] (0 unless a KV cache held earlier tokens)
};

// A trace read back: each record's `values` are empty; `npy` holds the path of its full values when
// the file names one (resolved against the JSON file's folder), else "".
struct TraceFile {
    TraceHeader header;
    std::vector<TraceRecord> records;
    std::vector<std::filesystem::path> npy;
};

// The .npy file name of a record: "blk.<layer>.<op>.npy", or "<op>.npy" outside the layers.
std::string npy_file_name(const TraceRecord& record);

// Writes `json_path` atomically. When `npy_dir` is not empty, every record that kept its values is also
// written there as float32 .npy (shape = record.shape) and referenced from the JSON.
Result<void> write_trace(const std::filesystem::path& json_path, const TraceHeader& header, const Trace& trace,
                         const std::filesystem::path& npy_dir = {});

// Reads and validates a trace JSON (format name and version, required fields and types). Errors name
// the record index and field.
Result<TraceFile> read_trace(const std::filesystem::path& json_path);

// The same from the JSON text held in memory; `json_path` names it in errors and is where relative
// .npy names are resolved from.
Result<TraceFile> parse_trace(std::string_view json_text, const std::filesystem::path& json_path);

// Writes a little-endian float32 .npy (C order) atomically; `shape` outermost first.
Result<void> write_npy(const std::filesystem::path& path, std::span<const std::uint64_t> shape, std::span<const float> values);

}  // namespace gguf::forward
