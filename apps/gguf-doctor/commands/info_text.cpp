// The human rendering of `gguf-doctor info`, in the spirit of gguf-py's gguf-dump: a header summary,
// metadata (long arrays abbreviated), the tensor table, totals per type and the structural issues.
#include <fmt/format.h>

#include <algorithm>

#include "gguf/deploy/file_kind.hpp"
#include "commands/info_report.hpp"

namespace gguf::cli::info {
namespace {

using Out = std::back_insert_iterator<std::string>;

std::string grouped(std::uint64_t v) {
    std::string digits = std::to_string(v), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string human_bytes(std::uint64_t n) {
    static constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(n);
    std::size_t u = 0;
    while (v >= 1024.0 && u + 1 < std::size(units)) {
        v /= 1024.0;
        ++u;
    }
    return u == 0 ? fmt::format("{} bytes", n) : fmt::format("{:.2f} {}", v, units[u]);
}

std::string human_count(std::uint64_t n) {
    if (n >= 1'000'000'000) return fmt::format("{:.2f} B", static_cast<double>(n) / 1e9);
    if (n >= 1'000'000) return fmt::format("{:.2f} M", static_cast<double>(n) / 1e6);
    if (n >= 1'000) return fmt::format("{:.2f} K", static_cast<double>(n) / 1e3);
    return std::to_string(n);
}

// A string in double quotes; control characters, quotes, backslashes and bytes that are not UTF-8
// are escaped so every string shows on one line and nothing is lost.
void append_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t len = utf8_sequence_length(s, i);
        if (len > 1) {
            out.append(s.substr(i, len));
            i += len;
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (len == 1 && c >= 0x20 && c != 0x7F) out += static_cast<char>(c);
                else fmt::format_to(Out(out), "\\x{:02X}", c);
        }
        ++i;
    }
    out += '"';
}

// Strings longer than this (chat templates run to kilobytes) are cut in the text view unless --full.
constexpr std::size_t kPreviewStringBytes = 160;

void append_scalar(std::string& out, const Value& v, bool full) {
    if (v.is_string() && !full && v.as_string().size() > kPreviewStringBytes) {
        std::string_view s = v.as_string();
        std::size_t cut = kPreviewStringBytes;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
        append_quoted(out, s.substr(0, cut));
        fmt::format_to(Out(out), "... ({} bytes)", s.size());
        return;
    }
    switch (v.type()) {
        case ValueType::float32: fmt::format_to(Out(out), "{}", static_cast<float>(v.as_f64())); return;
        case ValueType::float64: fmt::format_to(Out(out), "{}", v.as_f64()); return;
        case ValueType::boolean: out += v.as_bool() ? "true" : "false"; return;
        case ValueType::string: append_quoted(out, v.as_string()); return;
        default:
            if (auto u = v.try_u64()) fmt::format_to(Out(out), "{}", *u);
            else fmt::format_to(Out(out), "{}", *v.try_i64());
    }
}

void append_value(std::string& out, const Value& v, bool full) {
    if (!v.is_array()) return append_scalar(out, v, full);
    const std::uint64_t shown = full ? v.size() : std::min(v.size(), text_preview_items);
    out += '[';
    for (std::uint64_t i = 0; i < shown; ++i) {
        if (i > 0) out += ", ";
        append_value(out, v.at(i), full);
    }
    if (shown < v.size()) fmt::format_to(Out(out), "{}... {} more", shown > 0 ? ", " : "", v.size() - shown);
    out += ']';
}

std::string type_text(const Value& v) {
    if (!v.is_array()) return std::string(value_type_name(v.type()));
    return fmt::format("[{}; {}]", value_type_name(v.element_type()), v.size());
}

std::string shape_text(const TensorInfo& t) {
    std::string s;
    for (std::uint32_t d = 0; d < t.n_dims; ++d) fmt::format_to(Out(s), "{}{}", d ? " x " : "", t.ne[d]);
    return s;
}

std::string quoted_text(std::string_view s) {
    std::string out;
    append_quoted(out, s);
    return out;
}

// Names are shown as they are when they are plain, quoted and escaped otherwise.
std::string name_text(std::string_view s) {
    const bool plain = std::all_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c > 0x20 && c < 0x7F && c != '"' && c != '\\';
    });
    return plain && !s.empty() ? std::string(s) : quoted_text(s);
}

void header(std::string& out, const Container& m, const Selection& sel) {
    std::uint64_t file_size = 0;
    for (const auto& s : m.shards()) file_size += s.file_size;
    const Shard& first = m.shards().front();
    fmt::format_to(Out(out), "file:       {}\n", sel.file);
    fmt::format_to(Out(out), "format:     GGUF v{}, {}-endian, alignment {}\n", m.version(),
                   byte_order_name(m.byte_order()), m.alignment());
    const deploy::KindInfo kind = deploy::file_kind(m);
    fmt::format_to(Out(out), "kind:       {}{}\n", deploy::file_kind_name(kind.kind), kind.detail.empty() ? "" : " (" + kind.detail + ")");
    const std::string in_shards = m.is_split() ? fmt::format(" in {} shards", m.shards().size()) : "";
    if (file_size < 1024) fmt::format_to(Out(out), "size:       {} bytes{}\n", file_size, in_shards);
    else fmt::format_to(Out(out), "size:       {} ({} bytes{})\n", human_bytes(file_size), grouped(file_size), in_shards);
    fmt::format_to(Out(out), "header:     {} bytes; data section at offset {}\n", grouped(first.header_bytes),
                   grouped(first.data_offset));
    fmt::format_to(Out(out), "metadata:   {} keys\n", m.metadata().size());
    std::uint64_t data_bytes = 0;
    for (const auto& t : m.tensors()) data_bytes += t.n_bytes;
    fmt::format_to(Out(out), "tensors:    {}, {} parameters ({}), {} of data\n", m.tensors().size(),
                   grouped(m.n_parameters()), human_count(m.n_parameters()), human_bytes(data_bytes));
    if (m.is_split()) {
        out += "shards:\n";
        for (std::size_t k = 0; k < m.shards().size(); ++k) {
            const Shard& s = m.shards()[k];
            fmt::format_to(Out(out), "  {:>3}  {}  {}, v{} {}-endian, alignment {}, {} tensors, data at {}\n", k + 1,
                           s.path.filename().string(), human_bytes(s.file_size), s.version,
                           byte_order_name(s.byte_order), s.alignment, s.n_tensors, grouped(s.data_offset));
        }
    }
}

void metadata(std::string& out, const Container& m, const Selection& sel) {
    fmt::format_to(Out(out), "\nmetadata ({} keys):\n", m.metadata().size());
    std::size_t key_width = 0, type_width = 0;
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& e : m.metadata()) {
        rows.emplace_back(name_text(e.key), type_text(e.value));
        key_width = std::max(key_width, rows.back().first.size());
        type_width = std::max(type_width, rows.back().second.size());
    }
    key_width = std::min<std::size_t>(key_width, 48);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        fmt::format_to(Out(out), "  {:<{}}  {:<{}}  ", rows[i].first, key_width, rows[i].second, type_width);
        append_value(out, m.metadata()[i].value, sel.full);
        out += '\n';
    }
}

void tensors(std::string& out, const Container& m, const Selection& sel) {
    struct Row {
        std::string name, type, shape, offset, bytes;
        std::size_t shard;
    };
    std::vector<Row> rows;
    for (const auto& t : m.tensors()) {
        if (!sel.selected(t)) continue;
        const TypeInfo* type = t.type_info();
        std::string type_label = type ? std::string(type->name) : fmt::format("?{}", t.type);
        if (type && type->removed) type_label += "(removed)";
        rows.push_back({name_text(t.name), std::move(type_label), shape_text(t), grouped(t.offset),
                        t.n_bytes || t.n_elements() == 0 ? grouped(t.n_bytes) : "?", t.shard + std::size_t{1}});
    }
    if (sel.globs.empty()) fmt::format_to(Out(out), "\ntensors ({}):\n", m.tensors().size());
    else fmt::format_to(Out(out), "\ntensors ({} of {} match):\n", rows.size(), m.tensors().size());
    if (rows.empty()) return;
    Row head{"name", "type", "shape (ne)", "offset", "bytes", 0};
    std::size_t w[5] = {head.name.size(), head.type.size(), head.shape.size(), head.offset.size(), head.bytes.size()};
    for (const Row& r : rows) {
        w[0] = std::max(w[0], r.name.size());
        w[1] = std::max(w[1], r.type.size());
        w[2] = std::max(w[2], r.shape.size());
        w[3] = std::max(w[3], r.offset.size());
        w[4] = std::max(w[4], r.bytes.size());
    }
    w[0] = std::min<std::size_t>(w[0], 64);
    auto line = [&](const Row& r, bool is_head) {
        out += "  ";
        if (m.is_split()) out += is_head ? "shard  " : fmt::format("{:>5}  ", r.shard);
        fmt::format_to(Out(out), "{:<{}}  {:<{}}  {:<{}}  {:>{}}  {:>{}}\n", r.name, w[0], r.type, w[1], r.shape, w[2],
                       r.offset, w[3], r.bytes, w[4]);
    };
    line(head, true);
    for (const Row& r : rows) line(r, false);
}

void totals(std::string& out, const Container& m, const Selection& sel) {
    const auto by_type = totals_by_type(m, sel);
    out += sel.globs.empty() ? "\ntotals by type:\n" : "\ntotals by type (matching tensors):\n";
    fmt::format_to(Out(out), "  {:<10}  {:>8}  {:>16}  {:>16}  {:>10}\n", "type", "tensors", "parameters", "bytes", "size");
    TypeTotal all;
    for (const auto& t : by_type) {
        const std::string name = find_type(t.type) ? std::string(type_name(t.type)) : fmt::format("?{}", t.type);
        fmt::format_to(Out(out), "  {:<10}  {:>8}  {:>16}  {:>16}  {:>10}\n", name, t.tensors, grouped(t.parameters),
                       grouped(t.bytes), human_bytes(t.bytes));
        all.tensors += t.tensors;
        all.parameters += t.parameters;
        all.bytes += t.bytes;
    }
    fmt::format_to(Out(out), "  {:<10}  {:>8}  {:>16}  {:>16}  {:>10}\n", "total", all.tensors, grouped(all.parameters),
                   grouped(all.bytes), human_bytes(all.bytes));
}

void issues(std::string& out, const Container& m) {
    if (m.issues().empty()) {
        out += "\nstructural issues: none\n";
        return;
    }
    fmt::format_to(Out(out), "\nstructural issues ({}):\n", m.issues().size());
    for (const auto& i : m.issues()) {
        fmt::format_to(Out(out), "  {:<7}  {:<20}  ", severity_name(i.severity), issue_kind_name(i.kind));
        if (m.is_split()) fmt::format_to(Out(out), "shard {} ", i.shard + 1);
        fmt::format_to(Out(out), "offset {}", i.offset);
        if (!i.subject.empty()) fmt::format_to(Out(out), "  {}", quoted_text(i.subject));
        fmt::format_to(Out(out), ": {}\n", i.message);
    }
}

}  // namespace

std::string render_text(const Container& m, const Selection& sel) {
    std::string out;
    header(out, m, sel);
    if (sel.show_metadata) metadata(out, m, sel);
    if (sel.show_tensors) {
        tensors(out, m, sel);
        if (!m.tensors().empty()) totals(out, m, sel);
    }
    issues(out, m);
    return out;
}

}  // namespace gguf::cli::info
