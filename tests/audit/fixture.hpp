// Fixtures for the audit tests: small real-architecture models from the sample generator (matrices
// re-encoded with the reference quantizers), and the dumps a correct loader would write, which each
// test then corrupts in exactly one way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/byte_order.hpp"
#include "gguf/container.hpp"
#include "gguf/types.hpp"
#include "gguf/writer.hpp"
#include "support/temp_dir.hpp"

namespace gguf::test {

inline constexpr std::uint32_t type_id(TypeId t) { return static_cast<std::uint32_t>(t); }

// A tiny preset ("tiny-llama", "tiny-qwen2", "tiny-qwen3") with every matrix encoded as `matrix_type`
// (norms and biases stay F32, as llama.cpp keeps them); with `only`, just those matrices (the
// reference quantizers take about a microsecond per value).
Writer build_model(std::string_view preset, std::uint32_t matrix_type, const std::set<std::string>& only = {});
std::filesystem::path write_model(const TempDir& dir, const Writer& model, const std::string& file_name = "model.gguf");
std::filesystem::path write_model(const TempDir& dir, std::string_view preset, std::uint32_t matrix_type,
                                  ByteOrder order = ByteOrder::little, const std::set<std::string>& only = {});
Container open_model(const std::filesystem::path& path);

// The reference values (gguf_dequant) and NumPy shape (reversed ne) of a tensor.
std::vector<float> reference_values(const Container& model, std::string_view tensor);
std::vector<std::uint64_t> numpy_shape(const TensorInfo& tensor);

// A float32 (or float16) little-endian .npy.
void write_npy(const std::filesystem::path& path, const std::vector<std::uint64_t>& shape, std::span<const float> values,
               bool float16 = false);

// What a correct loader dumps: every tensor's reference values, as <file name>.npy in `dir`.
// `file_name` maps the GGUF name (identity by default).
void dump_reference(const Container& model, const std::filesystem::path& dir, bool float16 = false,
                    const std::function<std::string(const std::string&)>& file_name = {});

// The raw bytes of a tensor in its file.
std::span<const std::byte> tensor_bytes(const Container& model, std::string_view tensor);

}  // namespace gguf::test
