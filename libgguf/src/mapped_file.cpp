#include "mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gguf {

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::filesystem::path& path) {
    auto fail = [&](const char* what) {
        return Error{ErrorCode::io_error, 0, std::string(what) + ": " + std::strerror(errno), path.string()};
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("cannot open");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        auto e = fail("cannot stat");
        ::close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return Error{ErrorCode::io_error, 0, "not a regular file", path.string()};
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    void* data = nullptr;
    if (size > 0) {
        // MAP_PRIVATE + PROT_READ: the model file is never written through this mapping.
        data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED) {
            auto e = fail("cannot map");
            ::close(fd);
            return e;
        }
    }
    ::close(fd);
    return std::shared_ptr<const MappedFile>(new MappedFile(data, size));
}

MappedFile::~MappedFile() {
    if (data_ && size_ > 0) ::munmap(data_, size_);
}

}  // namespace gguf
