#include "value_pass.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>

#include "expert_rules.hpp"
#include "gguf/dequant.hpp"
#include "stats_adapter.hpp"
#include "value_rules.hpp"

namespace gguf::rules {
namespace {

// Norm vectors are a few thousand values; the norm rules look at each value.
constexpr std::uint64_t kMaxNormValues = 1u << 16;

// Bytes read so far, reported by whichever thread finds the reporter free, never concurrently and
// never decreasing.
class ProgressReporter {
public:
    ProgressReporter(const CheckOptions& options, std::uint64_t total) : progress_(options.progress), total_(total) {}

    void add(std::uint64_t bytes) {
        const std::uint64_t done = done_.fetch_add(bytes) + bytes;
        if (!progress_) return;
        std::unique_lock lock(mutex_, std::try_to_lock);
        if (lock.owns_lock() && done > reported_) progress_(reported_ = done, total_);
    }

    void finish() {
        if (!progress_) return;
        std::lock_guard lock(mutex_);
        if (done_.load() > reported_) progress_(reported_ = done_.load(), total_);
    }

private:
    const std::function<void(std::uint64_t, std::uint64_t)>& progress_;
    const std::uint64_t total_;
    std::atomic<std::uint64_t> done_{0};
    std::mutex mutex_;
    std::uint64_t reported_ = 0;  // guarded by mutex_
};

// The one read of a tensor's data: raw-byte scan, statistics, float-format sample, norm values.
void read_tensor(const TensorView& view, TensorEvidence& e, int threads, ProgressReporter& progress) {
    e.blocks = scan_blocks(view);
    std::uint64_t reported = 0;
    e.stats = value_stats(view, threads, [&](std::uint64_t done) {
        progress.add(done - reported);
        reported = done;
    });
    e.format = sample_float_format(view);
    if (e.norm && e.stats && e.tensor->n_elements() <= kMaxNormValues)
        if (auto values = dequant::to_float(view, 1)) e.values = std::move(*values);
    if (model::is_expert_stack(e.role)) e.experts = expert_slices(view, threads);
    if (reported < e.tensor->n_bytes) progress.add(e.tensor->n_bytes - reported);
}

}  // namespace

ValuePassTotals value_pass(RuleContext& ctx, const CheckOptions& options, const std::function<void()>& beside) {
    ValuePassTotals totals;
    std::uint64_t total_bytes = 0;
    std::vector<TensorEvidence> all;
    std::vector<std::optional<TensorView>> views;
    all.reserve(ctx.model.tensors().size());
    views.reserve(ctx.model.tensors().size());
    for (const TensorInfo& t : ctx.model.tensors()) {
        all.push_back(classify(t));
        views.emplace_back();
        if (!t.data_valid) continue;
        total_bytes += t.n_bytes;
        if (auto view = ctx.model.view(t)) {
            views.back() = *view;
            ++totals.tensors;
            totals.bytes += t.n_bytes;
        }
    }

    // A tensor larger than 1/(2 threads) of the data is read by all threads, one such tensor after
    // another. The others are read one per thread, largest first, beside the metadata rules: no
    // thread waits at a barrier after each small tensor, and no core is shared by two threads.
    const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
    std::vector<std::size_t> large, small;
    for (std::size_t i = 0; i < views.size(); ++i) {
        if (!views[i]) continue;
        const std::uint64_t bytes = all[i].tensor->n_bytes;
        (bytes * 2 * static_cast<std::uint64_t>(threads) > total_bytes ? large : small).push_back(i);
    }
    std::stable_sort(small.begin(), small.end(),
                     [&](std::size_t a, std::size_t b) { return all[a].tensor->n_bytes > all[b].tensor->n_bytes; });

    ProgressReporter progress(options, total_bytes);
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto n_items = static_cast<std::int64_t>(small.size()) + 1;  // item 0 is `beside`
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::int64_t i = 0; i < n_items; ++i) {
        try {
            if (i == 0) {
                if (beside) beside();
            } else {
                const std::size_t t = small[static_cast<std::size_t>(i - 1)];
                read_tensor(*views[t], all[t], 1, progress);
            }
        } catch (...) {
            std::lock_guard lock(failure_mutex);
            if (!failure) failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);
    for (std::size_t t : large) read_tensor(*views[t], all[t], threads, progress);
    progress.finish();

    for (const TensorEvidence& e : all) tensor_value_rules(ctx, e);
    duplicate_rules(ctx, all);
    norm_rules(ctx, all);
    expert_rules(ctx, all);
    return totals;
}

}  // namespace gguf::rules
