// The JSON rendering of `gguf-doctor info` (schema: docs/info-json.md). Field names and shapes are a
// contract with scripts: add fields, never rename or retype them.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "gguf/deploy/file_kind.hpp"
#include "commands/info_report.hpp"

namespace gguf::cli::info {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kSchema = "gguf-doctor/info/1";

// JSON strings must be UTF-8: a byte that is not part of a valid sequence becomes the four
// characters \xNN, and the file's invalid_utf8 issue says which key or tensor it was.
std::string json_text(std::string_view s) {
    if (is_valid_utf8(s)) return std::string(s);
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = utf8_sequence_length(s, i);
        if (len > 0) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += fmt::format("\\x{:02X}", static_cast<unsigned char>(s[i]));
            ++i;
        }
    }
    return out;
}

// Non-finite numbers have no JSON form: they are written as the strings "NaN", "Infinity", "-Infinity".
Json number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    return v;
}

// A float32 as the shortest decimal that reads back as the same float32 (1e-05, not 9.99999974737875e-06).
Json float32(float v) {
    if (!std::isfinite(v)) return number(v);
    const std::string shortest = fmt::format("{}", v);
    double d = 0;
    std::from_chars(shortest.data(), shortest.data() + shortest.size(), d);
    return d;
}

Json scalar(const Value& v) {
    switch (v.type()) {
        case ValueType::float32: return float32(static_cast<float>(v.as_f64()));
        case ValueType::float64: return number(v.as_f64());
        case ValueType::boolean: return v.as_bool();
        case ValueType::string: return json_text(v.as_string());
        default:
            if (auto u = v.try_u64()) return *u;
            return *v.try_i64();
    }
}

Json value(const Value& v, bool full) {
    if (!v.is_array()) return scalar(v);
    const std::uint64_t shown = full ? v.size() : std::min(v.size(), json_preview_items);
    Json items = Json::array();
    for (std::uint64_t i = 0; i < shown; ++i) items.push_back(value(v.at(i), full));
    if (shown == v.size()) return items;
    return Json{{"length", v.size()}, {"first", std::move(items)}};
}

std::string value_type(const Value& v) {
    if (!v.is_array()) return std::string(value_type_name(v.type()));
    return "array[" + std::string(value_type_name(v.element_type())) + "]";
}

Json shard_json(const Shard& s) {
    return Json{{"path", json_text(s.path.string())}, {"file_size", s.file_size},     {"version", s.version},
                {"byte_order", byte_order_name(s.byte_order)},  {"alignment", s.alignment},
                {"data_offset", s.data_offset},                 {"header_bytes", s.header_bytes},
                {"n_tensors", s.n_tensors},                     {"n_metadata", s.n_kv}};
}

Json tensor_json(const TensorInfo& t) {
    Json dims = Json::array();
    for (std::uint32_t d = 0; d < t.n_dims; ++d) dims.push_back(t.ne[d]);
    return Json{{"name", json_text(t.name)}, {"type", type_name(t.type)},   {"type_id", t.type},
                {"dims", std::move(dims)},   {"n_elements", t.n_elements()}, {"offset", t.offset},
                {"file_offset", t.file_offset}, {"bytes", t.n_bytes},      {"shard", t.shard},
                {"data_valid", t.data_valid}};
}

Json issue_json(const StructuralIssue& i) {
    return Json{{"kind", issue_kind_name(i.kind)}, {"severity", severity_name(i.severity)},
                {"shard", i.shard},                {"offset", i.offset},
                {"subject", json_text(i.subject)}, {"message", json_text(i.message)}};
}

}  // namespace

std::string render_json(const Container& m, const Selection& sel) {
    std::uint64_t file_size = 0, tensor_bytes = 0;
    for (const auto& s : m.shards()) file_size += s.file_size;
    for (const auto& t : m.tensors()) tensor_bytes += t.n_bytes;
    const Shard& first = m.shards().front();

    Json doc;
    doc["schema"] = kSchema;
    doc["file"] = json_text(sel.file);
    doc["version"] = m.version();
    doc["byte_order"] = byte_order_name(m.byte_order());
    doc["alignment"] = m.alignment();
    doc["file_size"] = file_size;
    doc["header_bytes"] = first.header_bytes;
    const deploy::KindInfo kind = deploy::file_kind(m);
    doc["kind"] = {{"kind", deploy::file_kind_name(kind.kind)}, {"detail", kind.detail}};
    doc["data_offset"] = first.data_offset;
    doc["n_metadata"] = m.metadata().size();
    doc["n_tensors"] = m.tensors().size();
    doc["n_parameters"] = m.n_parameters();
    doc["tensor_bytes"] = tensor_bytes;
    Json shards = Json::array();
    for (const auto& s : m.shards()) shards.push_back(shard_json(s));
    doc["shards"] = std::move(shards);

    if (sel.show_metadata) {
        Json metadata = Json::object(), types = Json::object();
        for (const auto& e : m.metadata()) {
            const std::string key = json_text(e.key);
            if (metadata.contains(key)) continue;  // a duplicated key: the first value, as readers use
            metadata[key] = value(e.value, sel.full);
            types[key] = value_type(e.value);
        }
        doc["metadata"] = std::move(metadata);
        doc["metadata_types"] = std::move(types);
    }
    if (sel.show_tensors) {
        Json tensors = Json::array();
        for (const auto& t : m.tensors())
            if (sel.selected(t)) tensors.push_back(tensor_json(t));
        doc["tensors"] = std::move(tensors);
        Json by_type = Json::object();
        std::uint64_t n = 0, parameters = 0, bytes = 0;
        for (const auto& t : totals_by_type(m, sel)) {
            const std::string name = find_type(t.type) ? std::string(type_name(t.type)) : fmt::format("unknown:{}", t.type);
            by_type[name] = Json{{"tensors", t.tensors}, {"parameters", t.parameters}, {"bytes", t.bytes}};
            n += t.tensors;
            parameters += t.parameters;
            bytes += t.bytes;
        }
        doc["totals"] = Json{{"tensors", n}, {"parameters", parameters}, {"bytes", bytes}, {"by_type", std::move(by_type)}};
    }
    Json issues = Json::array();
    for (const auto& i : m.issues()) issues.push_back(issue_json(i));
    doc["issues"] = std::move(issues);
    return doc.dump(2) + "\n";
}

}  // namespace gguf::cli::info
