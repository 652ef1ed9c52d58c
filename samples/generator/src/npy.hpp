// Reads float arrays from .npy files (NumPy's format 1.0-3.0: little-endian float32, float16 or
// float64, C order) row by row, for loading trained weights without holding a model in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <vector>

#include "gguf/error.hpp"

namespace gguf::samples::detail {

class NpyArray {
public:
    static Result<NpyArray> open(const std::filesystem::path& path);

    const std::vector<std::uint64_t>& shape() const { return shape_; }  // NumPy order (outermost first)
    std::uint64_t row_length() const { return shape_.empty() ? 1 : shape_.back(); }
    std::uint64_t n_rows() const;

    // Rows [first_row, first_row + out.size() / row_length()) as float32.
    Result<void> read_rows(std::uint64_t first_row, std::span<float> out);

private:
    enum class Element : std::uint8_t { f16, f32, f64 };
    NpyArray() = default;

    std::filesystem::path path_;
    std::ifstream in_;
    std::uint64_t data_offset_ = 0;
    Element element_ = Element::f32;
    std::vector<std::uint64_t> shape_;
};

}  // namespace gguf::samples::detail
