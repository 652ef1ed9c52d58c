#include "expert_rules.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "content_hash.hpp"
#include "gguf/dequant.hpp"
#include "gguf/rules/codes.hpp"

namespace gguf::rules {
namespace {

constexpr std::uint64_t kDecodeValues = 1u << 16;  // values decoded at a time per expert

ExpertSlice read_expert(const TensorView& view, std::uint64_t expert) {
    const TensorInfo& t = *view.info;
    const std::uint64_t rows = t.ne[1], row_bytes = view.bytes.size() / t.n_rows(), first = expert * rows;
    ExpertSlice s;
    const Hash128 h = xxh3_128(view.bytes.data() + first * row_bytes, rows * row_bytes);
    s.hash_low = h.low;
    s.hash_high = h.high;
    if (!dequant::is_supported(t.type)) return s;
    const std::uint64_t step = std::max<std::uint64_t>(1, kDecodeValues / std::max<std::uint64_t>(t.ne[0], 1));
    std::vector<float> buffer;
    double sum_sq = 0;
    std::uint64_t finite = 0, nonzero = 0;
    for (std::uint64_t r = 0; r < rows; r += step) {
        const std::uint64_t n = std::min(step, rows - r);
        buffer.resize(n * t.ne[0]);
        if (!dequant::decode_rows(view, first + r, n, buffer)) return s;
        for (const float x : buffer) {
            nonzero += x != 0.0f;  // NaN counts as non-zero
            if (!std::isfinite(x)) continue;
            ++finite;
            sum_sq += static_cast<double>(x) * x;
        }
    }
    s.decoded = true;
    s.rms = finite ? std::sqrt(sum_sq / static_cast<double>(finite)) : 0.0;
    s.all_zero = nonzero == 0;
    return s;
}

std::string expert_list(const std::vector<std::uint64_t>& experts) {
    std::string out;
    for (const std::uint64_t e : experts) out += (out.empty() ? "" : ", ") + std::to_string(e);
    return out;
}

// min, median and max of the experts' rms, for the evidence of a stack's findings.
void rms_spread(FindingBuilder& f, const std::vector<ExpertSlice>& experts) {
    std::vector<double> rms;
    for (const ExpertSlice& s : experts)
        if (s.decoded) rms.push_back(s.rms);
    if (rms.empty()) return;
    std::sort(rms.begin(), rms.end());
    f.evidence("expert_rms_min", rms.front()).evidence("expert_rms_median", rms[rms.size() / 2]).evidence("expert_rms_max", rms.back());
}

void stack_rules(RuleContext& ctx, const TensorEvidence& e) {
    const std::string& name = e.tensor->name;
    const auto n_expert = static_cast<std::uint64_t>(e.experts.size());
    // A stack that is zero as a whole is GD-W003 already.
    const bool all_zero_stack = e.stats && e.stats->count > 0 && e.stats->zeros == e.stats->count;
    std::vector<std::uint64_t> dead;
    for (std::uint64_t i = 0; i < n_expert; ++i)
        if (e.experts[i].decoded && e.experts[i].all_zero) dead.push_back(i);
    if (!dead.empty() && !all_zero_stack) {
        FindingBuilder f = add_finding(ctx.findings, code::dead_expert, name,
                                       (dead.size() == 1 ? "expert " : "experts ") + expert_list(dead) + " of " +
                                           std::to_string(n_expert) + (dead.size() == 1 ? " is" : " are") + " entirely zero");
        f.evidence("dead_experts", expert_list(dead)).evidence("n_expert", n_expert);
        rms_spread(f, e.experts);
        f.hint("A trained expert is never zero: the router still sends tokens to it, and they get no output from "
               "this matrix. A converter or merge left the expert unfilled, or a region of the file was zeroed. "
               "Re-export from the source checkpoint.");
    }
    // Experts with the same bytes, each after the first of its group; dead experts are reported above.
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> first_with;
    std::vector<std::string> pairs;
    for (std::uint64_t i = 0; i < n_expert; ++i) {
        const ExpertSlice& s = e.experts[i];
        if (s.decoded && s.all_zero) continue;
        const auto [it, inserted] = first_with.emplace(std::pair{s.hash_low, s.hash_high}, i);
        if (!inserted) pairs.push_back(std::to_string(i) + "=" + std::to_string(it->second));
    }
    if (!pairs.empty()) {
        std::string list;
        for (const std::string& p : pairs) list += (list.empty() ? "" : ", ") + p;
        FindingBuilder f = add_finding(ctx.findings, code::duplicate_expert, name,
                                       std::to_string(pairs.size()) + " of " + std::to_string(n_expert) +
                                           " experts have the bytes of an earlier expert (" + list + ")");
        f.evidence("duplicates", list).evidence("n_expert", n_expert);
        rms_spread(f, e.experts);
        f.hint("Trained experts never coincide byte for byte. A writer stored one expert's matrix in another's "
               "place (an index or offset mistake), or an upcycled model was exported before its experts were "
               "trained apart.");
    }
}

}  // namespace

std::vector<ExpertSlice> expert_slices(const TensorView& view, int threads) {
    const TensorInfo& t = *view.info;
    if (t.n_dims != 3 || t.ne[2] < 2 || t.n_rows() == 0 || view.bytes.size() % t.n_rows() != 0) return {};
    std::vector<ExpertSlice> slices(t.ne[2]);
    const auto n = static_cast<std::int64_t>(slices.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1)
    for (std::int64_t i = 0; i < n; ++i) slices[static_cast<std::size_t>(i)] = read_expert(view, static_cast<std::uint64_t>(i));
    return slices;
}

void expert_rules(RuleContext& ctx, const std::vector<TensorEvidence>& all) {
    for (const TensorEvidence& e : all)
        if (!e.experts.empty()) stack_rules(ctx, e);
}

}  // namespace gguf::rules
