// Fixtures for the rule tests: a healthy model from the sample generator, edited in memory into one
// failure class at a time, then checked. Also byte-level patches for what a Writer refuses to write
// (wrong offsets, duplicate names, truncation).
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/model/finding.hpp"
#include "gguf/rules/check.hpp"
#include "gguf/samples/generator.hpp"
#include "gguf/writer.hpp"

namespace gguf::test {

// A sample preset with its layer count changed (siblings need a few layers), built in memory.
samples::ModelConfig config(std::string_view preset, std::uint32_t n_layer = 6);
Writer build(const samples::ModelConfig& config);

// Tensors of a writer, edited in file order.
const WriterTensor& tensor(const Writer& w, std::string_view name);
void edit_tensor(Writer& w, std::string_view name, const std::function<void(WriterTensor&)>& edit);
void remove_tensor(Writer& w, std::string_view name);

// Every matrix (2-D weight) re-encoded as `type` with the reference quantizers.
void quantize_matrices(Writer& w, std::uint32_t type);

// Values of an F32, F16 or BF16 tensor, and back in the tensor's own type.
std::vector<float> values(const WriterTensor& t);
void set_values(WriterTensor& t, std::span<const float> v);

std::vector<std::byte> serialize(const Writer& w);

struct Outcome {
    bool opened = false;
    Error open_error;
    std::vector<model::Finding> findings;

    // Codes of the findings with at least this severity.
    std::set<std::string> codes(Severity at_least = Severity::warning) const;
    bool has(std::string_view code) const;
    const model::Finding* find(std::string_view code, std::string_view subject = {}) const;
    std::string describe() const;  // every finding, one per line, for failure messages
};

Outcome check(const Writer& w, rules::CheckOptions options = {});
Outcome check_bytes(std::span<const std::byte> file, rules::CheckOptions options = {});

// Where a tensor's 64-bit data offset is stored in the serialized file.
std::uint64_t offset_field_position(std::span<const std::byte> file, std::string_view tensor);
void write_u64(std::vector<std::byte>& file, std::uint64_t position, std::uint64_t value);

}  // namespace gguf::test
