#include "gguf/verdict/rope_pairs.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>
#include <random>

#include "gguf/dequant.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/verdict/hypotheses.hpp"

namespace gguf::verdict {
namespace {

constexpr std::uint64_t max_blocks = 8;
constexpr double multiply_add_budget = 2147483648.0;  // 2^31
constexpr int null_pairings = 256;
// M is head_dim^2 values: larger heads (real ones have at most 512 dimensions) are not measured, so a
// hostile header cannot ask for gigabytes.
constexpr std::uint64_t max_head_dim = 1024;

// partner[r]: the row rotated together with row r under the arrangement. Hugging Face's row j has
// the frequency j mod head_dim/2; each application of the converter's permutation moves rows.
std::vector<std::uint64_t> partners(std::uint64_t head_dim, RopeArrangement a) {
    std::vector<std::uint64_t> freq(head_dim);
    for (std::uint64_t r = 0; r < head_dim; ++r) freq[r] = r % (head_dim / 2);
    const auto order = rope_row_order(1, head_dim, true);
    for (int k = 0; k < static_cast<int>(a); ++k) {
        std::vector<std::uint64_t> moved(head_dim);
        for (std::uint64_t r = 0; r < head_dim; ++r) moved[r] = freq[order[r]];
        freq = std::move(moved);
    }
    std::vector<std::uint64_t> partner(head_dim);
    for (std::uint64_t r = 0; r < head_dim; ++r)
        for (std::uint64_t t = 0; t < head_dim; ++t)
            if (t != r && freq[t] == freq[r]) partner[r] = t;
    return partner;
}

std::vector<std::uint64_t> random_pairing(std::uint64_t head_dim, std::mt19937& rng) {
    std::vector<std::uint64_t> rows(head_dim), partner(head_dim);
    std::iota(rows.begin(), rows.end(), 0);
    std::shuffle(rows.begin(), rows.end(), rng);
    for (std::uint64_t i = 0; i + 1 < head_dim; i += 2) {
        partner[rows[i]] = rows[i + 1];
        partner[rows[i + 1]] = rows[i];
    }
    return partner;
}

struct Block {
    std::uint64_t index = 0;
    const TensorInfo* q = nullptr;
    const TensorInfo* k = nullptr;
    std::uint64_t n_kv_heads = 0;
};

// A block whose attention projections hold whole heads of fully rotated dimensions.
std::optional<Block> measurable(const Container& model, const model::ModelSpec& spec, std::uint64_t il) {
    if (spec.is_recurrent(il)) return std::nullopt;
    const std::uint64_t hd = spec.layer_head_dim(il);
    const std::uint64_t n_rot = spec.is_sliding(il) && spec.n_rot_swa ? spec.n_rot_swa : spec.rope.n_rot;
    if (hd < 4 || hd > max_head_dim || hd % 2 != 0 || n_rot != hd || spec.n_head == 0) return std::nullopt;
    const TensorInfo* q = model.find_tensor(fmt::format("blk.{}.attn_q.weight", il));
    const TensorInfo* k = model.find_tensor(fmt::format("blk.{}.attn_k.weight", il));
    if (!q || !k || q->n_dims != 2 || k->n_dims != 2 || !q->data_valid || !k->data_valid) return std::nullopt;
    if (q->ne[0] != k->ne[0] || q->ne[1] != spec.n_head * hd || k->ne[1] % hd != 0) return std::nullopt;
    const std::uint64_t n_kv = k->ne[1] / hd;
    if (n_kv == 0 || spec.n_head % n_kv != 0) return std::nullopt;
    if (!dequant::is_supported(q->type) || !dequant::is_supported(k->type)) return std::nullopt;
    return Block{il, q, k, n_kv};
}

std::optional<std::vector<float>> rows(const Container& model, const TensorInfo& t, std::uint64_t first, std::uint64_t n) {
    auto view = model.view(t);
    if (!view) return std::nullopt;
    std::vector<float> out(n * t.ne[0]);
    if (!dequant::decode_rows(*view, first, n, out)) return std::nullopt;
    return out;
}

std::optional<RopePairBlock> measure_block(const Container& model, const model::ModelSpec& spec, const Block& b,
                                           std::uint64_t n_heads) {
    const std::uint64_t hd = spec.layer_head_dim(b.index), n_in = b.q->ne[0];
    const std::uint64_t group = spec.n_head / b.n_kv_heads;
    std::vector<double> m(hd * hd, 0.0);
    std::vector<float> product(hd * hd);
    std::vector<std::optional<std::vector<float>>> keys(b.n_kv_heads);
    for (std::uint64_t j = 0; j < n_heads; ++j) {
        const std::uint64_t h = j * spec.n_head / n_heads, g = h / group;
        if (!keys[g]) keys[g] = rows(model, *b.k, g * hd, hd);
        auto query = rows(model, *b.q, h * hd, hd);
        if (!query || !keys[g]) return std::nullopt;
        forward::ops::matmul(*query, keys[g].value(), n_in, hd, product);
        for (std::size_t i = 0; i < product.size(); ++i) m[i] += static_cast<double>(product[i]) * product[i];
    }
    for (const double x : m)
        if (!std::isfinite(x)) return std::nullopt;

    const auto sum_over = [&](const std::vector<std::uint64_t>& partner) {
        double s = 0;
        for (std::uint64_t r = 0; r < hd; ++r) s += m[r * hd + partner[r]];
        return s;
    };
    std::mt19937 rng(20161);
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < null_pairings; ++i) {
        const double s = sum_over(random_pairing(hd, rng));
        sum += s;
        sum_sq += s * s;
    }
    const double mean = sum / null_pairings;
    const double sd = std::sqrt(std::max(0.0, sum_sq / null_pairings - mean * mean));
    if (!(sd > 0)) return std::nullopt;
    RopePairBlock out{b.index, n_heads, {}};
    for (int a = 0; a < rope_arrangement_count; ++a)
        out.z.push_back((sum_over(partners(hd, static_cast<RopeArrangement>(a))) - mean) / sd);
    return out;
}

// One decimal, without the "-0.0" a value just below zero would print.
std::string z_text(double z) { return fmt::format("{:.1f}", std::fabs(z) < 0.05 ? 0.0 : z); }

std::string pair_shape(RopeArrangement a, std::uint64_t head_dim) {
    switch (a) {
        case RopeArrangement::rotate_half: return fmt::format("(i, i + {})", head_dim / 2);
        case RopeArrangement::interleaved: return "(2i, 2i + 1)";
        case RopeArrangement::permuted_twice: return "of interleaved rows permuted again";
    }
    return "";
}

}  // namespace

std::string arrangement_name(RopeArrangement a) {
    switch (a) {
        case RopeArrangement::rotate_half: return "rotate-half (Hugging Face order)";
        case RopeArrangement::interleaved: return "interleaved (GGUF order for normal RoPE)";
        case RopeArrangement::permuted_twice: return "permuted twice";
    }
    return "";
}

RopeArrangement RopePairEvidence::best() const {
    const auto it = std::max_element(z.begin(), z.end());
    return static_cast<RopeArrangement>(it - z.begin());
}

std::optional<RopePairEvidence> measure_rope_pairs(const Container& model, const model::ModelSpec& spec) {
    std::vector<Block> candidates;
    for (std::uint64_t il = 0; il < spec.n_main_layers(); ++il)
        if (auto b = measurable(model, spec, il)) candidates.push_back(*b);
    if (candidates.empty()) return std::nullopt;
    std::vector<Block> chosen;
    const std::uint64_t n_blocks = std::min<std::uint64_t>(max_blocks, candidates.size());
    for (std::uint64_t j = 0; j < n_blocks; ++j)
        chosen.push_back(candidates[n_blocks == 1 ? 0 : j * (candidates.size() - 1) / (n_blocks - 1)]);

    RopePairEvidence e;
    e.expected = spec.rope.style == model::RopeStyle::neox ? RopeArrangement::rotate_half : RopeArrangement::interleaved;
    e.head_dim = spec.layer_head_dim(chosen.front().index);
    e.z.assign(rope_arrangement_count, 0.0);
    // Blocks are independent: measured in parallel, pooled in block order (the same result on any
    // number of threads).
    std::vector<std::optional<RopePairBlock>> measured(chosen.size());
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t j = 0; j < chosen.size(); ++j) {
        const Block& b = chosen[j];
        const double hd = static_cast<double>(spec.layer_head_dim(b.index));
        const double per_head = hd * hd * static_cast<double>(b.q->ne[0]);
        const auto affordable = static_cast<std::uint64_t>(multiply_add_budget / (per_head * static_cast<double>(n_blocks)));
        measured[j] = measure_block(model, spec, b, std::clamp<std::uint64_t>(affordable, 1, spec.n_head));
    }
    for (auto& block : measured) {
        if (!block) continue;
        for (int a = 0; a < rope_arrangement_count; ++a) e.z[a] += block->z[a];
        e.blocks.push_back(std::move(*block));
    }
    if (e.blocks.empty()) return std::nullopt;
    for (auto& z : e.z) z /= std::sqrt(static_cast<double>(e.blocks.size()));
    return e;
}

std::vector<model::Finding> rope_pair_findings(const RopePairEvidence& e, const model::ModelSpec& spec) {
    const RopeArrangement found = e.best();
    const double z_found = e.z[static_cast<int>(found)], z_expected = e.z[static_cast<int>(e.expected)];
    if (found == e.expected || z_found < rope_pair_signal_z || z_found - z_expected < rope_pair_margin_z) return {};
    std::vector<model::Evidence> evidence{
        {"expected pairing", arrangement_name(e.expected) + " " + pair_shape(e.expected, e.head_dim)},
        {"found pairing", arrangement_name(found) + " " + pair_shape(found, e.head_dim)},
        {"z found", z_text(z_found)},
        {"z expected", z_text(z_expected)},
    };
    for (const auto& b : e.blocks)
        evidence.push_back({fmt::format("block {}", b.block),
                            fmt::format("z found {}, expected {} ({} query heads)", z_text(b.z[static_cast<int>(found)]),
                                        z_text(b.z[static_cast<int>(e.expected)]), b.heads)});
    const std::string what =
        found == RopeArrangement::rotate_half
            ? "in Hugging Face's rotate-half order: the converter's Q/K permutation was not applied"
            : found == RopeArrangement::interleaved
                  ? "as interleaved pairs: the Q/K permutation llama's converter applies was applied to an architecture whose RoPE rotates halves"
                  : "as if the converter's Q/K permutation was applied twice";
    return {model::Finding{
        "GD-W024", Severity::error, "attn_q/attn_k",
        fmt::format("attn_q/attn_k rows pair {}; {}'s RoPE rotates pairs {}", what, spec.architecture,
                    pair_shape(e.expected, e.head_dim)),
        std::move(evidence),
        "trained query and key rows line up pair by pair with the rows RoPE rotates together; here they line up "
        "with another pairing, so every head is rotated wrongly. Confirm with the forward pass (GD-F012 names "
        "qk_hf_order or qk_double_permuted); re-convert with the permutation applied exactly as the "
        "architecture needs"}};
}

std::string rope_pair_summary(const std::optional<RopePairEvidence>& e) {
    if (!e) return "RoPE pairs not measured";
    const RopeArrangement best = e->best();
    const double z_best = e->z[static_cast<int>(best)];
    if (z_best < rope_pair_signal_z) return "no RoPE pair signal (z <= " + z_text(z_best) + ": untrained weights?)";
    return fmt::format("Q/K rows pair {} (z {})", best == e->expected ? "as the RoPE expects" : "as " + arrangement_name(best),
                       z_text(z_best));
}

}  // namespace gguf::verdict
