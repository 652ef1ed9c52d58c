// The diff command's HTML page: where two models differ, tensor by tensor and layer by layer, and
// with --forward how far apart their next-token distributions are at each position.
#include <fmt/format.h>

#include "gguf/report/html.hpp"
#include "gguf/types.hpp"
#include "layers.hpp"

namespace gguf::report {

Page diff_page(const DiffReport& r, const std::string& tool_version) {
    const audit::ModelDiff& d = r.diff;
    Page page;
    page.title = "gguf-doctor diff " + r.path_a + " " + r.path_b;
    page.subtitle = "A: " + r.path_a + "   B: " + r.path_b + " (relative errors and KL are of B against A)";
    page.verdict = d.identical() ? "IDENTICAL  same metadata and tensor values" : "DIFFERENT";
    page.generator = "gguf-doctor " + tool_version;

    detail::LayerSeries relative;
    bool any_zero = false;  // identical tensors have no place on a logarithmic axis
    Table tensors;
    tensors.columns = {"tensor", "type A", "type B", "shape A", "shape B", "relative error", "cosine", "max |diff|", "non-finite differ", "note"};
    for (const auto& t : d.tensors) {
        const detail::LayerName n = detail::split_layer_name(t.name);
        if (n.layer >= 0 && t.in_a && t.in_b && (t.compared || t.identical_bytes)) {
            relative.add(n.kind, n.layer, t.identical_bytes ? 0.0 : t.relative_error);
            any_zero = any_zero || t.identical_bytes || t.relative_error <= 0;
        }
        const double nan = std::nan("");
        tensors.rows.push_back({t.name, t.in_a ? type_label(t.type_a) : "-", t.in_b ? type_label(t.type_b) : "-",
                                t.in_a ? detail::shape_text(t.ne_a) : "-", t.in_b ? detail::shape_text(t.ne_b) : "-",
                                t.compared ? t.relative_error : nan, t.compared ? t.cosine : nan, t.compared ? t.max_abs_diff : nan,
                                t.compared ? static_cast<double>(t.nonfinite_mismatches) : nan,
                                t.identical_bytes ? "identical bytes" : !t.in_a ? "only in B" : !t.in_b ? "only in A" : t.note});
        tensors.row_status.emplace_back(!t.differs() ? "" : t.compared ? "warning" : "error");
    }
    Section values{"Tensors", "", {}};
    if (!relative.empty())
        values.blocks.push_back({"Relative error across layers",
                                 "||B - A|| / ||A|| of each tensor's dequantized values, one line per kind (0 for identical bytes). A "
                                 "quantization spreads evenly over the layers; one layer far above the rest was converted "
                                 "differently.",
                                 LinePlot{"layer", "relative error", relative.series(), {}, !any_zero, false}});
    values.blocks.push_back({"Every tensor", "Worst first; click a column's title to sort.", std::move(tensors)});
    page.sections.push_back(std::move(values));

    Table metadata;
    metadata.columns = {"change", "key", "A", "B"};
    for (const auto& m : d.metadata) {
        using Kind = audit::MetadataChange::Kind;
        metadata.rows.push_back({m.kind == Kind::added ? "added" : m.kind == Kind::removed ? "removed" : "changed", m.key, m.a, m.b});
    }
    page.sections.push_back({"Metadata", d.metadata.empty() ? "The metadata is the same." : "",
                             metadata.rows.empty() ? std::vector<Block>{} : std::vector<Block>{{"", "", std::move(metadata)}}});

    if (r.forward) {
        const auto& f = r.forward->diff;
        Section s{"Next-token distributions", "", {}};
        s.text = fmt::format("Both models on {} tokens of the built-in text ({}): KL(A || B) mean {:.4g}, median {:.4g}, p99 {:.4g}, "
                             "max {:.4g} nats; the top token agrees at {:.2f}% of the positions; perplexity A {:.4g}, B {:.4g}.",
                             r.forward->tokens, r.forward->backend, f.mean_kl, f.median_kl, f.p99_kl, f.max_kl,
                             100 * f.top1_agreement, f.perplexity_a, f.perplexity_b);
        Series kl{"KL(A || B)", {}, f.kl, false};
        for (std::size_t i = 0; i < f.kl.size(); ++i) kl.x.push_back(static_cast<double>(i));
        s.blocks.push_back({"KL divergence per position",
                            "Nats between the two models' next-token distributions after each token of the text. A good "
                            "quantization stays low everywhere; spikes mark the tokens where the models disagree.",
                            LinePlot{"position", "KL (nats)", {std::move(kl)}, {}, false, f.kl.size() < 64}});
        page.sections.push_back(std::move(s));
    }
    return page;
}

}  // namespace gguf::report
