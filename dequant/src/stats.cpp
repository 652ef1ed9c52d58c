// compute_stats: splits a tensor into units of work (groups of whole rows, or segments of one long
// row), decodes each a piece at a time into a per-thread buffer, accumulates per thread, and merges.
#include "gguf/stats.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>

#include "block_decoder.hpp"
#include "kernels.hpp"
#include "stats_accumulate.hpp"
#include "stats_codes.hpp"
#include "stats_histogram.hpp"

namespace gguf::dequant {
namespace {

using detail::Moments;
using detail::RunSums;

// Values decoded at a time: a 16 KiB buffer that stays in L1 with the hot part of the histogram.
constexpr std::uint64_t kPieceValues = 4096;

// How the tensor is cut into units of work.
struct WorkPlan {
    std::uint64_t row_blocks = 0;     // blocks per row
    std::uint64_t rows_per_item = 0;  // > 0: each item is this many whole rows
    std::uint64_t segments = 0;       // > 0: each row is this many items (rows longer than a chunk)
    std::uint64_t segment_blocks = 0;
    std::uint64_t n_items = 0;
};

WorkPlan plan_work(const TensorInfo& info, const TypeInfo& type, std::uint64_t chunk_bytes) {
    WorkPlan plan;
    plan.row_blocks = info.row_length() / type.block_size;
    const std::uint64_t chunk_blocks = std::max<std::uint64_t>(1, chunk_bytes / type.type_size);
    const std::uint64_t n_rows = info.row_length() ? info.n_rows() : 0;
    if (plan.row_blocks <= chunk_blocks) {
        plan.rows_per_item = plan.row_blocks ? chunk_blocks / plan.row_blocks : 1;
        plan.n_items = (n_rows + plan.rows_per_item - 1) / plan.rows_per_item;
    } else {
        plan.segment_blocks = chunk_blocks;
        plan.segments = (plan.row_blocks + chunk_blocks - 1) / chunk_blocks;
        plan.n_items = n_rows * plan.segments;
    }
    return plan;
}

// The rows with the lowest and highest rms, and the row counts, of the rows one thread finished.
class RowTracker {
public:
    explicit RowTracker(std::uint32_t keep) : keep_(keep) {}

    void add(std::uint64_t row, const RunSums& run, std::uint64_t row_length) {
        if (run.nonfinite()) {
            ++nonfinite_rows;
            return;
        }
        if (run.zeros == row_length) ++zero_rows;
        const RowRms r{row, std::sqrt(run.moments().mean_square())};
        insert(smallest, r, [](const RowRms& a, const RowRms& b) { return a.rms < b.rms || (a.rms == b.rms && a.row < b.row); });
        insert(largest, r, [](const RowRms& a, const RowRms& b) { return a.rms > b.rms || (a.rms == b.rms && a.row < b.row); });
    }

    void merge(const RowTracker& other) {
        zero_rows += other.zero_rows;
        nonfinite_rows += other.nonfinite_rows;
        for (const RowRms& r : other.smallest)
            insert(smallest, r, [](const RowRms& a, const RowRms& b) { return a.rms < b.rms || (a.rms == b.rms && a.row < b.row); });
        for (const RowRms& r : other.largest)
            insert(largest, r, [](const RowRms& a, const RowRms& b) { return a.rms > b.rms || (a.rms == b.rms && a.row < b.row); });
    }

    std::uint64_t zero_rows = 0, nonfinite_rows = 0;
    std::vector<RowRms> smallest, largest;

private:
    template <class Before>
    void insert(std::vector<RowRms>& list, const RowRms& r, Before before) {
        const auto at = std::upper_bound(list.begin(), list.end(), r, before);
        if (static_cast<std::uint32_t>(at - list.begin()) >= keep_) return;
        list.insert(at, r);
        if (list.size() > keep_) list.pop_back();
    }
    std::uint32_t keep_;
};

// Everything one thread accumulates.
struct ThreadState {
    ThreadState(const detail::TypeKernels& kernels, ByteOrder order, std::uint64_t buffer_values, std::uint32_t keep_rows)
        : decoder(kernels, order),
          buffer(buffer_values),
          histogram(detail::kHistogramCounts, 0),
          codes(static_cast<std::uint32_t>(kernels.type)),
          rows(keep_rows) {
        for (const detail::ScaleField& f : kernels.scale_fields()) scales.push_back({f});
    }

    detail::BlockDecoder decoder;
    std::vector<float> buffer;
    std::vector<std::uint32_t> histogram;        // counts since the last flush
    std::vector<std::uint64_t> histogram_total;  // flushed counts (allocated at the first flush)
    std::uint64_t since_flush = 0;
    std::vector<detail::ScaleAccumulator> scales;
    detail::CodeAccumulator codes;
    Moments moments;
    float min = std::numeric_limits<float>::infinity();
    float max = -std::numeric_limits<float>::infinity();
    std::uint64_t zeros = 0, nan = 0, pos_inf = 0, neg_inf = 0;
    RowTracker rows;

    // Decodes and accumulates whole blocks of one row into `run`, a piece at a time; the run's shift
    // is its first value when `starts_run`.
    void add_blocks(std::span<const std::byte> bytes, RunSums& run, bool starts_run) {
        const std::uint64_t block_bytes = decoder.block_bytes();
        const std::uint64_t piece_bytes = buffer.size() / decoder.block_size() * block_bytes;
        for (std::uint64_t at = 0; at < bytes.size(); at += piece_bytes) {
            const auto piece = decoder.little_endian(bytes.subspan(at, std::min(piece_bytes, bytes.size() - at)));
            const std::uint64_t n_blocks = piece.size() / block_bytes;
            decoder.decode_little_endian(piece, buffer.data());
            for (auto& s : scales) s.add_blocks(piece.data(), n_blocks, block_bytes);
            codes.add_blocks(piece.data(), n_blocks);
            const std::uint64_t n = n_blocks * decoder.block_size();
            if (starts_run && at == 0 && std::isfinite(buffer[0])) run.shift = buffer[0];
            if (since_flush + n > std::numeric_limits<std::uint32_t>::max()) flush_histogram();
            since_flush += n;
            detail::accumulate(buffer.data(), n, run, histogram.data(), true);
        }
    }

    void flush_histogram() {
        add_counts(histogram);
        std::fill(histogram.begin(), histogram.end(), 0u);
        since_flush = 0;
    }

    // Adds 32-bit counts (kHistogramCopies tables of kFineBins, the copies summed) to the totals.
    void add_counts(const std::vector<std::uint32_t>& counts) {
        histogram_total.resize(detail::kFineBins, 0);
        for (std::size_t i = 0; i < counts.size(); ++i) histogram_total[i % detail::kFineBins] += counts[i];
    }

    // Folds a finished run (a row, or a segment of one) into the tensor totals.
    void add_run(const RunSums& run) {
        moments.merge(run.moments());
        min = std::min(min, run.min);
        max = std::max(max, run.max);
        zeros += run.zeros;
        nan += run.nan;
        pos_inf += run.pos_inf;
        neg_inf += run.neg_inf;
    }

    void merge(const ThreadState& other) {
        flush_histogram();
        add_counts(other.histogram);
        for (std::size_t i = 0; i < other.histogram_total.size(); ++i) histogram_total[i] += other.histogram_total[i];
        for (std::size_t i = 0; i < scales.size(); ++i) scales[i].merge(other.scales[i]);
        codes.merge(other.codes);
        moments.merge(other.moments);
        min = std::min(min, other.min);
        max = std::max(max, other.max);
        zeros += other.zeros;
        nan += other.nan;
        pos_inf += other.pos_inf;
        neg_inf += other.neg_inf;
        rows.merge(other.rows);
    }
};

// Segments of one row, combined in order into the row's sums.
RunSums combine_segments(std::span<const RunSums> parts) {
    RunSums row;
    Moments m;
    for (const RunSums& p : parts) {
        m.merge(p.moments());
        row.min = std::min(row.min, p.min);
        row.max = std::max(row.max, p.max);
        row.zeros += p.zeros;
        row.nan += p.nan;
        row.pos_inf += p.pos_inf;
        row.neg_inf += p.neg_inf;
    }
    // Re-expressed around the row mean: s1 = 0, s2 = the sum of squared deviations.
    row.shift = m.mean;
    row.n_finite = m.n;
    row.s2 = m.m2;
    return row;
}

ScaleStats scale_stats(const detail::ScaleAccumulator& a, std::uint32_t linear_bins) {
    ScaleStats s;
    s.name = std::string(a.field.name);
    s.count = a.count;
    s.nan_count = a.nan;
    s.inf_count = a.inf;
    s.zero_count = a.zero;
    s.subnormal_count = a.subnormal;
    s.negative_count = a.negative;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const bool any = a.finite.n > 0;
    s.min = any ? a.min : nan;
    s.max = any ? a.max : nan;
    s.mean = any ? a.finite.mean : nan;
    s.std = any ? std::sqrt(a.finite.variance()) : nan;
    if (any) s.histogram = detail::linear_histogram(a.fine_bins_ascending(), linear_bins, a.min, a.max);
    return s;
}

void finish(ThreadState& total, const StatsOptions& options, TensorStats& s) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.nan_count = total.nan;
    s.pos_inf_count = total.pos_inf;
    s.neg_inf_count = total.neg_inf;
    s.zero_count = total.zeros;
    s.finite_count = total.moments.n;
    const bool any = s.finite_count > 0;
    s.min = any ? total.min : nan;
    s.max = any ? total.max : nan;
    s.abs_max = any ? std::max(std::fabs(s.min), std::fabs(s.max)) : nan;
    s.mean = any ? total.moments.mean : nan;
    s.std = any ? std::sqrt(total.moments.variance()) : nan;
    s.rms = any ? std::sqrt(total.moments.mean_square()) : nan;
    total.flush_histogram();
    detail::summarize_histogram(total.histogram_total.data(), options.linear_bins, s);
    s.zero_rows = total.rows.zero_rows;
    s.nonfinite_rows = total.rows.nonfinite_rows;
    s.smallest_rms_rows = total.rows.smallest;
    s.largest_rms_rows = total.rows.largest;
    for (const auto& a : total.scales) {
        s.scales.push_back(scale_stats(a, options.linear_bins));
        s.nonfinite_scales += a.nan + a.inf;
    }
    total.codes.finish(s);
}

}  // namespace

Result<TensorStats> compute_stats(const TensorView& view, const StatsOptions& options) {
    if (!view.info) return Error{ErrorCode::invalid_argument, 0, "compute_stats: tensor view without tensor info", {}};
    const TensorInfo& info = *view.info;
    if (options.chunk_bytes == 0)
        return Error{ErrorCode::invalid_argument, 0, "compute_stats: chunk_bytes must be positive", {}};
    TensorStats s;
    s.name = info.name;
    s.type = info.type;
    s.count = info.n_elements();
    s.n_rows = info.n_rows();
    s.row_length = info.row_length();
    const detail::TypeKernels* kernels = detail::find_kernels(info.type);
    if (!kernels) {
        if (options.progress) options.progress(view.bytes.size());
        return s;
    }
    const TypeInfo& type = *find_type(info.type);
    const auto size = byte_size(info.type, s.count);
    if (!size || *size != view.bytes.size())
        return Error{ErrorCode::tensor_unreadable, info.file_offset,
                     "tensor '" + info.name + "': data size " + std::to_string(view.bytes.size()) +
                         " does not match its shape and type", {}};
    s.supported = true;

    const WorkPlan plan = plan_work(info, type, options.chunk_bytes);
    const std::uint64_t row_bytes = plan.row_blocks * type.type_size;
    const std::uint64_t buffer_values = std::max<std::uint64_t>(1, kPieceValues / type.block_size) * type.block_size;
    const int threads = static_cast<int>(std::clamp<std::uint64_t>(
        options.threads > 0 ? options.threads : omp_get_max_threads(), 1, std::max<std::uint64_t>(1, plan.n_items)));

    std::vector<ThreadState> states;
    states.reserve(threads);
    for (int t = 0; t < threads; ++t) states.emplace_back(*kernels, view.order, buffer_values, options.extreme_rows);
    std::vector<RunSums> segment_sums(plan.segments ? plan.n_items : 0);
    std::atomic<std::uint64_t> bytes_done{0};
    std::mutex progress_mutex;
    std::uint64_t reported = 0;  // guarded by progress_mutex

#pragma omp parallel num_threads(threads)
    {
        ThreadState& state = states[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t item = 0; item < static_cast<std::int64_t>(plan.n_items); ++item) {
            const auto it = static_cast<std::uint64_t>(item);
            std::uint64_t item_bytes = 0;
            if (plan.rows_per_item) {
                const std::uint64_t first = it * plan.rows_per_item;
                const std::uint64_t last = std::min(first + plan.rows_per_item, s.n_rows);
                for (std::uint64_t row = first; row < last; ++row) {
                    RunSums run;
                    state.add_blocks(view.bytes.subspan(row * row_bytes, row_bytes), run, true);
                    state.add_run(run);
                    state.rows.add(row, run, s.row_length);
                }
                item_bytes = (last - first) * row_bytes;
            } else {
                const std::uint64_t row = it / plan.segments, segment = it % plan.segments;
                const std::uint64_t first_block = segment * plan.segment_blocks;
                const std::uint64_t n_blocks = std::min(plan.segment_blocks, plan.row_blocks - first_block);
                RunSums& run = segment_sums[it];
                state.add_blocks(view.bytes.subspan(row * row_bytes + first_block * type.type_size, n_blocks * type.type_size),
                                 run, true);
                state.add_run(run);
                item_bytes = n_blocks * type.type_size;
            }
            bytes_done.fetch_add(item_bytes);
            if (options.progress) {
                // Whichever thread finds the reporter free reports; the others go on working.
                std::unique_lock lock(progress_mutex, std::try_to_lock);
                if (lock.owns_lock()) {
                    const std::uint64_t done = bytes_done.load();
                    if (done > reported) options.progress(reported = done);
                }
            }
        }
    }

    for (int t = 1; t < threads; ++t) states[0].merge(states[t]);
    if (plan.segments)
        for (std::uint64_t row = 0; row < s.n_rows; ++row)
            states[0].rows.add(row, combine_segments(std::span(segment_sums).subspan(row * plan.segments, plan.segments)),
                               s.row_length);
    finish(states[0], options, s);
    if (options.progress && reported < view.bytes.size()) options.progress(view.bytes.size());
    return s;
}

}  // namespace gguf::dequant
