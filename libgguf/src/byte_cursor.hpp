// The only code that reads file bytes: a cursor over the mapped span that knows how many bytes remain
// and the file's byte order. Every read fails instead of going past the end; the first failure is kept.
// The span may be only the first part of a longer file (a header fetched over the network): then
// counts and lengths are judged against the whole file's size, exactly as for the file on disk, and a
// read that passes the end of the span but not of the file fails with needed() saying how many bytes
// would have let it succeed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "gguf/byte_order.hpp"
#include "gguf/error.hpp"

namespace gguf {

// What is being read, for error messages: "the type of key 'general.name'". Kept as two views and
// formatted only when a read fails, so the happy path allocates nothing per field.
struct What {
    std::string_view part;
    std::string_view subject = {};

    std::string text() const {
        std::string s(part);
        if (subject.data() != nullptr) {  // an empty name read from the file still gets its quotes
            s += " '";
            s += subject;
            s += "'";
        }
        return s;
    }
};

class ByteCursor {
public:
    ByteCursor(std::span<const std::byte> data, ByteOrder order, std::string path)
        : ByteCursor(data, data.size(), order, std::move(path)) {}
    // `file_size` >= data.size(): the size of the file whose first bytes `data` are.
    ByteCursor(std::span<const std::byte> data, std::uint64_t file_size, ByteOrder order, std::string path)
        : data_(data), file_size_(file_size < data.size() ? data.size() : file_size), order_(order), path_(std::move(path)) {}

    std::uint64_t offset() const { return pos_; }
    std::uint64_t remaining() const { return file_size_ - pos_; }
    std::uint64_t size() const { return file_size_; }
    // After a failure: the bytes from the start of the file that the failed read needed, when they lie
    // inside the file but past the given span; 0 when more bytes would not have helped.
    std::uint64_t needed() const { return needed_; }
    ByteOrder order() const { return order_; }
    void set_order(ByteOrder order) { order_ = order; }
    // GGUF v1 stores counts, string lengths and dimensions as 32-bit integers.
    void set_narrow_lengths(bool narrow) { narrow_ = narrow; }
    bool narrow_lengths() const { return narrow_; }
    std::uint64_t length_size() const { return narrow_ ? 4 : 8; }
    const std::string& path() const { return path_; }

    template <class T>
    bool read(T& out, const What& what) {
        if (remaining() < sizeof(T)) return fail(ErrorCode::truncated, "file ends inside " + what.text());
        if (!present(sizeof(T), what)) return false;
        out = load<T>(data_.data() + pos_, order_);
        pos_ += sizeof(T);
        return true;
    }

    // A count or length: 64-bit, or 32-bit in v1.
    bool read_length(std::uint64_t& out, const What& what) {
        if (!narrow_) return read(out, what);
        std::uint32_t v = 0;
        if (!read(v, what)) return false;
        out = v;
        return true;
    }

    // A length-prefixed string, as a view of the mapped bytes. A length past the end of the file is
    // reported at the offset of the length field.
    bool read_string(std::string_view& out, const What& what) {
        const std::uint64_t at = pos_;
        std::uint64_t len = 0;
        if (!read_length(len, what)) return false;
        if (len > remaining()) {
            const std::uint64_t left = remaining();
            pos_ = at;
            return fail(ErrorCode::string_too_long, what.text() + " has length " + std::to_string(len) +
                                                         " but only " + std::to_string(left) + " bytes remain");
        }
        if (!present(len, what)) return false;
        out = std::string_view(reinterpret_cast<const char*>(data_.data() + pos_), len);
        pos_ += len;
        return true;
    }

    bool skip(std::uint64_t n, const What& what) {
        if (n > remaining()) return fail(ErrorCode::truncated, "file ends inside " + what.text());
        if (!present(n, what)) return false;
        pos_ += n;
        return true;
    }

    std::span<const std::byte> span_from(std::uint64_t start) const { return data_.subspan(start, pos_ - start); }

    bool fail(ErrorCode code, std::string message) { return fail_at(code, pos_, std::move(message)); }
    bool fail_at(ErrorCode code, std::uint64_t at, std::string message) {
        if (!failed_) error_ = Error{code, at, std::move(message), path_};
        failed_ = true;
        return false;
    }
    bool failed() const { return failed_; }
    const Error& error() const { return error_; }

private:
    // Whether the next n bytes, known to lie inside the file, lie inside the span too.
    bool present(std::uint64_t n, const What& what) {
        if (n <= data_.size() - pos_) return true;
        if (!failed_) needed_ = pos_ + n;
        return fail(ErrorCode::truncated, "the bytes read so far end inside " + what.text());
    }

    std::span<const std::byte> data_;
    std::uint64_t file_size_ = 0;
    std::uint64_t needed_ = 0;
    std::uint64_t pos_ = 0;
    ByteOrder order_;
    bool narrow_ = false;
    std::string path_;
    bool failed_ = false;
    Error error_;
};

}  // namespace gguf
