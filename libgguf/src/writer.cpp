#include "gguf/writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "checked_math.hpp"
#include "gguf/container.hpp"
#include "gguf/types.hpp"
#include "value_encoding.hpp"

namespace gguf {
namespace {

template <class T>
void append(std::vector<std::byte>& out, T v, ByteOrder order) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    store<T>(out.data() + at, v, order);
}

Error write_error(const std::filesystem::path& path, std::string what) {
    return Error{ErrorCode::write_failed, 0, std::move(what), path.string()};
}

}  // namespace

Writer::Writer(ByteOrder order, std::uint64_t alignment) : order_(order), alignment_(alignment) {}

void Writer::set(std::string_view key, Value value) {
    if (key == "general.alignment") {
        if (auto a = value.try_u64(); a && is_power_of_two(*a)) alignment_ = *a;
    }
    for (auto& [k, v] : metadata_) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    metadata_.emplace_back(std::string(key), std::move(value));
}

bool Writer::erase(std::string_view key) {
    auto it = std::find_if(metadata_.begin(), metadata_.end(), [&](const auto& kv) { return kv.first == key; });
    if (it == metadata_.end()) return false;
    metadata_.erase(it);
    if (key == "general.alignment") alignment_ = default_alignment;
    return true;
}

const Value* Writer::find(std::string_view key) const {
    for (const auto& [k, v] : metadata_)
        if (k == key) return &v;
    return nullptr;
}

Result<void> Writer::add_tensor(WriterTensor tensor) {
    auto bad = [&](std::string msg) { return Error{ErrorCode::invalid_argument, 0, "tensor '" + tensor.name + "': " + msg, ""}; };
    if (tensor.ne.empty() || tensor.ne.size() > max_dims) return bad("needs 1 to 4 dimensions");
    std::uint64_t n = 1;
    for (auto d : tensor.ne) {
        auto p = checked_mul(n, d);
        if (!p) return bad("dimension product overflows");
        n = *p;
    }
    const auto size = byte_size(tensor.type, n);
    if (!size) return bad("shape does not fit type " + type_label(tensor.type));
    if (*size != tensor.data.size())
        return bad("data has " + std::to_string(tensor.data.size()) + " bytes, the shape needs " + std::to_string(*size));
    if (order_ != ByteOrder::little && !swap_block_fields(tensor.type, tensor.data))
        return bad("no big-endian layout is defined for " + type_label(tensor.type));
    tensors_.push_back(std::move(tensor));
    return {};
}

void Writer::clear_tensors() { tensors_.clear(); }

Result<std::vector<std::byte>> Writer::serialize() const {
    std::vector<std::byte> out;
    const char magic[4] = {'G', 'G', 'U', 'F'};
    out.insert(out.end(), reinterpret_cast<const std::byte*>(magic), reinterpret_cast<const std::byte*>(magic) + 4);
    append<std::uint32_t>(out, 3, order_);
    append<std::uint64_t>(out, tensors_.size(), order_);
    append<std::uint64_t>(out, metadata_.size(), order_);
    for (const auto& [key, value] : metadata_) {
        detail::append_string(out, key, order_, false);
        append<std::uint32_t>(out, static_cast<std::uint32_t>(value.type()), order_);
        detail::append_payload(out, value, order_, false);
    }
    std::vector<std::uint64_t> offsets;
    std::uint64_t offset = 0;
    for (const auto& t : tensors_) {
        detail::append_string(out, t.name, order_, false);
        append<std::uint32_t>(out, static_cast<std::uint32_t>(t.ne.size()), order_);
        for (auto d : t.ne) append<std::int64_t>(out, static_cast<std::int64_t>(d), order_);
        append<std::uint32_t>(out, t.type, order_);
        append<std::uint64_t>(out, offset, order_);
        offsets.push_back(offset);
        offset = *align_up(offset + t.data.size(), alignment_);
    }
    if (!tensors_.empty()) {
        out.resize(*align_up(out.size(), alignment_));
        const std::size_t data_start = out.size();
        for (std::size_t i = 0; i < tensors_.size(); ++i) {
            out.resize(data_start + offsets[i]);
            out.insert(out.end(), tensors_[i].data.begin(), tensors_[i].data.end());
        }
        out.resize(data_start + offset);  // ggml pads the last tensor too
    }
    return out;
}

Result<void> Writer::write(const std::filesystem::path& path) const {
    auto bytes = serialize();
    if (!bytes) return bytes.error();
    return write_file_atomically(path, *bytes);
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    static std::atomic<unsigned> counter{0};
    const std::filesystem::path tmp = path.string() + ".tmp." + std::to_string(::getpid()) + "." +
                                      std::to_string(counter.fetch_add(1));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return write_error(tmp, std::string("cannot create: ") + std::strerror(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return write_error(tmp, "write failed: " + why);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return write_error(tmp, "cannot flush: " + why);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return write_error(path, "cannot rename the temporary file into place: " + why);
    }
    return {};
}

Result<Writer> writer_from(const Container& model, ByteOrder order) {
    Writer w(order, model.alignment());
    for (const auto& e : model.metadata()) w.set(e.key, e.value);
    for (const auto& t : model.tensors()) {
        auto view = model.view(t);
        if (!view) return view.error();
        WriterTensor wt{t.name, t.type, {t.ne.begin(), t.ne.begin() + t.n_dims}, {view->bytes.begin(), view->bytes.end()}};
        if (view->order != ByteOrder::little && !swap_block_fields(t.type, wt.data))
            return Error{ErrorCode::invalid_argument, t.info_offset,
                         "no byte-order layout is defined for " + type_label(t.type), model.shards()[t.shard].path.string()};
        if (auto r = w.add_tensor(std::move(wt)); !r) return r.error();
    }
    return w;
}

}  // namespace gguf
