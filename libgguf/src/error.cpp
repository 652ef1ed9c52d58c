#include "gguf/error.hpp"

namespace gguf {

std::string_view error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::io_error: return "io_error";
        case ErrorCode::bad_magic: return "bad_magic";
        case ErrorCode::unsupported_version: return "unsupported_version";
        case ErrorCode::truncated: return "truncated";
        case ErrorCode::count_too_large: return "count_too_large";
        case ErrorCode::string_too_long: return "string_too_long";
        case ErrorCode::bad_value_type: return "bad_value_type";
        case ErrorCode::nesting_too_deep: return "nesting_too_deep";
        case ErrorCode::bad_alignment: return "bad_alignment";
        case ErrorCode::bad_n_dims: return "bad_n_dims";
        case ErrorCode::bad_dims: return "bad_dims";
        case ErrorCode::duplicate_key: return "duplicate_key";
        case ErrorCode::duplicate_tensor: return "duplicate_tensor";
        case ErrorCode::split_missing_shard: return "split_missing_shard";
        case ErrorCode::split_mismatch: return "split_mismatch";
        case ErrorCode::tensor_unreadable: return "tensor_unreadable";
        case ErrorCode::write_failed: return "write_failed";
        case ErrorCode::invalid_argument: return "invalid_argument";
    }
    return "unknown_error";
}

std::string Error::describe() const {
    std::string s;
    if (!path.empty()) s += path + ": ";
    if (code != ErrorCode::io_error && code != ErrorCode::write_failed && code != ErrorCode::invalid_argument)
        s += "offset " + std::to_string(offset) + ": ";
    s += std::string(error_code_name(code)) + ": " + message;
    return s;
}

}  // namespace gguf
