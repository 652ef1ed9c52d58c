// Errors as values: every parse step returns Result<T>, carrying either the value or an Error
// (code, byte offset, message). Callers decide whether to throw; the CLI maps errors to exit codes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace gguf {

// Stable codes: tests assert the code, never the wording. docs/format-errors.md explains each one.
enum class ErrorCode : std::uint16_t {
    io_error = 1,            // the file cannot be opened, stat'ed or mapped
    bad_magic,               // the first four bytes are not "GGUF"
    unsupported_version,     // version is not 1, 2 or 3 (in either byte order)
    truncated,               // a read would go past the end of the file
    count_too_large,         // a count (tensors, keys, array elements) cannot fit in the remaining bytes
    string_too_long,         // a string length is larger than the remaining bytes
    bad_value_type,          // a metadata value type id outside 0..12
    nesting_too_deep,        // arrays of arrays beyond the depth limit
    bad_alignment,           // general.alignment is 0, not a power of two, or not an integer
    bad_n_dims,              // tensor n_dims outside 1..4
    bad_dims,                // a negative dimension, or a dimension product that overflows
    duplicate_key,           // OpenOptions::reject_duplicates only: the same metadata key twice
    duplicate_tensor,        // OpenOptions::reject_duplicates only: the same tensor name twice
    split_missing_shard,     // a shard of a split model cannot be found
    split_mismatch,          // shards disagree (split.count, split.no, tensor count)
    tensor_unreadable,       // a tensor's data cannot be viewed (unknown type, out of bounds...)
    write_failed,            // the writer could not create, write or rename its output
    invalid_argument,        // a caller passed something the API cannot represent
};

std::string_view error_code_name(ErrorCode code);

struct Error {
    ErrorCode code{};
    std::uint64_t offset = 0;  // byte offset in `path` where the problem was found
    std::string message;
    std::string path;           // file the offset refers to (empty when not about a file)

    // "model.gguf: offset 1234: truncated: <message>"
    std::string describe() const;
};

// Minimal expected<T, Error>. Not std::expected because CUDA's C++20 front end and g++ 12 lack it.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}
    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *error_; }

private:
    std::optional<Error> error_;
};

}  // namespace gguf
