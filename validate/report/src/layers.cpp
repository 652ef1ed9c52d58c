#include "layers.hpp"

#include <charconv>

namespace gguf::report::detail {

LayerName split_layer_name(std::string_view name) {
    constexpr std::string_view kPrefix = "blk.";
    if (!name.starts_with(kPrefix)) return {-1, std::string(name)};
    const std::string_view rest = name.substr(kPrefix.size());
    const std::size_t dot = rest.find('.');
    std::int64_t layer = -1;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + (dot == std::string_view::npos ? rest.size() : dot), layer);
    if (ec != std::errc() || dot == std::string_view::npos || end != rest.data() + dot || layer < 0)
        return {-1, std::string(name)};
    return {layer, std::string(rest.substr(dot + 1))};
}

std::vector<Series> LayerSeries::series(std::string_view suffix) const {
    std::vector<Series> out;
    for (const auto& [kind, by_layer] : values_) {
        Series s{kind + std::string(suffix), {}, {}, false};
        for (const auto& [layer, v] : by_layer) {
            s.x.push_back(static_cast<double>(layer));
            s.y.push_back(v);
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::string shape_text(const std::vector<std::uint64_t>& ne) {
    std::string s;
    for (std::size_t d = 0; d < ne.size(); ++d) s += (d ? " x " : "") + std::to_string(ne[d]);
    return s;
}

}  // namespace gguf::report::detail
