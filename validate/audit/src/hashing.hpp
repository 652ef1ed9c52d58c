// The hash primitives of manifests: xxh64 (xxHash) and sha256 (OpenSSL), as hex text, and the
// canonical encoding of metadata values that makes their hash independent of the file's byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "gguf/value.hpp"

namespace gguf::audit::detail {

std::string xxh64_hex(std::uint64_t hash);  // 16 lowercase hex digits, most significant first
std::string xxh64_hex(std::span<const std::byte> bytes);
std::string sha256_hex(std::span<const std::byte> bytes);
std::string value_hash(const Value& value);

}  // namespace gguf::audit::detail
