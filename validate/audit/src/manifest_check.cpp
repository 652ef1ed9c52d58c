// Comparing two manifests: every tensor, metadata key and file that differs, by name.
#include <fmt/format.h>

#include <map>
#include <set>

#include "gguf/audit/manifest.hpp"

namespace gguf::audit {
namespace {

std::string ne_text(const std::vector<std::uint64_t>& ne) { return fmt::format("[{}]", fmt::join(ne, ", ")); }

}  // namespace

std::vector<ManifestDifference> check_manifest(const Manifest& expected, const Manifest& actual, const CheckOptions& options) {
    std::vector<ManifestDifference> out;
    const bool data_hashes = !expected.header_only && !actual.header_only;
    std::map<std::string_view, const TensorHash*> have;
    for (const auto& t : actual.tensors) have.emplace(t.name, &t);
    std::set<std::string_view> wanted;
    for (const auto& e : expected.tensors) {
        wanted.insert(e.name);
        const auto it = have.find(e.name);
        if (it == have.end()) {
            out.push_back({"tensor_missing", e.name, "the tensor is not in the file"});
            continue;
        }
        const TensorHash& a = *it->second;
        if (a.ne != e.ne) {
            out.push_back({"shape_changed", e.name, fmt::format("shape {} instead of {}", ne_text(a.ne), ne_text(e.ne))});
            continue;
        }
        if (!data_hashes) {
            if (a.type != e.type) out.push_back({"type_changed", e.name, fmt::format("type {} instead of {}", a.type, e.type)});
            else if (a.bytes != e.bytes) out.push_back({"tensor_changed", e.name, fmt::format("{} bytes instead of {}", a.bytes, e.bytes)});
            continue;
        }
        const bool values_known = e.values_xxh64 && a.values_xxh64;
        const bool values_same = values_known && *e.values_xxh64 == *a.values_xxh64;
        if (options.values_only) {
            if (!values_known) {
                if (a.xxh64 != e.xxh64) out.push_back({"tensor_changed", e.name, "bytes differ (its values were not hashed)"});
            } else if (!values_same) {
                out.push_back({"tensor_changed", e.name,
                               a.type == e.type ? "values differ" : fmt::format("values differ ({} instead of {})", a.type, e.type)});
            }
            continue;
        }
        if (a.type != e.type) {
            out.push_back({"type_changed", e.name,
                           fmt::format("type {} instead of {}{}", a.type, e.type, values_same ? " (same values)" : "")});
        } else if (a.xxh64 != e.xxh64) {
            if (values_same)
                out.push_back({"tensor_reencoded", e.name, "bytes differ but the values are the same (byte order or repacking)"});
            else
                out.push_back({"tensor_changed", e.name,
                               fmt::format("bytes differ (xxh64 {} instead of {}){}", a.xxh64, e.xxh64,
                                           values_known ? ", and so do the values" : "")});
        }
    }
    for (const auto& a : actual.tensors)
        if (!wanted.count(a.name)) out.push_back({"tensor_added", a.name, "a tensor the manifest does not list"});

    std::map<std::string_view, std::string_view> keys;
    for (const auto& [key, hash] : actual.metadata) keys.emplace(key, hash);
    std::set<std::string_view> expected_keys;
    for (const auto& [key, hash] : expected.metadata) {
        expected_keys.insert(key);
        const auto it = keys.find(key);
        if (it == keys.end()) out.push_back({"metadata_missing", key, "the key is not in the file"});
        else if (it->second != hash) out.push_back({"metadata_changed", key, "the value differs"});
    }
    for (const auto& [key, hash] : actual.metadata)
        if (!expected_keys.count(key)) out.push_back({"metadata_added", key, "a key the manifest does not list"});

    if (options.values_only) return out;
    if (expected.files.size() != actual.files.size()) {
        out.push_back({"file_count", "", fmt::format("{} files instead of {}", actual.files.size(), expected.files.size())});
        return out;
    }
    for (std::size_t i = 0; i < expected.files.size(); ++i) {
        const FileHash& e = expected.files[i];
        const FileHash& a = actual.files[i];
        if (a.bytes != e.bytes) out.push_back({"file_changed", e.name, fmt::format("{} bytes instead of {}", a.bytes, e.bytes)});
        else if (!data_hashes) continue;
        else if (a.xxh64 != e.xxh64) out.push_back({"file_changed", e.name, fmt::format("xxh64 {} instead of {}", a.xxh64, e.xxh64)});
        else if (e.sha256 && a.sha256 && *a.sha256 != *e.sha256) out.push_back({"file_changed", e.name, "sha256 differs"});
    }
    return out;
}

}  // namespace gguf::audit
