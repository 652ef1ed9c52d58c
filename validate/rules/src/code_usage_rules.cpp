// GD-W023: how a code-book (IQ) tensor uses its grid, sign bits and 1/8 shifts. Every quantizer that
// fits trained weights spreads its groups over much of the grid and sets about half of the sign bits
// (the weights are as often negative as positive); zeroed or constant index or sign bytes (a writer
// that never filled them, a loader's buffer reused, a layout read with the wrong offsets) do not.
// Thresholds and the measurements behind them: docs/rules.md, "Code-book usage".
#include <algorithm>
#include <cmath>

#include "gguf/rules/codes.hpp"
#include "value_rules.hpp"

namespace gguf::rules {
namespace {

// Fewer lookups or sign bits than this say too little: a share of set signs of 256 fair coin flips lies
// within 0.5 +- 0.1 with probability 0.9985, far inside any margin worth setting.
constexpr std::uint64_t kMinSamples = 256;

}  // namespace

void code_usage_rules(RuleContext& ctx, const TensorEvidence& e, const ValueStats& s) {
    const dequant::CodeUsage& c = s.codes;
    if (c.grid_size == 0 || s.count == 0 || s.zeros == s.count) return;
    const Thresholds& t = ctx.settings.thresholds;
    const std::string& name = e.tensor->name;
    const std::string type = type_label(e.tensor->type);

    // The entries a tensor can reach: all of the grid, or one per lookup when it has fewer lookups.
    const auto reachable = static_cast<double>(std::min<std::uint64_t>(c.grid_size, c.grid_lookups));
    if (c.grid_lookups >= kMinSamples && static_cast<double>(c.grid_used) < t.grid_usage_min * reachable)
        add_finding(ctx.findings, code::implausible_code_usage, name,
                    "the tensor's groups use only " + std::to_string(c.grid_used) + " of the " +
                        std::to_string(c.grid_size) + " entries of the " + type + " grid")
            .evidence("grid_used", std::uint64_t{c.grid_used})
            .evidence("grid_size", std::uint64_t{c.grid_size})
            .evidence("grid_lookups", c.grid_lookups)
            .evidence("fraction_of_reachable", static_cast<double>(c.grid_used) / reachable)
            .evidence("threshold", t.grid_usage_min)
            .evidence("type", type)
            .hint("Quantized weights spread over most of the grid (healthy files use more than half of the entries "
                  "their lookups can reach). Grid indices that are all equal were zeroed or never written; dump the "
                  "tensor with --raw to see the blocks.");

    const auto signs_off = [&](std::uint64_t bits, double fraction) {
        return bits >= kMinSamples && std::fabs(fraction - 0.5) > t.sign_fraction_margin;
    };
    if (signs_off(c.sign_bits, c.sign_fraction()))
        add_finding(ctx.findings, code::implausible_code_usage, name,
                    "the share of sign bits set is far from one half: the weights would be almost all " +
                        std::string(c.sign_fraction() < 0.5 ? "positive" : "negative"))
            .evidence("signs_set", c.signs_set)
            .evidence("sign_bits", c.sign_bits)
            .evidence("fraction", c.sign_fraction())
            .evidence("margin", t.sign_fraction_margin)
            .evidence("type", type)
            .hint("Trained weights are as often negative as positive, so quantizers set about half of the sign bits "
                  "(0.495 to 0.506 in the files measured). Sign bytes that are all zero or all one were cleared, "
                  "filled, or never written.");
    if (signs_off(c.delta_bits, c.delta_negative_fraction()))
        add_finding(ctx.findings, code::implausible_code_usage, name,
                    "the share of negative 1/8 shifts is far from one half")
            .evidence("deltas_negative", c.deltas_negative)
            .evidence("delta_bits", c.delta_bits)
            .evidence("fraction", c.delta_negative_fraction())
            .evidence("margin", t.sign_fraction_margin)
            .evidence("type", type)
            .hint("IQ1 quantizers choose the shift of each group (or sub-block) by sign, about half of them negative "
                  "(0.44 to 0.53 in the files measured). Shift bits that are all equal were cleared or never written.");
}

}  // namespace gguf::rules
