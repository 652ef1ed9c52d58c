#include "output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace gguf::samples::detail {

Result<OutputFile> OutputFile::create(const std::filesystem::path& path) {
    static std::atomic<unsigned> counter{0};
    std::filesystem::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Error{ErrorCode::write_failed, 0, std::string("cannot create: ") + std::strerror(errno), tmp.string()};
    return OutputFile(path, std::move(tmp), fd);
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : path_(std::move(other.path_)), tmp_(std::move(other.tmp_)), fd_(other.fd_), written_(other.written_) {
    other.fd_ = -1;
}

OutputFile::~OutputFile() {
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink(tmp_.c_str());
    }
}

Error OutputFile::fail(const std::filesystem::path& where, const std::string& what) {
    const std::string why = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_.c_str());
    return Error{ErrorCode::write_failed, written_, what + ": " + why, where.string()};
}

Result<void> OutputFile::write(std::span<const std::byte> bytes) {
    if (fd_ < 0) return Error{ErrorCode::write_failed, written_, "write after a failure", tmp_.string()};
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail(tmp_, "write failed");
        done += static_cast<std::size_t>(n);
    }
    written_ += bytes.size();
    return {};
}

Result<void> OutputFile::write_zeros(std::size_t n) {
    const std::vector<std::byte> zeros(n);
    return write(zeros);
}

Result<void> OutputFile::commit() {
    if (fd_ < 0) return Error{ErrorCode::write_failed, written_, "commit after a failure", tmp_.string()};
    if (::fsync(fd_) != 0) return fail(tmp_, "cannot flush");
    if (::close(fd_) != 0) {
        fd_ = -1;
        return fail(tmp_, "cannot close");
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp_.c_str());
        return Error{ErrorCode::write_failed, 0, "cannot rename the temporary file into place: " + why, path_.string()};
    }
    return {};
}

}  // namespace gguf::samples::detail
