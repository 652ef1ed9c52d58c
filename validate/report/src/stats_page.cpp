// The stats command's HTML page: every tensor in a table to sort, the RMS across layers, and a
// histogram per tensor.
#include <fmt/format.h>

#include <map>

#include "gguf/report/html.hpp"
#include "gguf/types.hpp"
#include "layers.hpp"
#include "tensor_blocks.hpp"

namespace gguf::report {
namespace {

std::vector<std::uint64_t> dims(const TensorInfo& t) { return {t.ne.begin(), t.ne.begin() + t.n_dims}; }

}  // namespace

Page stats_page(const std::string& file, const std::vector<stats::Entry>& entries, const std::string& tool_version) {
    Page page;
    page.title = "gguf-doctor stats " + file;
    std::uint64_t unreadable = 0, unsupported = 0, elements = 0;
    for (const auto& e : entries) {
        unreadable += !e.error.empty();
        unsupported += e.error.empty() && !e.stats.supported;
        elements += e.info->n_elements();
    }
    page.subtitle = fmt::format("{} tensors, {:.1f}M values{}{}", entries.size(), static_cast<double>(elements) / 1e6,
                                unsupported ? fmt::format(", {} of types without a dequantizer", unsupported) : "",
                                unreadable ? fmt::format(", {} unreadable", unreadable) : "");
    page.generator = "gguf-doctor " + tool_version;

    Table t;
    t.columns = {"tensor", "type", "shape (ne)", "min", "max", "mean", "std", "rms", "p1", "p99", "NaN", "Inf", "zero %",
                 "zero rows", "bad scales"};
    std::vector<const dequant::TensorStats*> tensors;
    std::map<std::uint32_t, std::array<double, 3>> per_type;  // tensors, values, bytes
    for (const auto& e : entries) {
        const auto& s = e.stats;
        auto& type_total = per_type[e.info->type];
        type_total[0] += 1, type_total[1] += static_cast<double>(e.info->n_elements()), type_total[2] += static_cast<double>(e.info->n_bytes);
        std::vector<Cell> row{e.info->name, type_label(e.info->type), detail::shape_text(dims(*e.info))};
        if (!e.error.empty() || !s.supported) {
            row.emplace_back(!e.error.empty() ? "unreadable: " + e.error : "no dequantizer for this type");
            while (row.size() < t.columns.size()) row.emplace_back(std::nan(""));
            t.row_status.emplace_back(!e.error.empty() ? "error" : "warning");
        } else {
            tensors.push_back(&s);
            row.insert(row.end(), {s.min, s.max, s.mean, s.std, s.rms, s.percentiles[1].value, s.percentiles[3].value,
                                   static_cast<double>(s.nan_count), static_cast<double>(s.inf_count()),
                                   s.count ? 100.0 * static_cast<double>(s.zero_count) / static_cast<double>(s.count) : 0.0,
                                   static_cast<double>(s.zero_rows),
                                   s.scales.empty() ? std::nan("") : static_cast<double>(s.nonfinite_scales)});
            t.row_status.emplace_back(s.nan_count + s.inf_count() + s.nonfinite_scales ? "error" : "");
        }
        t.rows.push_back(std::move(row));
    }
    page.sections.push_back({"Tensors", "Click a column's title to sort by it; hover a number for its full value.",
                             {{"", "", std::move(t)}}});
    Section layers{"Across layers", "", {}};
    if (auto rms = detail::weight_rms_block(tensors)) layers.blocks.push_back(std::move(*rms));
    for (Block& b : detail::norm_blocks(tensors, nullptr, 0)) layers.blocks.push_back(std::move(b));
    if (!layers.blocks.empty()) page.sections.push_back(std::move(layers));
    page.sections.push_back({"Histograms", "", {detail::histograms_block(tensors)}});
    Table types;
    types.columns = {"type", "tensors", "values", "bytes"};
    for (const auto& [type, n] : per_type) types.rows.push_back({type_label(type), n[0], n[1], n[2]});
    page.sections.push_back({"Per type", "", {{"", "", std::move(types)}}});
    return page;
}

}  // namespace gguf::report
