// A file mapped read-only into memory. The mapping is shared by every Value and TensorView made from it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>

#include "gguf/error.hpp"

namespace gguf {

class MappedFile {
public:
    static Result<std::shared_ptr<const MappedFile>> open(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(data_), size_}; }

private:
    MappedFile(void* data, std::size_t size) : data_(data), size_(size) {}
    void* data_;
    std::size_t size_;
};

}  // namespace gguf
