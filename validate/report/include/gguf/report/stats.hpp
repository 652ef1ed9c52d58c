// The three renderings of `gguf-doctor stats`: an aligned table for people, JSON and CSV for scripts
// (docs/stats.md describes the fields).
#pragma once

#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/stats.hpp"

namespace gguf::report::stats {

// One selected tensor: its statistics, or why it has none (`error`, data that cannot be read).
struct Entry {
    const TensorInfo* info = nullptr;
    dequant::TensorStats stats;  // stats.supported == false: a type without a dequantizer
    std::string error;           // non-empty: the tensor's data cannot be read
};

std::string render_text(const std::string& file, const std::vector<Entry>& entries);
std::string render_json(const std::string& file, const std::vector<Entry>& entries);
std::string render_csv(const std::vector<Entry>& entries);

}  // namespace gguf::report::stats
