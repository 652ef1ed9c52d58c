// A file that appears at its path only when complete: bytes go to a temporary file beside the target,
// which commit() flushes and renames over the target. Destroyed without commit(), it leaves no trace.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

#include "gguf/error.hpp"

namespace gguf {

class AtomicFile {
public:
    static Result<AtomicFile> create(const std::filesystem::path& path);
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    AtomicFile(const AtomicFile&) = delete;
    ~AtomicFile();

    Result<void> write(std::span<const std::byte> bytes);
    Result<void> write_zeros(std::size_t n);
    Result<void> commit();

private:
    AtomicFile(std::filesystem::path path, std::filesystem::path tmp, int fd)
        : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
    Error fail(const std::string& what);

    std::filesystem::path path_;
    std::filesystem::path tmp_;
    int fd_ = -1;
};

}  // namespace gguf
