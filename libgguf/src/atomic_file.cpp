#include "atomic_file.hpp"

#include "gguf/writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace gguf {

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& path) {
    static std::atomic<unsigned> counter{0};
    std::filesystem::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return Error{ErrorCode::write_failed, 0, std::string("cannot create a temporary file: ") + std::strerror(errno),
                     tmp.string()};
    return AtomicFile(path, std::move(tmp), fd);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)), tmp_(std::move(other.tmp_)), fd_(other.fd_) {
    other.fd_ = -1;
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink(tmp_.c_str());
    }
}

Error AtomicFile::fail(const std::string& what) {
    Error e{ErrorCode::write_failed, 0, what + ": " + std::strerror(errno), tmp_.string()};
    ::close(fd_);
    ::unlink(tmp_.c_str());
    fd_ = -1;
    return e;
}

Result<void> AtomicFile::write(std::span<const std::byte> bytes) {
    if (fd_ < 0) return Error{ErrorCode::write_failed, 0, "write after a failure or commit", tmp_.string()};
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return fail("write failed");
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Result<void> AtomicFile::write_zeros(std::size_t n) {
    static constexpr std::array<std::byte, 4096> kZeros{};
    while (n > 0) {
        const std::size_t chunk = std::min(n, kZeros.size());
        if (auto r = write(std::span(kZeros.data(), chunk)); !r) return r;
        n -= chunk;
    }
    return {};
}

Result<void> AtomicFile::commit() {
    if (fd_ < 0) return Error{ErrorCode::write_failed, 0, "commit after a failure or commit", tmp_.string()};
    if (::fsync(fd_) != 0) return fail("cannot flush");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp_.c_str());
        return Error{ErrorCode::write_failed, 0, "cannot close: " + why, tmp_.string()};
    }
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp_.c_str());
        return Error{ErrorCode::write_failed, 0, "cannot rename the temporary file into place: " + why,
                     path_.string()};
    }
    return {};
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    auto file = AtomicFile::create(path);
    if (!file) return file.error();
    if (auto r = file->write(bytes); !r) return r;
    return file->commit();
}

}  // namespace gguf
