#include "gguf/forward/trace_io.hpp"

#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gguf/byte_order.hpp"
#include "gguf/writer.hpp"

namespace gguf::forward {
namespace {

using nlohmann::json;

Error trace_error(const std::filesystem::path& path, std::string message) {
    return Error{ErrorCode::invalid_argument, 0, std::move(message), path.string()};
}

// JSON has no NaN or infinity: those are written as the strings "nan", "inf", "-inf".
json number_json(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    return x;
}

// A float written with the fewest digits that read back as the same float.
json float_json(float x) {
    if (!std::isfinite(x)) return number_json(x);
    return std::stod(fmt::format("{}", x));
}

bool fits_int32(const json& j) {
    if (j.is_number_unsigned()) return j.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT32_MAX);
    return j.is_number_integer() && j.get<std::int64_t>() >= INT32_MIN && j.get<std::int64_t>() <= INT32_MAX;
}

std::optional<double> number_from(const json& j) {
    if (j.is_number()) return j.get<double>();
    if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        if (s == "nan") return NAN;
        if (s == "inf") return INFINITY;
        if (s == "-inf") return -INFINITY;
    }
    return std::nullopt;
}

}  // namespace

std::string npy_file_name(const TraceRecord& r) {
    return r.layer >= 0 ? fmt::format("blk.{}.{}.npy", r.layer, r.op) : r.op + ".npy";
}

Result<void> write_npy(const std::filesystem::path& path, std::span<const std::uint64_t> shape, std::span<const float> values) {
    std::string shape_text;
    for (const auto d : shape) shape_text += std::to_string(d) + ", ";
    if (shape.size() == 1) shape_text.pop_back();  // "(n,)"
    else if (!shape.empty()) shape_text.resize(shape_text.size() - 2);
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape_text + "), }";
    // Format 1.0: magic, version, u16 header length; the header is padded with spaces to a multiple of 64.
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    std::vector<std::byte> bytes(10 + header.size() + values.size() * sizeof(float));
    std::memcpy(bytes.data(), "\x93NUMPY\x01\x00", 8);
    store<std::uint16_t>(bytes.data() + 8, static_cast<std::uint16_t>(header.size()), ByteOrder::little);
    std::memcpy(bytes.data() + 10, header.data(), header.size());
    std::byte* data = bytes.data() + 10 + header.size();
    for (std::size_t i = 0; i < values.size(); ++i) store<float>(data + i * sizeof(float), values[i], ByteOrder::little);
    return write_file_atomically(path, bytes);
}

Result<void> write_trace(const std::filesystem::path& json_path, const TraceHeader& header, const Trace& trace,
                         const std::filesystem::path& npy_dir) {
    json records = json::array();
    for (const TraceRecord& r : trace.records()) {
        json first = json::array();
        for (const float f : r.first) first.push_back(float_json(f));
        json record = {{"layer", r.layer},       {"op", r.op},
                       {"shape", r.shape},       {"min", number_json(r.min)},
                       {"max", number_json(r.max)}, {"mean", number_json(r.mean)},
                       {"rms", number_json(r.rms)}, {"non_finite", r.non_finite},
                       {"first", std::move(first)}};
        if (!npy_dir.empty() && !r.values.empty()) {
            const std::filesystem::path file = npy_dir / npy_file_name(r);
            if (auto w = write_npy(file, r.shape, r.values); !w) return w.error();
            std::error_code ec;
            const auto base = json_path.parent_path().empty() ? std::filesystem::path(".") : json_path.parent_path();
            auto relative = std::filesystem::relative(file, base, ec);
            record["npy"] = (ec || relative.empty() ? file : relative).generic_string();
        }
        records.push_back(std::move(record));
    }
    const json doc = {{"format", trace_format_name},
                      {"version", trace_format_version},
                      {"model", header.model},
                      {"backend", header.backend},
                      {"first_position", header.first_position},
                      {"tokens", header.tokens},
                      {"records", std::move(records)}};
    const std::string text = doc.dump(1) + "\n";
    return write_file_atomically(json_path, std::as_bytes(std::span(text.data(), text.size())));
}

Result<TraceFile> read_trace(const std::filesystem::path& json_path) {
    std::ifstream in(json_path, std::ios::binary);
    if (!in) return Error{ErrorCode::io_error, 0, "cannot open the trace file", json_path.string()};
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse_trace(buffer.str(), json_path);
}

Result<TraceFile> parse_trace(std::string_view json_text, const std::filesystem::path& json_path) {
    const json doc = json::parse(json_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return trace_error(json_path, "not a JSON object");
    // value() throws when the key holds another type ({"format": []} ended the program).
    if (!doc.contains("format") || !doc["format"].is_string() || doc["format"].get_ref<const std::string&>() != trace_format_name)
        return trace_error(json_path, fmt::format("\"format\" is not \"{}\"", trace_format_name));
    if (!doc.contains("version") || !doc["version"].is_number_integer() || doc["version"].get<int>() != trace_format_version)
        return trace_error(json_path, fmt::format("\"version\" is not {}", trace_format_version));
    if (!doc.contains("records") || !doc["records"].is_array()) return trace_error(json_path, "\"records\" is not an array");

    TraceFile out;
    try {
        out.header.model = doc.value("model", "");
        out.header.backend = doc.value("backend", "");
    } catch (const json::exception& e) {
        return trace_error(json_path, std::string("bad header field: ") + e.what());
    }
    // Numbers are checked before they are converted: nlohmann's get<int>() of 1e300 or of a negative
    // number is a conversion C++ leaves undefined.
    if (doc.contains("first_position")) {
        if (!doc["first_position"].is_number_unsigned())
            return trace_error(json_path, "\"first_position\" is not a non-negative integer");
        out.header.first_position = doc["first_position"].get<std::uint64_t>();
    }
    if (doc.contains("tokens")) {
        if (!doc["tokens"].is_array()) return trace_error(json_path, "\"tokens\" is not an array");
        for (const json& t : doc["tokens"]) {
            if (!fits_int32(t)) return trace_error(json_path, "\"tokens\" has an entry that is not a 32-bit integer");
            out.header.tokens.push_back(static_cast<std::int32_t>(t.get<std::int64_t>()));
        }
    }
    const auto base = json_path.parent_path();
    std::size_t index = 0;
    for (const json& j : doc["records"]) {
        const auto bad = [&](std::string_view field, std::string_view what) {
            return trace_error(json_path, fmt::format("record {}: \"{}\" {}", index, field, what));
        };
        if (!j.is_object()) return bad("", "is not an object");
        TraceRecord r;
        if (!j.contains("layer") || !fits_int32(j["layer"])) return bad("layer", "is not a 32-bit integer");
        r.layer = j["layer"].get<std::int32_t>();
        if (!j.contains("op") || !j["op"].is_string()) return bad("op", "is not a string");
        r.op = j["op"].get<std::string>();
        if (!j.contains("shape") || !j["shape"].is_array()) return bad("shape", "is not an array");
        for (const json& d : j["shape"]) {
            if (!d.is_number_unsigned()) return bad("shape", "has an entry that is not a non-negative integer");
            r.shape.push_back(d.get<std::uint64_t>());
        }
        for (auto [field, target] : {std::pair{"min", &r.min}, {"max", &r.max}, {"mean", &r.mean}, {"rms", &r.rms}}) {
            if (!j.contains(field)) return bad(field, "is missing");
            const auto v = number_from(j[field]);
            if (!v) return bad(field, "is not a number");
            *target = *v;
        }
        if (j.contains("non_finite")) {
            if (!j["non_finite"].is_number_unsigned()) return bad("non_finite", "is not a non-negative integer");
            r.non_finite = j["non_finite"].get<std::uint64_t>();
        }
        if (j.contains("first")) {
            if (!j["first"].is_array()) return bad("first", "is not an array");
            for (const json& f : j["first"]) {
                const auto v = number_from(f);
                if (!v) return bad("first", "has an entry that is not a number");
                r.first.push_back(static_cast<float>(*v));
            }
        }
        std::filesystem::path npy;
        if (j.contains("npy")) {
            if (!j["npy"].is_string()) return bad("npy", "is not a string");
            npy = j["npy"].get<std::string>();
            if (npy.is_relative()) npy = base / npy;
        }
        out.records.push_back(std::move(r));
        out.npy.push_back(std::move(npy));
        ++index;
    }
    return out;
}

}  // namespace gguf::forward
