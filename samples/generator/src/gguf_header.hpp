// The bytes of a GGUF v3 file before its data section, for a writer that streams tensor data after it
// (gguf::Writer holds every tensor in memory, which a full-size model does not fit comfortably).
// Little-endian, default alignment; tests check it byte for byte against gguf::Writer::serialize().
#pragma once

#include <cstddef>
#include <vector>

#include "tensor_plan.hpp"
#include "vocab.hpp"

namespace gguf::samples::detail {

inline constexpr std::uint64_t kAlignment = 32;  // GGUF's default: the file sets no general.alignment

std::uint64_t padding_to_alignment(std::uint64_t size);

// Header, metadata, tensor infos (offsets packed in order, each tensor padded to the alignment), and the
// padding that starts the data section.
std::vector<std::byte> encode_header(const Metadata& metadata, const std::vector<PlannedTensor>& tensors);

}  // namespace gguf::samples::detail
