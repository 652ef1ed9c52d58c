// NumPy .npy arrays as a loader dumps them: float32, float16 or float64, either byte order, C or
// Fortran order (format versions 1.0 to 3.0). Values are converted to float32 in C order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/error.hpp"

namespace gguf::audit {

struct NpyArray {
    std::vector<std::uint64_t> shape;  // outermost first, as NumPy reports it
    std::string dtype;                 // the header's descr: "<f4", "<f2", ">f4", "<f8"
    std::vector<float> values;         // C order

    std::uint64_t size() const;
};

// Fails (invalid_argument, naming the file) for a malformed header, a dtype other than float16/32/64,
// or data shorter than the shape says; io_error when the file cannot be read.
Result<NpyArray> read_npy(const std::filesystem::path& path);

// The same from the file's bytes held in memory; `name` stands for the file in errors.
Result<NpyArray> parse_npy(std::string_view bytes, const std::filesystem::path& name);

// (Writing float32 .npy files: gguf/forward/trace_io.hpp's write_npy.)

}  // namespace gguf::audit
