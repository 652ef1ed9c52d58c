#include "value_pass.hpp"

#include <functional>

#include "gguf/dequant.hpp"
#include "stats_adapter.hpp"
#include "value_rules.hpp"

namespace gguf::rules {
namespace {

// Norm vectors are a few thousand values; the norm rules look at each value.
constexpr std::uint64_t kMaxNormValues = 1u << 16;

}  // namespace

ValuePassTotals value_pass(RuleContext& ctx, const CheckOptions& options) {
    ValuePassTotals totals;
    std::uint64_t total_bytes = 0;
    for (const auto& t : ctx.model.tensors())
        if (t.data_valid) total_bytes += t.n_bytes;

    std::vector<TensorEvidence> all;
    all.reserve(ctx.model.tensors().size());
    for (const TensorInfo& t : ctx.model.tensors()) {
        TensorEvidence e = classify(t);
        if (t.data_valid) {
            if (auto view = ctx.model.view(t)) {
                e.blocks = scan_blocks(*view);
                const std::uint64_t before = totals.bytes;
                std::function<void(std::uint64_t)> tensor_progress;
                if (options.progress)
                    tensor_progress = [&](std::uint64_t done) { options.progress(before + done, total_bytes); };
                e.stats = value_stats(*view, options.threads, tensor_progress);
                e.format = sample_float_format(*view);
                if (e.norm && e.stats && t.n_elements() <= kMaxNormValues)
                    if (auto values = dequant::to_float(*view, 1)) e.values = std::move(*values);
                ++totals.tensors;
                totals.bytes += t.n_bytes;
                if (options.progress) options.progress(totals.bytes, total_bytes);
            }
        }
        tensor_value_rules(ctx, e);
        all.push_back(std::move(e));
    }
    duplicate_rules(ctx, all);
    norm_rules(ctx, all);
    return totals;
}

}  // namespace gguf::rules
