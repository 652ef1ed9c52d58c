#include "gguf/verdict/weight_evidence.hpp"

#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <map>

#include "gguf/verdict/transforms.hpp"

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

// Norm of each row of a [rows][width] matrix.
std::vector<double> row_norms(const std::vector<float>& values, std::uint64_t width) {
    std::vector<double> out(values.size() / width);
    for (std::size_t r = 0; r < out.size(); ++r) {
        double s = 0;
        for (std::uint64_t i = 0; i < width; ++i) s += static_cast<double>(values[r * width + i]) * values[r * width + i];
        out[r] = std::sqrt(s);
    }
    return out;
}

double log_gap(double a, double b) {
    if (a <= 0 || b <= 0) return 0;
    return std::fabs(std::log(a) - std::log(b));
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

RopePairing rope_pairing(const Container& model, const model::ModelSpec& spec) {
    RopePairing p;
    const std::uint64_t d = spec.head_dim, half = d / 2;
    if (d < 4 || d % 2 != 0) return p;
    double interleaved = 0, halves = 0;
    std::uint64_t pairs = 0;
    for (std::uint64_t l = 0; l < spec.n_layer; ++l) {
        for (const auto* kind : {"attn_q.weight", "attn_k.weight"}) {
            const std::string name = fmt::format("blk.{}.{}", l, kind);
            const TensorInfo* t = model.find_tensor(name);
            if (!t || t->n_dims != 2 || t->ne[1] % d != 0) continue;
            auto values = tensor_values(model, name);
            if (!values) continue;
            const auto norms = row_norms(*values, t->ne[0]);
            for (std::uint64_t h = 0; h < norms.size() / d; ++h) {
                const double* n = norms.data() + h * d;
                for (std::uint64_t i = 0; i < half; ++i) {
                    interleaved += log_gap(n[2 * i], n[2 * i + 1]);
                    halves += log_gap(n[i], n[i + half]);
                }
                pairs += half;
                ++p.heads;
            }
        }
    }
    if (pairs == 0) return p;
    p.measured = true;
    p.interleaved = interleaved / static_cast<double>(pairs);
    p.halves = halves / static_cast<double>(pairs);
    return p;
}

std::vector<model::Finding> rope_order_findings(const Container& model, const model::ModelSpec& spec, double margin) {
    const RopePairing p = rope_pairing(model, spec);
    if (!p.measured) return {};
    const bool normal = spec.rope.style == model::RopeStyle::normal;
    const double own = normal ? p.interleaved : p.halves, other = normal ? p.halves : p.interleaved;
    if (!(other * margin < own)) return {};
    return {model::Finding{
        "GD-W021", Severity::error, "",
        fmt::format("the attn_q/attn_k rows pair up as {} RoPE rotates them, not as this {} file's {} style does: the rows "
                    "are in the other order",
                    normal ? "the neox (Hugging Face rotate-half)" : "GGUF's interleaved", spec.architecture,
                    normal ? "interleaved" : "neox"),
        {{"interleaved_pair_gap", fmt::format("{:.4g}", p.interleaved)},
         {"half_pair_gap", fmt::format("{:.4g}", p.halves)},
         {"heads", std::to_string(p.heads)},
         {"margin", fmt::format("{:.3g}", margin)}},
        normal ? "llama.cpp's converter permutes Q/K rows of each head from Hugging Face order into interleaved pairs; "
                 "this file's writer skipped that permutation"
               : "this architecture rotates the halves of each head as Hugging Face does; the writer permuted the rows "
                 "into GGUF's interleaved order, which only llama-style files use"}};
}

}  // namespace gguf::verdict
