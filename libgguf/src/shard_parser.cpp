#include "shard_parser.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "byte_cursor.hpp"
#include "checked_math.hpp"

namespace gguf {
namespace {


std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

// Reads the bytes of one value of `type` and returns a view of them. Arrays are walked (every string
// length is checked) but nothing is copied or allocated per element.
bool parse_value(ByteCursor& cur, ValueType type, std::uint32_t depth, const OpenOptions& options,
                 const std::shared_ptr<const void>& keep_alive, Value& out, std::string_view what);

bool parse_array(ByteCursor& cur, std::uint32_t depth, const OpenOptions& options,
                 const std::shared_ptr<const void>& keep_alive, Value& out, std::string_view what) {
    if (depth > options.max_array_depth)
        return cur.fail(ErrorCode::nesting_too_deep, std::string(what) + ": arrays nested deeper than " +
                                                         std::to_string(options.max_array_depth) + " levels");
    const std::uint64_t type_at = cur.offset();
    std::uint32_t element_raw = 0;
    if (!cur.read(element_raw, what)) return false;
    if (element_raw >= value_type_count)
        return cur.fail_at(ErrorCode::bad_value_type, type_at,
                           std::string(what) + ": array element type " + std::to_string(element_raw) + " is not a GGUF type");
    const auto element = static_cast<ValueType>(element_raw);
    std::uint64_t count = 0;
    const std::uint64_t count_at = cur.offset();
    if (!cur.read_length(count, what)) return false;

    // Every element takes at least this many bytes, so a count that cannot fit is rejected before
    // anything is walked or allocated.
    const std::uint64_t min_element = scalar_size(element) != 0 ? scalar_size(element)
                                      : element == ValueType::string ? (cur.narrow_lengths() ? 4 : 8)
                                                                     : 4 + (cur.narrow_lengths() ? 4 : 8);
    const auto needed = checked_mul(count, min_element);
    if (!needed || *needed > cur.remaining())
        return cur.fail_at(ErrorCode::count_too_large, count_at,
                           std::string(what) + ": array of " + std::to_string(count) + " " +
                               std::string(value_type_name(element)) + " elements cannot fit in the " +
                               std::to_string(cur.remaining()) + " remaining bytes");

    const std::uint64_t start = cur.offset();
    if (scalar_size(element) != 0) {
        if (!cur.skip(*needed, what)) return false;
    } else {
        Value ignored;
        for (std::uint64_t i = 0; i < count; ++i)
            if (!parse_value(cur, element, depth, options, keep_alive, ignored, what)) return false;
    }
    out = Value::view(ValueType::array, cur.order(), cur.span_from(start), keep_alive, element, count,
                      cur.narrow_lengths());
    return true;
}

bool parse_value(ByteCursor& cur, ValueType type, std::uint32_t depth, const OpenOptions& options,
                 const std::shared_ptr<const void>& keep_alive, Value& out, std::string_view what) {
    if (type == ValueType::array) return parse_array(cur, depth + 1, options, keep_alive, out, what);
    if (type == ValueType::string) {
        std::string_view s;
        if (!cur.read_string(s, what)) return false;
        out = Value::view(ValueType::string, cur.order(), std::as_bytes(std::span(s.data(), s.size())), keep_alive);
        return true;
    }
    const std::uint64_t start = cur.offset();
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
    if (!cur.read(magic, "the magic")) return false;
    if (std::memcmp(&magic, kMagic, 4) != 0)
        return cur.fail_at(ErrorCode::bad_magic, 0, "not a GGUF file (the first four bytes are not \"GGUF\")");

    // No byte-order flag exists: a big-endian file's version reads as 0xNN000000 little-endian.
    std::uint32_t v = 0;
    if (!cur.read(v, "the version")) return false;
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
    if (!cur.read_length(h.n_tensors, "the tensor count")) return false;
    if (!cur.read_length(h.n_kv, "the metadata count")) return false;
    return true;
}

}  // namespace

Result<ParsedShard> parse_shard(const std::filesystem::path& path, const OpenOptions& options) {
    auto mapped = MappedFile::open(path);
    if (!mapped) return mapped.error();
    ParsedShard out;
    out.mapping = *mapped;
    const std::span<const std::byte> bytes = out.mapping->bytes();
    const std::shared_ptr<const void> keep_alive = out.mapping;
    ByteCursor cur(bytes, ByteOrder::little, path.string());

    Header h;
    if (!parse_header(cur, h)) return cur.error();
    Shard& shard = out.shard;
    shard.path = path;
    shard.file_size = bytes.size();
    shard.version = h.version;
    shard.byte_order = cur.order();
    shard.n_tensors = h.n_tensors;
    shard.n_kv = h.n_kv;

    auto add_issue = [&](IssueKind kind, Severity sev, std::uint64_t offset, std::string subject, std::string msg) {
        out.issues.push_back(StructuralIssue{kind, sev, 0, offset, std::move(subject), std::move(msg)});
    };

    const bool narrow = cur.narrow_lengths();
    const std::uint64_t len_size = narrow ? 4 : 8;
    // A key is at least a length, a type id and one byte of value.
    if (auto need = checked_mul(h.n_kv, len_size + 4 + 1); !need || *need > cur.remaining())
        return Error{ErrorCode::count_too_large, narrow ? 12u : 16u,
                     "metadata count " + std::to_string(h.n_kv) + " cannot fit in the file", path.string()};
    // A tensor info is at least a name length, n_dims, one dimension, a type id and an offset.
    if (auto need = checked_mul(h.n_tensors, len_size + 4 + len_size + 4 + 8); !need || *need > cur.remaining())
        return Error{ErrorCode::count_too_large, 8,
                     "tensor count " + std::to_string(h.n_tensors) + " cannot fit in the file", path.string()};

    out.metadata.reserve(h.n_kv);
    std::unordered_set<std::string_view> keys;
    for (std::uint64_t i = 0; i < h.n_kv; ++i) {
        MetadataEntry e;
        e.offset = cur.offset();
        std::string_view key;
        if (!cur.read_string(key, "metadata key #" + std::to_string(i))) return cur.error();
        e.key = std::string(key);
        const std::uint64_t type_at = cur.offset();
        std::uint32_t type_raw = 0;
        if (!cur.read(type_raw, "the type of key " + in_quotes(key))) return cur.error();
        if (type_raw >= value_type_count)
            return Error{ErrorCode::bad_value_type, type_at,
                         "key " + in_quotes(key) + " has value type " + std::to_string(type_raw) + ", not a GGUF type",
                         path.string()};
        if (!parse_value(cur, static_cast<ValueType>(type_raw), 0, options, keep_alive, e.value,
                         "the value of key " + in_quotes(key)))
            return cur.error();
        if (!is_valid_utf8(key))
            add_issue(IssueKind::invalid_utf8, Severity::warning, e.offset, e.key, "metadata key is not valid UTF-8");
        if (e.value.is_string() && !is_valid_utf8(e.value.as_string()))
            add_issue(IssueKind::invalid_utf8, Severity::warning, e.offset, e.key, "string value is not valid UTF-8");
        if (!keys.insert(key).second)
            add_issue(IssueKind::duplicate_key, Severity::error, e.offset, e.key,
                      "key appears more than once; readers disagree on which value wins (ggml refuses the file)");
        out.metadata.push_back(std::move(e));
    }

    // general.alignment: ggml requires uint32; any integer is accepted here so the file can be inspected.
    shard.alignment = default_alignment;
    for (const auto& e : out.metadata) {
        if (e.key != "general.alignment") continue;
        const auto a = e.value.try_u64();
        if (!a || !is_power_of_two(*a) || *a > (std::uint64_t{1} << 32))
            return Error{ErrorCode::bad_alignment, e.offset,
                         "general.alignment must be a non-zero power of two, found " +
                             (a ? std::to_string(*a) : std::string(value_type_name(e.value.type()))),
                         path.string()};
        if (e.value.type() != ValueType::uint32)
            add_issue(IssueKind::alignment_not_u32, Severity::warning, e.offset, e.key,
                      "general.alignment is " + std::string(value_type_name(e.value.type())) +
                          "; ggml requires uint32 and refuses the file");
        shard.alignment = *a;
        break;
    }

    out.tensors.reserve(h.n_tensors);
    for (std::uint64_t i = 0; i < h.n_tensors; ++i) {
        TensorInfo t;
        t.info_offset = cur.offset();
        std::string_view name;
        if (!cur.read_string(name, "the name of tensor #" + std::to_string(i))) return cur.error();
        t.name = std::string(name);
        const std::string what = "tensor " + in_quotes(name);
        const std::uint64_t dims_at = cur.offset();
        if (!cur.read(t.n_dims, "the n_dims of " + what)) return cur.error();
        if (t.n_dims < 1 || t.n_dims > max_dims)
            return Error{ErrorCode::bad_n_dims, dims_at,
                         what + " has n_dims " + std::to_string(t.n_dims) + "; it must be 1 to 4", path.string()};
        std::uint64_t product = 1;
        for (std::uint32_t d = 0; d < t.n_dims; ++d) {
            const std::uint64_t dim_at = cur.offset();
            std::uint64_t ne = 0;
            if (narrow) {
                std::uint32_t v = 0;
                if (!cur.read(v, "the dimensions of " + what)) return cur.error();
                ne = v;
            } else {
                std::int64_t v = 0;
                if (!cur.read(v, "the dimensions of " + what)) return cur.error();
                if (v < 0)
                    return Error{ErrorCode::bad_dims, dim_at,
                                 what + " has a negative dimension " + std::to_string(v), path.string()};
                ne = static_cast<std::uint64_t>(v);
            }
            t.ne[d] = ne;
            const auto p = checked_mul(product, ne);
            // ggml indexes elements with int64_t, so the product must stay below 2^63.
            if (!p || *p > static_cast<std::uint64_t>(INT64_MAX))
                return Error{ErrorCode::bad_dims, dim_at, what + ": the product of the dimensions overflows",
                             path.string()};
            product = *p;
        }
        if (!cur.read(t.type, "the type of " + what)) return cur.error();
        if (!cur.read(t.offset, "the data offset of " + what)) return cur.error();
        out.tensors.push_back(std::move(t));
    }
    shard.header_bytes = cur.offset();

    if (h.n_tensors == 0) {
        shard.data_offset = shard.header_bytes;
    } else if (auto d = align_up(shard.header_bytes, shard.alignment)) {
        shard.data_offset = *d;
    } else {
        return Error{ErrorCode::bad_alignment, shard.header_bytes, "data section start overflows", path.string()};
    }
    shard.bytes = bytes;
    return out;
}

}  // namespace gguf
