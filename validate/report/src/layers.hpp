// What the HTML builders plot across layers: a tensor name split into its layer and its kind
// ("blk.3.attn_q.weight" -> 3, "attn_q.weight"), and series of one number per layer for each kind.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "gguf/report/page.hpp"

namespace gguf::report::detail {

struct LayerName {
    std::int64_t layer = -1;  // -1: not in a layer ("output_norm.weight")
    std::string kind;         // the name without "blk.N."
};
LayerName split_layer_name(std::string_view name);

// Values by kind, then by layer; becomes one Series per kind (x = layer), in kind order.
class LayerSeries {
public:
    void add(const std::string& kind, std::int64_t layer, double value) { values_[kind][layer] = value; }
    bool empty() const { return values_.empty(); }
    std::vector<Series> series(std::string_view suffix = {}) const;

private:
    std::map<std::string, std::map<std::int64_t, double>> values_;
};

std::string shape_text(const std::vector<std::uint64_t>& ne);  // "896 x 151936"

}  // namespace gguf::report::detail
