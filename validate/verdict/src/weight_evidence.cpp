#include "gguf/verdict/weight_evidence.hpp"

#include <cstring>
#include <fmt/format.h>
#include <map>


namespace gguf::verdict {
namespace {

bool same_bytes(const Container& model, const TensorInfo& a, const TensorInfo& b) {
    if (a.type != b.type || a.ne != b.ne || !a.data_valid || !b.data_valid) return false;
    auto va = model.view(a), vb = model.view(b);
    if (!va || !vb || va->bytes.size() != vb->bytes.size()) return false;
    return std::memcmp(va->bytes.data(), vb->bytes.data(), va->bytes.size()) == 0;
}

// The 2-D tensors of a block by their name after "blk.N.".
std::map<std::string, const TensorInfo*> block_matrices(const Container& model, std::uint64_t layer) {
    const std::string prefix = fmt::format("blk.{}.", layer);
    std::map<std::string, const TensorInfo*> out;
    for (const auto& t : model.tensors())
        if (t.name.starts_with(prefix) && t.n_dims >= 2) out.emplace(t.name.substr(prefix.size()), &t);
    return out;
}

}  // namespace

std::vector<model::Finding> identical_blocks(const Container& model, const model::ModelSpec& spec) {
    std::vector<model::Finding> out;
    std::vector<std::map<std::string, const TensorInfo*>> blocks;
    for (std::uint64_t l = 0; l < spec.n_layer; ++l) blocks.push_back(block_matrices(model, l));
    std::vector<bool> reported(blocks.size(), false);
    for (std::size_t b = 1; b < blocks.size(); ++b) {
        for (std::size_t a = 0; a < b && !reported[b]; ++a) {
            if (blocks[b].empty() || blocks[a].size() != blocks[b].size()) continue;
            bool all = true;
            for (const auto& [kind, t] : blocks[b]) {
                auto other = blocks[a].find(kind);
                all = all && other != blocks[a].end() && same_bytes(model, *t, *other->second);
                if (!all) break;
            }
            if (!all) continue;
            reported[b] = true;
            std::vector<std::string> kinds;
            for (const auto& [kind, t] : blocks[b]) kinds.push_back(kind);
            out.push_back(model::Finding{
                "GD-W020", Severity::error, fmt::format("blk.{}", b),
                fmt::format("block {} holds block {}'s weights: its {} matrices are byte for byte the same", b, a, kinds.size()),
                {{"block", std::to_string(b)}, {"same_as", std::to_string(a)}, {"matrices", fmt::format("{}", fmt::join(kinds, ", "))}},
                "trained blocks never coincide and " + spec.architecture +
                    " shares no weights between blocks: the writer stored one block twice (a loop index or offset "
                    "mistake); re-export from the source checkpoint"});
        }
    }
    return out;
}

}  // namespace gguf::verdict
