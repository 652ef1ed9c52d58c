#include "shard_parser.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "byte_cursor.hpp"
#include "checked_math.hpp"

namespace gguf {
namespace {

// Deeper nesting than this is refused as an option: the walk below recurses once per level.
constexpr std::uint32_t kMaxSupportedArrayDepth = 1024;

struct ArrayHeader {
    ValueType element = ValueType::uint8;
    std::uint64_t count = 0;
};

// Walks metadata values, checking every type id, count and length against the bytes that remain.
// Nothing is copied and nothing is allocated per element: the caller keeps a view of the walked bytes.
class ValueWalker {
public:
    ValueWalker(ByteCursor& cur, const OpenOptions& options) : cur_(cur), options_(options) {}

    // Element type and count of an array at nesting level `depth` (1 for a key's own array). The count
    // is rejected before anything is walked when its smallest possible encoding cannot fit.
    bool read_array_header(std::uint32_t depth, ArrayHeader& h, const What& what) {
        if (depth > options_.max_array_depth)
            return cur_.fail(ErrorCode::nesting_too_deep, what.text() + ": arrays nested deeper than " +
                                                              std::to_string(options_.max_array_depth) + " levels");
        const std::uint64_t type_at = cur_.offset();
        std::uint32_t element_raw = 0;
        if (!cur_.read(element_raw, what)) return false;
        if (element_raw >= value_type_count)
            return cur_.fail_at(ErrorCode::bad_value_type, type_at,
                                what.text() + ": array element type " + std::to_string(element_raw) +
                                    " is not a GGUF value type");
        h.element = static_cast<ValueType>(element_raw);
        const std::uint64_t count_at = cur_.offset();
        if (!cur_.read_length(h.count, what)) return false;
        const auto needed = checked_mul(h.count, min_encoded_size(h.element));
        if (!needed || *needed > cur_.remaining())
            return cur_.fail_at(ErrorCode::count_too_large, count_at,
                                what.text() + ": an array of " + std::to_string(h.count) + " " +
                                    std::string(value_type_name(h.element)) + " elements cannot fit in the " +
                                    std::to_string(cur_.remaining()) + " remaining bytes");
        return true;
    }

    // The elements of an array whose header was just read. Strings inside arrays are not checked for
    // UTF-8 here: a 150k-token vocabulary would cost several times the whole parse, and the code that
    // uses the strings (tokenizers, renderers) checks the ones it uses.
    bool walk_elements(const ArrayHeader& h, std::uint32_t depth, const What& what) {
        if (const std::size_t width = scalar_size(h.element); width != 0)
            return cur_.skip(h.count * width, what);  // read_array_header proved the product fits
        for (std::uint64_t i = 0; i < h.count; ++i) {
            if (h.element == ValueType::string) {
                std::string_view s;
                if (!cur_.read_string(s, what)) return false;
            } else {
                ArrayHeader inner;
                if (!read_array_header(depth + 1, inner, what)) return false;
                if (!walk_elements(inner, depth + 1, what)) return false;
            }
        }
        return true;
    }

private:
    // The fewest bytes one element can take: a scalar, a string length, or an array's type and count.
    std::uint64_t min_encoded_size(ValueType element) const {
        if (const std::size_t width = scalar_size(element); width != 0) return width;
        return element == ValueType::string ? cur_.length_size() : 4 + cur_.length_size();
    }

    ByteCursor& cur_;
    const OpenOptions& options_;
};

// One metadata value as a view of the mapped bytes.
bool parse_value(ByteCursor& cur, const OpenOptions& options, ValueType type,
                 const std::shared_ptr<const void>& keep_alive, Value& out, const What& what) {
    const std::uint64_t start = cur.offset();
    if (type == ValueType::string) {
        std::string_view s;
        if (!cur.read_string(s, what)) return false;
        out = Value::view(ValueType::string, cur.order(), std::as_bytes(std::span(s.data(), s.size())), keep_alive);
        return true;
    }
    if (type == ValueType::array) {
        ValueWalker walker(cur, options);
        ArrayHeader h;
        if (!walker.read_array_header(1, h, what)) return false;
        const std::uint64_t elements_at = cur.offset();
        if (!walker.walk_elements(h, 1, what)) return false;
        out = Value::view(ValueType::array, cur.order(), cur.span_from(elements_at), keep_alive, h.element, h.count,
                          cur.narrow_lengths());
        return true;
    }
    if (!cur.skip(scalar_size(type), what)) return false;
    out = Value::view(type, cur.order(), cur.span_from(start), keep_alive);
    return true;
}

struct Header {
    std::uint32_t version = 0;
    std::uint64_t n_tensors = 0;
    std::uint64_t n_kv = 0;
};

bool parse_header(ByteCursor& cur, Header& h) {
    static constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
    std::uint32_t magic = 0;
    if (!cur.read(magic, What{"the magic"})) return false;
    if (std::memcmp(&magic, kMagic, 4) != 0)
        return cur.fail_at(ErrorCode::bad_magic, 0, "not a GGUF file (the first four bytes are not \"GGUF\")");

    // No byte-order flag exists: a big-endian file's version reads as 0xNN000000 little-endian.
    std::uint32_t v = 0;
    if (!cur.read(v, What{"the version"})) return false;
    if (v >= 1 && v <= 3) {
        cur.set_order(ByteOrder::little);
    } else if (const std::uint32_t swapped = byteswap(v); swapped >= 1 && swapped <= 3) {
        cur.set_order(ByteOrder::big);
        v = swapped;
    } else {
        return cur.fail_at(ErrorCode::unsupported_version, 4,
                           "version " + std::to_string(v) + " is not 1, 2 or 3 in either byte order");
    }
    h.version = v;
    cur.set_narrow_lengths(v == 1);
    if (!cur.read_length(h.n_tensors, What{"the tensor count"})) return false;
    if (!cur.read_length(h.n_kv, What{"the metadata count"})) return false;
    return true;
}

// Vectors sized from a count in the file grow as entries are actually read; reserving the count
// up front would let a forged count allocate far more memory than the file holds.
constexpr std::uint64_t kMaxReserve = 4096;

}  // namespace

Result<ParsedShard> parse_shard(const std::filesystem::path& path, const OpenOptions& options) {
    auto mapped = MappedFile::open(path);
    if (!mapped) return mapped.error();
    const std::span<const std::byte> bytes = (*mapped)->bytes();
    return parse_shard_bytes(bytes, std::move(*mapped), path, options);
}

namespace {

// The parse over a cursor of the file's first bytes (all of them, or a prefix: see ByteCursor).
Result<ParsedShard> parse_with(ByteCursor& cur, std::span<const std::byte> bytes, std::shared_ptr<const void> storage,
                               const std::filesystem::path& path, const OpenOptions& options) {
    if (options.max_array_depth > kMaxSupportedArrayDepth)
        return Error{ErrorCode::invalid_argument, 0,
                     "max_array_depth " + std::to_string(options.max_array_depth) + " is above the supported " +
                         std::to_string(kMaxSupportedArrayDepth),
                     path.string()};
    ParsedShard out;
    out.storage = std::move(storage);
    const std::shared_ptr<const void>& keep_alive = out.storage;

    Header h;
    if (!parse_header(cur, h)) return cur.error();
    Shard& shard = out.shard;
    shard.path = path;
    shard.file_size = cur.size();
    shard.header_only = bytes.size() < cur.size();
    shard.version = h.version;
    shard.byte_order = cur.order();
    shard.n_tensors = h.n_tensors;
    shard.n_kv = h.n_kv;
    shard.bytes = bytes;

    auto add_issue = [&](IssueKind kind, Severity sev, std::uint64_t offset, std::string_view subject,
                         std::string msg) {
        out.issues.push_back(StructuralIssue{kind, sev, 0, offset, std::string(subject), std::move(msg)});
    };

    const std::uint64_t len_size = cur.length_size();
    const std::uint64_t n_tensors_at = 8, n_kv_at = 8 + len_size;
    // A key takes at least a length, a type id and a one-byte value; a tensor info at least a name
    // length, n_dims, one dimension, a type id and a 64-bit offset.
    const std::uint64_t min_kv = len_size + 4 + 1;
    const std::uint64_t min_tensor = len_size + 4 + len_size + 4 + 8;
    auto counts_fit = [&](std::uint64_t count, std::uint64_t min_size) {
        const auto need = checked_mul(count, min_size);
        return need && *need <= cur.remaining();
    };
    if (!counts_fit(h.n_kv, min_kv))
        return Error{ErrorCode::count_too_large, n_kv_at,
                     "metadata count " + std::to_string(h.n_kv) + " cannot fit in the " +
                         std::to_string(cur.remaining()) + " bytes after the header",
                     path.string()};
    if (!counts_fit(h.n_tensors, min_tensor))
        return Error{ErrorCode::count_too_large, n_tensors_at,
                     "tensor count " + std::to_string(h.n_tensors) + " cannot fit in the " +
                         std::to_string(cur.remaining()) + " bytes after the header",
                     path.string()};

    out.metadata.reserve(std::min(h.n_kv, kMaxReserve));
    std::unordered_set<std::string_view> keys;
    keys.reserve(std::min(h.n_kv, kMaxReserve));
    for (std::uint64_t i = 0; i < h.n_kv; ++i) {
        MetadataEntry e;
        e.offset = cur.offset();
        std::string_view key;
        if (!cur.read_string(key, What{"a metadata key"})) return cur.error();
        e.key = std::string(key);
        const std::uint64_t type_at = cur.offset();
        std::uint32_t type_raw = 0;
        if (!cur.read(type_raw, What{"the value type of key", key})) return cur.error();
        if (type_raw >= value_type_count)
            return Error{ErrorCode::bad_value_type, type_at,
                         "key '" + e.key + "' has value type " + std::to_string(type_raw) +
                             ", which is not a GGUF value type",
                         path.string()};
        if (!parse_value(cur, options, static_cast<ValueType>(type_raw), keep_alive, e.value,
                         What{"the value of key", key}))
            return cur.error();
        if (!is_valid_utf8(key))
            add_issue(IssueKind::invalid_utf8, Severity::warning, e.offset, key, "metadata key is not valid UTF-8");
        if (e.value.is_string() && !is_valid_utf8(e.value.as_string()))
            add_issue(IssueKind::invalid_utf8, Severity::warning, e.offset, key, "string value is not valid UTF-8");
        if (!keys.insert(key).second)
            add_issue(IssueKind::duplicate_key, Severity::error, e.offset, key,
                      "key appears more than once; the first value is used here, ggml refuses the file");
        out.metadata.push_back(std::move(e));
    }
    if (!counts_fit(h.n_tensors, min_tensor))
        return Error{ErrorCode::count_too_large, n_tensors_at,
                     "tensor count " + std::to_string(h.n_tensors) + " cannot fit in the " +
                         std::to_string(cur.remaining()) + " bytes after the metadata",
                     path.string()};

    // general.alignment: ggml requires uint32; any integer is accepted here so the file can be inspected.
    shard.alignment = default_alignment;
    for (const auto& e : out.metadata) {
        if (e.key != "general.alignment") continue;
        const auto a = e.value.try_u64();
        if (!a || !is_power_of_two(*a) || *a > (std::uint64_t{1} << 31))
            return Error{ErrorCode::bad_alignment, e.offset,
                         "general.alignment must be a power of two from 1 to 2^31, found " +
                             (a ? std::to_string(*a)
                                : e.value.is_integer() ? std::string("a negative number")
                                                       : "a " + std::string(value_type_name(e.value.type()))),
                         path.string()};
        if (e.value.type() != ValueType::uint32)
            add_issue(IssueKind::alignment_not_u32, Severity::warning, e.offset, e.key,
                      "general.alignment is " + std::string(value_type_name(e.value.type())) +
                          "; ggml requires uint32 and refuses the file");
        shard.alignment = *a;
        break;  // a duplicate is reported above; the first value is the one used
    }

    out.tensors.reserve(std::min(h.n_tensors, kMaxReserve));
    for (std::uint64_t i = 0; i < h.n_tensors; ++i) {
        TensorInfo t;
        t.info_offset = cur.offset();
        std::string_view name;
        if (!cur.read_string(name, What{"a tensor name"})) return cur.error();
        t.name = std::string(name);
        const std::uint64_t dims_at = cur.offset();
        if (!cur.read(t.n_dims, What{"the n_dims of tensor", name})) return cur.error();
        if (t.n_dims < 1 || t.n_dims > max_dims)
            return Error{ErrorCode::bad_n_dims, dims_at,
                         "tensor '" + t.name + "' has n_dims " + std::to_string(t.n_dims) + "; it must be 1 to 4",
                         path.string()};
        std::uint64_t product = 1;
        for (std::uint32_t d = 0; d < t.n_dims; ++d) {
            const std::uint64_t dim_at = cur.offset();
            const What what{"the dimensions of tensor", name};
            std::uint64_t ne = 0;
            if (cur.narrow_lengths()) {
                std::uint32_t v = 0;
                if (!cur.read(v, what)) return cur.error();
                ne = v;
            } else {
                std::int64_t v = 0;
                if (!cur.read(v, what)) return cur.error();
                if (v < 0)
                    return Error{ErrorCode::bad_dims, dim_at,
                                 "tensor '" + t.name + "' has a negative dimension " + std::to_string(v),
                                 path.string()};
                ne = static_cast<std::uint64_t>(v);
            }
            t.ne[d] = ne;
            // ggml counts elements in int64_t, so the product must stay below 2^63.
            const auto p = checked_mul(product, ne);
            if (!p || *p > static_cast<std::uint64_t>(INT64_MAX))
                return Error{ErrorCode::bad_dims, dim_at,
                             "tensor '" + t.name + "': the product of its dimensions does not fit in 63 bits",
                             path.string()};
            product = *p;
        }
        if (!cur.read(t.type, What{"the type of tensor", name})) return cur.error();
        if (!cur.read(t.offset, What{"the data offset of tensor", name})) return cur.error();
        out.tensors.push_back(std::move(t));
    }
    shard.header_bytes = cur.offset();

    // ggml pads the header to the alignment only when there is tensor data to align.
    if (h.n_tensors == 0) {
        shard.data_offset = shard.header_bytes;
    } else if (auto d = align_up(shard.header_bytes, shard.alignment)) {
        shard.data_offset = *d;
    } else {
        return Error{ErrorCode::bad_alignment, shard.header_bytes, "the data section start overflows", path.string()};
    }
    return out;
}

}  // namespace

Result<ParsedShard> parse_shard_bytes(std::span<const std::byte> bytes, std::shared_ptr<const void> storage,
                                      const std::filesystem::path& path, const OpenOptions& options) {
    ByteCursor cur(bytes, ByteOrder::little, path.string());
    return parse_with(cur, bytes, std::move(storage), path, options);
}

Result<ParsedShard> parse_shard_prefix(std::span<const std::byte> bytes, std::uint64_t file_size,
                                       std::shared_ptr<const void> storage, const std::filesystem::path& path,
                                       const OpenOptions& options, std::uint64_t& needed) {
    ByteCursor cur(bytes, file_size, ByteOrder::little, path.string());
    auto parsed = parse_with(cur, bytes, std::move(storage), path, options);
    needed = parsed ? 0 : cur.needed();
    return parsed;
}

}  // namespace gguf
