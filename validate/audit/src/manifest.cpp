// Computing, writing and reading manifests.
#include "gguf/audit/manifest.hpp"

#include <omp.h>
#include <xxhash.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gguf/dequant.hpp"
#include "gguf/types.hpp"
#include "gguf/writer.hpp"
#include "hashing.hpp"

namespace gguf::audit {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr std::uint64_t kValueChunk = 1 << 20;  // values decoded at a time

// xxh64 of the tensor's values as little-endian float32, decoded a few rows at a time.
Result<std::string> values_hash(const TensorView& view, std::vector<float>& buffer) {
    const TensorInfo& t = *view.info;
    const std::uint64_t row = t.row_length(), rows = t.n_rows();
    const std::uint64_t rows_per_chunk = std::max<std::uint64_t>(1, kValueChunk / std::max<std::uint64_t>(row, 1));
    XXH64_state_t* state = XXH64_createState();
    if (!state) throw std::bad_alloc();
    XXH64_reset(state, 0);
    for (std::uint64_t first = 0; first < rows; first += rows_per_chunk) {
        const std::uint64_t n = std::min(rows_per_chunk, rows - first);
        buffer.resize(n * row);
        if (auto decoded = dequant::decode_rows(view, first, n, buffer); !decoded) {
            XXH64_freeState(state);
            return decoded.error();
        }
        if constexpr (host_byte_order != ByteOrder::little)
            for (float& v : buffer) v = byteswap(v);
        XXH64_update(state, buffer.data(), buffer.size() * sizeof(float));
    }
    const std::uint64_t digest = XXH64_digest(state);
    XXH64_freeState(state);
    return detail::xxh64_hex(digest);
}

Error format_error(const std::filesystem::path& path, std::string message) {
    return Error{ErrorCode::invalid_argument, 0, std::move(message), path.string()};
}

}  // namespace

Result<Manifest> compute_manifest(const Container& model, const HashOptions& options) {
    Manifest m;
    m.model = model.shards().front().path.filename().string();
    for (const auto& [key, value, offset] : model.metadata()) {
        (void)offset;
        m.metadata.emplace_back(key, detail::value_hash(value));
    }

    const auto& tensors = model.tensors();
    if (options.header_only) {
        m.header_only = true;
        for (const TensorInfo& t : tensors) {
            TensorHash h;
            h.name = t.name;
            h.type = type_label(t.type);
            h.ne.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
            h.bytes = t.n_bytes;
            m.tensors.push_back(std::move(h));
        }
        for (const Shard& s : model.shards()) m.files.push_back({s.path.filename().string(), s.file_size, "", std::nullopt});
        return m;
    }
    std::vector<TensorView> views;
    for (const TensorInfo& t : tensors) {
        auto view = model.view(t);
        if (!view) return view.error();
        views.push_back(*view);
    }
    std::uint64_t total = 0;
    for (const auto& s : model.shards()) total += s.file_size * (options.sha256 ? 2 : 1);
    for (const TensorInfo& t : tensors) total += t.n_bytes * (options.values ? 2 : 1);
    std::uint64_t done = 0;
    std::mutex progress_mutex;
    const auto advance = [&](std::uint64_t bytes) {
        if (!options.progress) return;
        std::lock_guard lock(progress_mutex);
        done += bytes;
        options.progress(done, total);
    };

    m.tensors.resize(tensors.size());
    std::vector<std::optional<Error>> errors(tensors.size());
    const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
    {
        std::vector<float> buffer;
#pragma omp for schedule(dynamic)
        for (std::int64_t k = 0; k < static_cast<std::int64_t>(tensors.size()); ++k) {
            const auto i = static_cast<std::size_t>(k);
            const TensorInfo& t = tensors[i];
            TensorHash& h = m.tensors[i];
            h.name = t.name;
            h.type = type_label(t.type);
            h.ne.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
            h.bytes = t.n_bytes;
            h.xxh64 = detail::xxh64_hex(views[i].bytes);
            advance(t.n_bytes);
            if (options.values && dequant::is_supported(t.type)) {
                auto v = values_hash(views[i], buffer);
                if (v) h.values_xxh64 = std::move(*v);
                else errors[i] = v.error();
            }
            if (options.values) advance(t.n_bytes);
        }
    }
    for (auto& e : errors)
        if (e) return *e;

    for (const Shard& s : model.shards()) {
        FileHash f{s.path.filename().string(), s.file_size, detail::xxh64_hex(s.bytes), std::nullopt};
        advance(s.file_size);
        if (options.sha256) {
            f.sha256 = detail::sha256_hex(s.bytes);
            advance(s.file_size);
        }
        m.files.push_back(std::move(f));
    }
    return m;
}

std::string manifest_json(const Manifest& m) {
    ordered_json files = ordered_json::array();
    for (const auto& f : m.files) {
        ordered_json j = {{"name", f.name}, {"bytes", f.bytes}};
        if (!f.xxh64.empty()) j["xxh64"] = f.xxh64;
        if (f.sha256) j["sha256"] = *f.sha256;
        files.push_back(std::move(j));
    }
    ordered_json metadata = ordered_json::object();
    for (const auto& [key, hash] : m.metadata) metadata[key] = hash;
    ordered_json tensors = ordered_json::array();
    for (const auto& t : m.tensors) {
        ordered_json j = {{"name", t.name}, {"type", t.type}, {"ne", t.ne}, {"bytes", t.bytes}};
        if (!t.xxh64.empty()) j["xxh64"] = t.xxh64;
        if (t.values_xxh64) j["values_xxh64"] = *t.values_xxh64;
        tensors.push_back(std::move(j));
    }
    ordered_json doc = {{"format", manifest_format_name}, {"version", manifest_format_version}, {"model", m.model}};
    if (m.header_only) doc["header_only"] = true;  // said only when true: full manifests stay as they were
    doc["files"] = std::move(files);
    doc["metadata"] = std::move(metadata);
    doc["tensors"] = std::move(tensors);
    return doc.dump(1) + "\n";
}

Result<void> write_manifest(const std::filesystem::path& path, const Manifest& manifest) {
    const std::string text = manifest_json(manifest);
    return write_file_atomically(path, std::as_bytes(std::span(text.data(), text.size())));
}

Result<Manifest> read_manifest(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::io_error, 0, "cannot open the manifest", path.string()};
    std::stringstream buffer;
    buffer << in.rdbuf();
    const auto doc = ordered_json::parse(buffer.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return format_error(path, "not a JSON object");
    if (doc.value("format", "") != manifest_format_name)
        return format_error(path, "\"format\" is not \"" + std::string(manifest_format_name) + "\"");
    if (!doc.contains("version") || !doc["version"].is_number_integer() || doc["version"].get<int>() != manifest_format_version)
        return format_error(path, "\"version\" is not " + std::to_string(manifest_format_version));
    Manifest m;
    std::string where;
    try {
        where = "model";
        m.model = doc.value("model", "");
        where = "header_only";
        m.header_only = doc.value("header_only", false);
        where = "files";
        for (const auto& f : doc.at("files")) {
            FileHash h{f.at("name").get<std::string>(), f.at("bytes").get<std::uint64_t>(),
                       m.header_only ? f.value("xxh64", "") : f.at("xxh64").get<std::string>(), std::nullopt};
            if (f.contains("sha256")) h.sha256 = f["sha256"].get<std::string>();
            m.files.push_back(std::move(h));
        }
        where = "metadata";
        for (const auto& [key, hash] : doc.at("metadata").items()) m.metadata.emplace_back(key, hash.get<std::string>());
        where = "tensors";
        for (const auto& t : doc.at("tensors")) {
            TensorHash h{t.at("name").get<std::string>(), t.at("type").get<std::string>(),
                         t.at("ne").get<std::vector<std::uint64_t>>(), t.at("bytes").get<std::uint64_t>(),
                         m.header_only ? t.value("xxh64", "") : t.at("xxh64").get<std::string>(), std::nullopt};
            if (t.contains("values_xxh64")) h.values_xxh64 = t["values_xxh64"].get<std::string>();
            m.tensors.push_back(std::move(h));
        }
    } catch (const nlohmann::json::exception& e) {
        return format_error(path, "\"" + where + "\": " + e.what());
    }
    return m;
}

}  // namespace gguf::audit
