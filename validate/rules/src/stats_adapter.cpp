#include "stats_adapter.hpp"

#include <cmath>

#include "gguf/dequant.hpp"

namespace gguf::rules {

// Interim: row-chunked decoding until gguf/stats.hpp's compute_stats() lands.
std::optional<ValueStats> value_stats(const TensorView& view, int /*threads*/) {
    if (!view.info || !dequant::is_supported(view.info->type)) return std::nullopt;
    const TensorInfo& t = *view.info;
    ValueStats s;
    s.n_rows = t.n_rows();
    const std::uint64_t row_len = t.row_length();
    const std::uint64_t rows_per_chunk = std::max<std::uint64_t>(1, (1u << 20) / std::max<std::uint64_t>(1, row_len));
    std::vector<float> buf;
    double sum = 0, sum_sq = 0;
    s.min = INFINITY;
    s.max = -INFINITY;
    for (std::uint64_t r0 = 0; r0 < s.n_rows; r0 += rows_per_chunk) {
        const std::uint64_t n = std::min(rows_per_chunk, s.n_rows - r0);
        buf.resize(n * row_len);
        if (!dequant::decode_rows(view, r0, n, buf)) return std::nullopt;
        for (std::uint64_t r = 0; r < n; ++r) {
            double row_sq = 0;
            bool all_zero = true;
            for (std::uint64_t i = 0; i < row_len; ++i) {
                const float x = buf[r * row_len + i];
                ++s.count;
                if (std::isnan(x)) { ++s.nan; all_zero = false; continue; }
                if (std::isinf(x)) { ++s.inf; all_zero = false; continue; }
                if (x == 0) ++s.zeros; else all_zero = false;
                sum += x;
                sum_sq += static_cast<double>(x) * x;
                row_sq += static_cast<double>(x) * x;
                s.min = std::min<double>(s.min, x);
                s.max = std::max<double>(s.max, x);
            }
            if (all_zero) ++s.zero_rows;
            const double row_rms = std::sqrt(row_sq / static_cast<double>(row_len));
            if (row_rms > s.max_row_rms) {
                s.max_row_rms = row_rms;
                s.max_row = r0 + r;
            }
        }
    }
    const double finite = static_cast<double>(s.count - s.nan - s.inf);
    if (finite > 0) {
        s.mean = sum / finite;
        s.rms = std::sqrt(sum_sq / finite);
        s.std = std::sqrt(std::max(0.0, sum_sq / finite - s.mean * s.mean));
    } else {
        s.min = s.max = 0;
    }
    return s;
}

}  // namespace gguf::rules
