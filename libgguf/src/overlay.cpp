#include "gguf/overlay.hpp"

#include <algorithm>
#include <unordered_set>

#include "container_impl.hpp"

namespace gguf {

class OverlayBuilder {
public:
    static Result<Container> build(const Container& base, std::vector<TensorReplacement> replacements,
                                   const std::vector<std::pair<std::string, Value>>& metadata) {
        const Container::Impl& from = *base.impl_;
        Container c;
        Container::Impl& to = *c.impl_;
        to.storage = from.storage;
        to.owned = from.owned;
        to.shards = from.shards;
        to.metadata = from.metadata;
        for (const auto& set : metadata) {  // not a structured binding: clang 14 cannot capture one
            auto it = std::find_if(to.metadata.begin(), to.metadata.end(),
                                   [&](const MetadataEntry& e) { return e.key == set.first; });
            if (it != to.metadata.end()) it->value = set.second;
            else to.metadata.push_back({set.first, set.second, 0});
        }
        to.tensors = from.tensors;
        to.issues = from.issues;

        // One buffer for every replaced tensor, each at an offset aligned for any element type.
        constexpr std::uint64_t kAlign = 64;
        std::unordered_set<std::string_view> seen;
        std::vector<std::pair<std::size_t, std::uint64_t>> placed;  // tensor index, offset in the buffer
        std::uint64_t total = 0;
        for (const auto& r : replacements) {
            const auto bad = [&](const std::string& why) {
                return Error{ErrorCode::invalid_argument, 0, "overlay of tensor '" + r.name + "': " + why, ""};
            };
            auto it = from.tensor_index.find(r.name);
            if (it == from.tensor_index.end()) return bad("the base has no such tensor");
            if (!seen.insert(r.name).second) return bad("replaced twice");
            const TypeInfo* type = find_type(r.type);
            const TensorInfo& t = from.tensors[it->second];
            if (!type || type->type_size == 0 || t.ne[0] % type->block_size != 0)
                return bad("type " + type_label(r.type) + " cannot hold its rows");
            const std::uint64_t expected = t.n_elements() / type->block_size * type->type_size;
            if (r.bytes.size() != expected)
                return bad(std::to_string(r.bytes.size()) + " bytes given, " + std::to_string(expected) + " expected");
            placed.emplace_back(it->second, total);
            total += (expected + kAlign - 1) / kAlign * kAlign;
        }

        auto buffer = std::make_shared<std::vector<std::byte>>(total);
        for (std::size_t k = 0; k < replacements.size(); ++k) {
            auto& r = replacements[k];
            std::copy(r.bytes.begin(), r.bytes.end(), buffer->begin() + static_cast<std::ptrdiff_t>(placed[k].second));
            r.bytes = {};
        }
        Shard shard;
        shard.path = from.shards.front().path.string() + " (overlay)";
        shard.file_size = total;
        shard.version = from.shards.front().version;
        shard.byte_order = host_byte_order;
        shard.alignment = kAlign;
        shard.bytes = {buffer->data(), buffer->size()};
        const auto shard_index = static_cast<std::uint32_t>(to.shards.size());
        to.shards.push_back(shard);
        for (std::size_t k = 0; k < replacements.size(); ++k) {
            TensorInfo& t = to.tensors[placed[k].first];
            t.type = replacements[k].type;
            const TypeInfo* type = find_type(t.type);
            t.n_bytes = t.n_elements() / type->block_size * type->type_size;
            t.shard = shard_index;
            t.offset = placed[k].second;
            t.file_offset = placed[k].second;
            t.data_valid = true;
        }
        to.owned.push_back(std::move(buffer));
        to.build_indexes();
        return c;
    }
};

Result<Container> make_overlay(const Container& base, std::vector<TensorReplacement> replacements) {
    return OverlayBuilder::build(base, std::move(replacements), {});
}

Result<Container> make_overlay(const Container& base, std::vector<TensorReplacement> replacements,
                               const std::vector<std::pair<std::string, Value>>& metadata) {
    return OverlayBuilder::build(base, std::move(replacements), metadata);
}

}  // namespace gguf
