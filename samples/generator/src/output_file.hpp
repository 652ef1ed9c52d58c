// A file that appears at its path only when complete: bytes go to a temporary file beside it, which
// commit() flushes and renames into place. Destroyed without commit(), it removes the temporary file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

#include "gguf/error.hpp"

namespace gguf::samples::detail {

class OutputFile {
public:
    static Result<OutputFile> create(const std::filesystem::path& path);
    OutputFile(OutputFile&& other) noexcept;
    OutputFile& operator=(OutputFile&&) = delete;
    ~OutputFile();

    Result<void> write(std::span<const std::byte> bytes);
    Result<void> write_zeros(std::size_t n);
    std::uint64_t size() const { return written_; }
    Result<void> commit();

private:
    OutputFile(std::filesystem::path path, std::filesystem::path tmp, int fd) : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
    Error fail(const std::filesystem::path& where, const std::string& what);

    std::filesystem::path path_, tmp_;
    int fd_ = -1;
    std::uint64_t written_ = 0;
};

}  // namespace gguf::samples::detail
