#include "split_files.hpp"

#include <charconv>
#include <cstdio>
#include <regex>
#include <unordered_map>

namespace gguf {
namespace {

struct SplitKeys {
    std::optional<std::uint64_t> no, count, tensors;
};

SplitKeys split_keys(const ParsedShard& p) {
    SplitKeys k;
    for (const auto& e : p.metadata) {
        if (e.key == "split.no") k.no = e.value.try_u64();
        else if (e.key == "split.count") k.count = e.value.try_u64();
        else if (e.key == "split.tensors.count") k.tensors = e.value.try_u64();
    }
    return k;
}

std::optional<std::uint64_t> number_in(const std::string& digits) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return v;
}

Error mismatch(const std::filesystem::path& path, std::string message) {
    return Error{ErrorCode::split_mismatch, 0, std::move(message), path.string()};
}

}  // namespace

namespace {

Result<ParsedShard> load_local_sibling(const std::filesystem::path& sibling, std::uint64_t index, std::uint64_t count,
                                       const OpenOptions& options) {
    std::error_code ec;
    if (!std::filesystem::exists(sibling, ec))
        return Error{ErrorCode::split_missing_shard, 0,
                     "shard " + std::to_string(index + 1) + " of " + std::to_string(count) + " is missing",
                     sibling.string()};
    return parse_shard(sibling, options);
}

}  // namespace

Result<std::vector<ParsedShard>> load_split_siblings(const std::filesystem::path& path, ParsedShard opened,
                                                     const OpenOptions& options) {
    return load_split_siblings(path, std::move(opened), [&](const std::filesystem::path& sibling, std::uint64_t k,
                                                            std::uint64_t count) {
        return load_local_sibling(sibling, k, count, options);
    });
}

Result<std::vector<ParsedShard>> load_split_siblings(const std::filesystem::path& path, ParsedShard opened,
                                                     const SiblingLoader& load) {
    const SplitKeys keys = split_keys(opened);
    std::vector<ParsedShard> shards;
    if (!keys.count || *keys.count <= 1) {
        shards.push_back(std::move(opened));
        return shards;
    }
    const std::uint64_t count = *keys.count;
    if (!keys.no || *keys.no >= count)
        return mismatch(path, "split.count is " + std::to_string(count) + " but split.no is missing or out of range");

    // llama.cpp names shards "<prefix>-%05d-of-%05d.gguf" with 1-based numbers.
    static const std::regex pattern(R"((.*)-(\d{5,})-of-(\d{5,})\.gguf)");
    std::smatch m;
    const std::string filename = path.filename().string();
    if (!std::regex_match(filename, m, pattern))
        return mismatch(path, "file has split.count " + std::to_string(count) +
                                  " but its name does not follow <name>-0000k-of-0000n.gguf, so its siblings cannot be found");
    if (number_in(m[3].str()) != count || number_in(m[2].str()) != *keys.no + 1)
        return mismatch(path, "file name says shard " + m[2].str() + " of " + m[3].str() + " but the metadata says " +
                                  std::to_string(*keys.no + 1) + " of " + std::to_string(count));

    const std::string prefix = m[1].str();
    const std::uint64_t opened_no = *keys.no;
    std::uint64_t tensor_total = 0;
    std::optional<std::uint64_t> expected_tensors = keys.tensors;
    for (std::uint64_t k = 0; k < count; ++k) {
        char name[64];
        std::snprintf(name, sizeof name, "-%05llu-of-%05llu.gguf", static_cast<unsigned long long>(k + 1),
                      static_cast<unsigned long long>(count));
        const std::filesystem::path sibling = path.parent_path() / (prefix + name);
        ParsedShard shard;
        if (k == opened_no) {
            shard = std::move(opened);
        } else {
            auto parsed = load(sibling, k, count);
            if (!parsed) return parsed.error();
            shard = std::move(*parsed);
        }
        const SplitKeys sk = split_keys(shard);
        if (sk.count != count || sk.no != k)
            return mismatch(sibling, "shard says split.no " + (sk.no ? std::to_string(*sk.no) : "(missing)") +
                                         " of split.count " + (sk.count ? std::to_string(*sk.count) : "(missing)") +
                                         ", expected " + std::to_string(k) + " of " + std::to_string(count));
        if (sk.tensors && expected_tensors && *sk.tensors != *expected_tensors)
            return mismatch(sibling, "split.tensors.count " + std::to_string(*sk.tensors) + " differs from " +
                                         std::to_string(*expected_tensors) + " in the other shards");
        if (!expected_tensors) expected_tensors = sk.tensors;
        tensor_total += shard.tensors.size();
        shards.push_back(std::move(shard));
    }
    if (expected_tensors && *expected_tensors != tensor_total)
        return mismatch(path, "split.tensors.count is " + std::to_string(*expected_tensors) + " but the shards hold " +
                                  std::to_string(tensor_total) + " tensors");
    return shards;
}

void check_split_tensor_names(const std::vector<TensorInfo>& tensors, std::vector<StructuralIssue>& issues) {
    std::unordered_map<std::string_view, std::uint32_t> shard_of;
    for (const auto& t : tensors) {
        auto [it, inserted] = shard_of.emplace(t.name, t.shard);
        if (!inserted && it->second != t.shard)
            issues.push_back(StructuralIssue{IssueKind::duplicate_tensor, Severity::error, t.shard, t.info_offset, t.name,
                                             "tensor also appears in shard " + std::to_string(it->second + 1)});
    }
}

}  // namespace gguf
