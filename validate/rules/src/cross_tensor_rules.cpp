// Rules that compare tensors: identical content, and norm gains judged against the same norm in the
// other layers and against the matrices that consume their output.
#include <algorithm>
#include <fmt/format.h>
#include <cmath>
#include <map>
#include <numeric>

#include "gguf/rules/codes.hpp"
#include "value_rules.hpp"

namespace gguf::rules {
namespace {

bool constant(const TensorEvidence& e) { return e.stats && e.stats->count > 0 && e.stats->min == e.stats->max; }

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct NormFacts {
    const TensorEvidence* e = nullptr;
    double mean = 0, std = 0, mean_abs = 0, rms = 0, max = 0, negative_fraction = 0;
    double consumer_rms = 0;   // geometric mean of the consumers' rms; 0 when unknown
    double layer_matrix_rms = 0;  // median rms of the weight matrices of the same layer; 0 when unknown
};

NormFacts norm_facts(const TensorEvidence& e) {
    NormFacts f;
    f.e = &e;
    const auto& v = e.values;
    if (v.empty()) return f;
    double sum = 0, sum_abs = 0, sum_sq = 0, negative = 0, mx = -INFINITY;
    for (float x : v) {
        sum += x;
        sum_abs += std::fabs(x);
        sum_sq += static_cast<double>(x) * x;
        negative += x < 0;
        mx = std::max(mx, static_cast<double>(x));
    }
    const double n = static_cast<double>(v.size());
    f.mean = sum / n;
    f.mean_abs = sum_abs / n;
    f.rms = std::sqrt(sum_sq / n);
    f.std = std::sqrt(std::max(0.0, sum_sq / n - f.mean * f.mean));
    f.max = mx;
    f.negative_fraction = negative / n;
    return f;
}

std::string layer_label(std::int64_t layer) { return layer >= 0 ? "layer " + std::to_string(layer) : "global"; }

// A norm's output feeds its consumers, so gain × consumer scale is what the network computes with.
// Scaling the gain by c and the consumers by 1/c is the same function.
void fill_consumers(NormFacts& f, const std::map<std::string, const TensorEvidence*>& by_name,
                    const std::vector<TensorEvidence>& all) {
    const TensorEvidence& e = *f.e;
    std::vector<model::TensorRole> roles = model::consumers_of(e.role);
    double log_sum = 0;
    int n = 0;
    for (model::TensorRole r : roles) {
        auto it = by_name.find(model::tensor_name(r, e.layer));
        if (it == by_name.end() && r == model::TensorRole::output) it = by_name.find("token_embd.weight");  // tied
        if (it == by_name.end() || !it->second->stats || it->second->stats->rms <= 0) continue;
        log_sum += std::log(it->second->stats->rms);
        ++n;
    }
    if (n) f.consumer_rms = std::exp(log_sum / n);
    std::vector<double> layer_rms;
    for (const auto& other : all)
        if (other.matrix && other.layer == e.layer && other.stats && other.stats->rms > 0) layer_rms.push_back(other.stats->rms);
    if (e.layer < 0 && f.consumer_rms > 0) layer_rms.push_back(f.consumer_rms);
    f.layer_matrix_rms = median(layer_rms);
}

// A gain vector that is signed and centred on zero holds matrix data, not RMSNorm gains (which
// multiply, and are trained from 1.0: mostly positive). Spread like the projections around it = a
// slice of a matrix read in its place (a wrong offset).
// Returns whether it reported the vector.
bool matrix_data_rule(RuleContext& ctx, const NormFacts& f) {
    if (f.e->values.size() < 32 || f.std <= 0) return false;
    const bool signed_zero_mean = f.negative_fraction > 0.3 && f.negative_fraction < 0.7 && std::fabs(f.mean) < 0.25 * f.std;
    if (!signed_zero_mean) return false;
    const bool like_matrices = f.layer_matrix_rms > 0 && f.rms < 8 * f.layer_matrix_rms && f.rms > f.layer_matrix_rms / 8;
    const std::string& name = f.e->tensor->name;
    if (like_matrices && ctx.schema) {
        add_finding(ctx.findings, code::norm_is_matrix_data, name,
                    "the norm gains are signed, centred on zero and spread like the weight matrices around them: "
                    "this is matrix data, not a gain vector")
            .evidence("mean", f.mean)
            .evidence("std", f.std)
            .evidence("negative_fraction", f.negative_fraction)
            .evidence("rms", f.rms)
            .evidence("layer_matrix_rms", f.layer_matrix_rms)
            .hint("RMSNorm gains are trained from 1.0 and stay mostly positive. The tensor's offset points into "
                  "another tensor's data, or the converter wrote the wrong array under this name.");
        return true;
    }
    add_finding(ctx.findings, code::zero_centred_norm, name, "the norm gains are signed and centred on zero")
        .evidence("mean", f.mean)
        .evidence("std", f.std)
        .evidence("negative_fraction", f.negative_fraction)
        .evidence("rms", f.rms)
        .hint("RMSNorm gains are mostly positive. Some architectures store (gain - 1) and add 1 at run time; "
              "llama.cpp's converter adds the 1 for them, so a file with such gains is read as near-zero scale.");
    return true;
}

void sibling_rules(RuleContext& ctx, std::vector<NormFacts>& group) {
    const double limit = ctx.settings.thresholds.norm_outlier_ratio;
    std::vector<double> scales, effective;
    for (const auto& f : group) {
        scales.push_back(f.mean_abs);
        if (f.consumer_rms > 0) effective.push_back(f.mean_abs * f.consumer_rms);
    }
    const double median_scale = median(scales);
    const bool use_effective = effective.size() == group.size();
    const double median_effective = median(effective);
    if (median_scale <= 0) return;
    const std::int64_t first_layer = std::min_element(group.begin(), group.end(), [](const auto& a, const auto& b) {
                                         return a.e->layer < b.e->layer;
                                     })->e->layer;
    for (const auto& f : group) {
        // Only a gain that is itself an outlier is judged; the consumers can excuse it (inverse scaling)
        // but never make a normal gain suspicious (a broken consumer has findings of its own).
        const double ratio = f.mean_abs / median_scale;
        if (ratio <= limit && ratio >= 1 / limit) continue;
        const double eff_ratio = use_effective && median_effective > 0 ? f.mean_abs * f.consumer_rms / median_effective : ratio;
        const bool effective_outlier = eff_ratio > limit || eff_ratio < 1 / limit;
        const std::string& name = f.e->tensor->name;
        if (!effective_outlier) {
            add_finding(ctx.findings, code::known_peculiarity, name,
                        "the norm's gain is an outlier among its layers, but the matrices it feeds are scaled "
                        "inversely: gain x consumer is in line, so the layer computes the same function")
                .evidence("mean_abs", f.mean_abs)
                .evidence("siblings_median", median_scale)
                .evidence("ratio", ratio)
                .evidence("gain_x_consumer_ratio", eff_ratio);
        } else if (f.e->layer == first_layer && ratio < 1) {
            add_finding(ctx.findings, code::known_peculiarity, name,
                        "the first layer's norm gains are much smaller than the other layers': common in trained "
                        "Llama-family models (layer-0 gains near 0.05), not a defect")
                .evidence("mean_abs", f.mean_abs)
                .evidence("siblings_median", median_scale)
                .evidence("ratio", ratio);
        } else {
            add_finding(ctx.findings, code::norm_outlier, name,
                        "the norm's gain is an outlier among the same norm in the other layers")
                .evidence("mean_abs", f.mean_abs)
                .evidence("siblings_median", median_scale)
                .evidence("ratio", ratio)
                .evidence("gain_x_consumer_ratio", eff_ratio)
                .evidence("threshold", limit)
                .evidence("layer", layer_label(f.e->layer))
                .hint("Trained gains drift between layers by a few times, not by orders of magnitude, unless "
                      "the matrices after them are scaled the other way (they are not). Compare this layer "
                      "with the source checkpoint.");
        }
    }
}

void output_norm_note(RuleContext& ctx, const NormFacts& f) {
    if (f.e->role != model::TensorRole::output_norm || f.mean_abs <= 3) return;
    add_finding(ctx.findings, code::known_peculiarity, f.e->tensor->name,
                "the final norm's gains are large; healthy in trained models (Qwen2.5's final norm has a mean "
                "near 7 and a maximum near 17), and judged by the forward pass's logits, not by this number")
        .evidence("mean", f.mean)
        .evidence("max", f.max);
}

}  // namespace

void duplicate_rules(RuleContext& ctx, const std::vector<TensorEvidence>& all) {
    std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::uint32_t>, std::vector<const TensorEvidence*>> by_hash;
    for (const auto& e : all) {
        if (!e.blocks || e.tensor->n_elements() < ctx.settings.thresholds.duplicate_min_elements) continue;
        // Constant tensors (all-ones norms of a fresh model) are equal by construction, not by mistake.
        if (constant(e)) continue;
        by_hash[{e.blocks->hash_low, e.blocks->hash_high, e.tensor->n_bytes, e.tensor->type}].push_back(&e);
    }
    for (const auto& [key, group] : by_hash) {
        if (group.size() < 2) continue;
        const bool tied_copy = group.size() == 2 && std::all_of(group.begin(), group.end(), [](const TensorEvidence* e) {
                                   return e->role == model::TensorRole::token_embd || e->role == model::TensorRole::output;
                               });
        if (tied_copy) {
            add_finding(ctx.findings, code::output_copies_embedding, "output.weight",
                        "output.weight holds exactly the bytes of token_embd.weight: tied embeddings stored twice")
                .hint("Harmless (llama.cpp could reuse token_embd and save the memory).");
            continue;
        }
        std::string names;
        for (const TensorEvidence* e : group) names += (names.empty() ? "" : ", ") + e->tensor->name;
        for (std::size_t i = 1; i < group.size(); ++i)
            add_finding(ctx.findings, code::identical_tensors, group[i]->tensor->name,
                        "the tensor's bytes are identical to " + group[0]->tensor->name + "'s")
                .evidence("identical", names)
                .evidence("bytes", group[i]->tensor->n_bytes)
                .evidence("xxh3_128", fmt::format("{:016x}{:016x}", std::get<1>(key), std::get<0>(key)))
                .hint("Trained tensors never coincide. An exporter wrote the same array under several names, "
                      "or several tensor infos point at the same data (see GD-S003).");
    }
}

void norm_rules(RuleContext& ctx, const std::vector<TensorEvidence>& all) {
    std::map<std::string, const TensorEvidence*> by_name;
    for (const auto& e : all) by_name[e.tensor->name] = &e;
    std::map<std::string, std::vector<NormFacts>> groups;
    for (const auto& e : all) {
        if (!e.norm || e.values.empty()) continue;
        NormFacts f = norm_facts(e);
        fill_consumers(f, by_name, all);
        // A vector already reported as not being gains is not compared with real gains.
        if (matrix_data_rule(ctx, f)) continue;
        output_norm_note(ctx, f);
        if (e.layer >= 0) groups[e.group].push_back(f);
    }
    for (auto& [group, members] : groups)
        if (members.size() >= 3) sibling_rules(ctx, members);
}

}  // namespace gguf::rules
