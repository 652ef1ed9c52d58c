#include "tensor_blocks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "gguf/dequant.hpp"
#include "gguf/types.hpp"
#include "layers.hpp"

namespace gguf::report::detail {
namespace {

// Norm vectors are small (n_embd values); larger 1-D tensors are not gains.
constexpr std::uint64_t kMaxNormValues = 1u << 16;

bool has_values(const dequant::TensorStats& s) { return s.supported && s.finite_count > 0; }

bool is_norm(const dequant::TensorStats& s, const LayerName& n) {
    return s.n_rows == 1 && n.kind.find("norm") != std::string::npos;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::optional<double> mean_abs(const Container& model, const std::string& name) {
    const TensorInfo* t = model.find_tensor(name);
    if (!t || t->n_elements() > kMaxNormValues) return std::nullopt;
    auto view = model.view(*t);
    if (!view) return std::nullopt;
    auto values = dequant::to_float(*view, 1);
    if (!values || values->empty()) return std::nullopt;
    double sum = 0;
    for (const float v : *values) sum += std::fabs(v);
    return sum / static_cast<double>(values->size());
}

// The super-block scales (d, dmin, m, e) of every quantized tensor, one histogram per tensor and field,
// binned by compute_stats in the pass that read the blocks.
Block super_block_histograms(const std::vector<const dequant::TensorStats*>& tensors) {
    Histograms h{"scale", {}};
    for (const dequant::TensorStats* s : tensors) {
        if (!s->supported) continue;
        for (const dequant::ScaleStats& sc : s->scales) {
            if (sc.histogram.empty()) continue;
            h.items.push_back({s->name + " " + sc.name, sc.min, sc.max, sc.histogram,
                               fmt::format("{}, {} blocks, mean {:.4g}, std {:.4g}, {} NaN, {} Inf, {} zero, {} subnormal",
                                           type_label(s->type), sc.count, sc.mean, sc.std, sc.nan_count, sc.inf_count,
                                           sc.zero_count, sc.subnormal_count)});
        }
    }
    return {"Super-block scale histogram per tensor",
            "Choose a tensor and field: its finite block scales in equal bins between their minimum and maximum "
            "(non-finite ones counted in the line below). A quantizer fitting trained weights gives a bell or a skewed "
            "hump; a lone bar far from the others is a block whose scale was damaged or misread.",
            std::move(h)};
}

// The integer sub-block scale codes of K-quant and IQ tensors, one bar per code of the field's range.
Block sub_block_histograms(const std::vector<const dequant::TensorStats*>& tensors) {
    Histograms h{"code", {}};
    for (const dequant::TensorStats* s : tensors) {
        if (!s->supported) continue;
        for (const dequant::SubScaleStats& sc : s->sub_scales) {
            if (sc.count == 0 || sc.histogram.empty()) continue;
            // Bins centred on the codes: code c covers [c - 0.5, c + 0.5).
            const double first = sc.min_code - 0.5;
            h.items.push_back({s->name + " " + sc.name, first, first + static_cast<double>(sc.histogram.size()), sc.histogram,
                               fmt::format("{}, {}-bit codes from {}, {} sub-blocks, mean code {:.4g}", type_label(s->type),
                                           sc.bits, sc.min_code, sc.count, sc.mean)});
        }
    }
    return {"Sub-block scale histogram per tensor",
            "Choose a tensor and field: how often each code of the small integer scales inside the super-blocks occurs. "
            "The quantizers put each super-block's largest sub-block on the top code, so healthy tensors pile up toward "
            "it; codes all on one value, or a field whose top codes are never used, point to a misread bit field.",
            std::move(h)};
}

}  // namespace

Block histograms_block(const std::vector<const dequant::TensorStats*>& tensors) {
    Histograms h{"values", {}};
    for (const dequant::TensorStats* s : tensors) {
        if (!has_values(*s) || s->histogram.empty()) continue;
        h.items.push_back({s->name, s->min, s->max, s->histogram,
                           fmt::format("{}, {} values, mean {:.4g}, std {:.4g}, rms {:.4g}, {} NaN, {} Inf", type_label(s->type),
                                       s->count, s->mean, s->std, s->rms, s->nan_count, s->inf_count())});
    }
    return {"Histogram per tensor",
            "Choose a tensor: its finite values in equal bins between its minimum and maximum. Trained weights are "
            "bell-shaped around zero; norm gains sit around their mean; a spike at one value or a flat spread over "
            "a huge range is a decoding or conversion mistake.",
            std::move(h)};
}

std::optional<Block> weight_rms_block(const std::vector<const dequant::TensorStats*>& tensors) {
    LayerSeries rms;
    for (const dequant::TensorStats* s : tensors) {
        const LayerName n = split_layer_name(s->name);
        if (n.layer < 0 || s->n_rows < 2 || !has_values(*s)) continue;
        rms.add(n.kind, n.layer, s->rms);
    }
    if (rms.empty()) return std::nullopt;
    LinePlot plot{"layer", "rms", rms.series(), {}, true, false};
    return Block{"Weight RMS across layers",
                 "The root mean square of each weight matrix, one line per kind. Trained projections keep a similar "
                 "scale from layer to layer; a single layer off by orders of magnitude was scaled or decoded wrongly.",
                 std::move(plot)};
}

std::vector<Block> norm_blocks(const std::vector<const dequant::TensorStats*>& tensors, const Container* model,
                               double outlier_ratio) {
    std::map<std::string, std::vector<std::pair<std::int64_t, const dequant::TensorStats*>>> by_kind;
    for (const dequant::TensorStats* s : tensors) {
        const LayerName n = split_layer_name(s->name);
        if (n.layer >= 0 && is_norm(*s, n) && has_values(*s)) by_kind[n.kind].push_back({n.layer, s});
    }
    std::vector<Block> out;
    for (auto& [kind, members] : by_kind) {
        std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        Series mean{"mean", {}, {}, false}, lo{"min", {}, {}, true}, hi{"max", {}, {}, true};
        std::vector<double> layers, abs_means;
        for (const auto& [layer, s] : members) {
            const double x = static_cast<double>(layer);
            mean.x.push_back(x), mean.y.push_back(s->mean);
            lo.x.push_back(x), lo.y.push_back(s->min);
            hi.x.push_back(x), hi.y.push_back(s->max);
            if (model && outlier_ratio > 0)
                if (auto m = mean_abs(*model, s->name)) {
                    layers.push_back(x);
                    abs_means.push_back(*m);
                }
        }
        LinePlot plot{"layer", "gain", {std::move(mean), std::move(lo), std::move(hi)}, {}, false, members.size() < 40};
        std::string note = "Mean, minimum and maximum of the gains of blk.N." + kind + " in every layer.";
        // The sibling rule compares each layer's mean |gain| with the layers' median; it needs three layers.
        if (abs_means.size() >= 3 && abs_means.size() == members.size()) {
            const double m = median(abs_means);
            Band band{fmt::format("band the rules accept: median mean |gain| {:.3g} \u00f7/\u00d7 {:g}", m, outlier_ratio),
                      layers, std::vector<double>(layers.size(), m / outlier_ratio),
                      std::vector<double>(layers.size(), m * outlier_ratio)};
            plot.bands.push_back(std::move(band));
            note += " The shaded band is what the norm rule accepts for this model: a layer whose mean |gain| leaves it "
                    "is reported. The band is relative to the model's own layers, not a fixed range: trained models "
                    "have layer-0 gains near 0.05 and final-norm means near 7.";
        }
        out.push_back({"Norm gains: " + kind, std::move(note), std::move(plot)});
    }
    return out;
}

Section block_scale_section(const std::vector<const dequant::TensorStats*>& tensors) {
    Section section{"Block scales", "", {}};
    Table table;
    table.columns = {"tensor", "type", "field", "blocks", "min", "max", "mean", "std", "NaN", "Inf", "zero", "subnormal", "negative"};
    std::map<std::string, LayerSeries> by_field;  // mean scale per field, by kind and layer
    for (const dequant::TensorStats* s : tensors) {
        if (!s->supported) continue;
        const LayerName n = split_layer_name(s->name);
        for (const dequant::ScaleStats& sc : s->scales) {
            table.rows.push_back({s->name, type_label(s->type), sc.name, static_cast<double>(sc.count), sc.min, sc.max, sc.mean,
                                  sc.std, static_cast<double>(sc.nan_count), static_cast<double>(sc.inf_count),
                                  static_cast<double>(sc.zero_count), static_cast<double>(sc.subnormal_count),
                                  static_cast<double>(sc.negative_count)});
            table.row_status.push_back(sc.nan_count + sc.inf_count ? "error" : "");
            if (n.layer >= 0) by_field[sc.name].add(n.kind, n.layer, std::fabs(sc.mean));
        }
    }
    // The integer sub-block scales (K-quants, IQ types) and how the code-book types use grid and signs.
    Table sub;
    sub.columns = {"tensor", "type", "field", "bits", "sub-blocks", "mean code", "share on top code", "grid used",
                   "signs set", "shifts negative"};
    for (const dequant::TensorStats* s : tensors) {
        if (!s->supported) continue;
        const auto& c = s->codes;
        const double nan = std::nan("");
        for (const dequant::SubScaleStats& sc : s->sub_scales) {
            const double top = sc.count ? static_cast<double>(sc.histogram.back()) / static_cast<double>(sc.count) : nan;
            sub.rows.push_back({s->name, type_label(s->type), sc.name, static_cast<double>(sc.bits),
                                static_cast<double>(sc.count), sc.mean, top, c.grid_size ? c.grid_used_fraction() : nan,
                                c.sign_bits ? c.sign_fraction() : nan, c.delta_bits ? c.delta_negative_fraction() : nan});
            sub.row_status.push_back("");
        }
    }
    if (table.rows.empty()) {
        section.text = "No tensor of this model is quantized in blocks, so there are no block scales to show.";
        return section;
    }
    section.text = "Quantized blocks store their values as small integers times a scale (d, and for some types a minimum "
                   "dmin). Healthy scales are finite, of one order of magnitude within a tensor, and similar across "
                   "layers; a NaN, an Inf or a scale many orders larger marks a corrupted block.";
    for (const auto& [field, series] : by_field)
        section.blocks.push_back({"Mean |" + field + "| across layers", "One line per tensor kind.",
                                  LinePlot{"layer", "|mean " + field + "|", series.series(), {}, true, false}});
    section.blocks.push_back(super_block_histograms(tensors));
    if (!sub.rows.empty()) section.blocks.push_back(sub_block_histograms(tensors));
    section.blocks.push_back({"Scale statistics per tensor", "Over every block of each tensor (super-blocks for K-quants).",
                              std::move(table)});
    if (!sub.rows.empty())
        section.blocks.push_back({"Sub-block scales and code usage per tensor",
                                  "The small integer scales inside each super-block (their mean code, and the share on the "
                                  "field's top code, where the quantizers put each super-block's largest); for the code-book "
                                  "(IQ) types the fraction of the grid used, of sign bits set and of 1/8 shifts negative "
                                  "(docs/stats.md). Trained weights set about half of the signs; GD-W023 reports a tensor "
                                  "far from that, or one that uses a few grid entries.",
                                  std::move(sub)});
    return section;
}

}  // namespace gguf::report::detail
