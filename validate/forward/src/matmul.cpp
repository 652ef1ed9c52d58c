#include "matmul.hpp"

#include <omp.h>

#include <algorithm>
#include <optional>

#include "panel_product.hpp"

namespace gguf::forward {
namespace {

// Rows decoded at a time: about 1 MiB of float32 and at least 32 rows, so that the product of a panel
// stays efficient (Eigen blocks it further) while the decoded rows are still in cache.
std::uint64_t panel_rows(std::uint64_t n_in, std::uint64_t n_out, int threads) {
    std::uint64_t rows = std::max<std::uint64_t>(32, (std::uint64_t{1} << 18) / std::max<std::uint64_t>(n_in, 1));
    // Enough panels for every thread to have a few.
    rows = std::min(rows, std::max<std::uint64_t>(8, n_out / (4 * static_cast<std::uint64_t>(threads))));
    return std::max<std::uint64_t>(1, rows / 8 * 8);
}

// Below this many multiply-adds a product runs on one thread: waking a team costs more than it saves
// (and on a loaded machine OpenMP's spinning threads cost much more).
constexpr std::uint64_t kParallelWork = std::uint64_t{1} << 22;

}  // namespace

Result<void> matmul(std::span<const float> x, WeightMatrix& w, std::span<float> out, int threads) {
    const std::uint64_t n_in = w.n_in(), n_out = w.n_out();
    const std::uint64_t n_tokens = x.size() / n_in;
    const PanelProduct product = panel_product();
    const std::uint64_t panel = panel_rows(n_in, n_out, threads);
    const auto n_panels = static_cast<std::int64_t>((n_out + panel - 1) / panel);
    w.prepare();

    std::optional<Error> failure;
    const bool parallel = n_tokens * n_in * n_out >= kParallelWork;
#pragma omp parallel num_threads(threads) if (parallel)
    {
        std::vector<float> scratch;
#pragma omp for schedule(dynamic)
        for (std::int64_t p = 0; p < n_panels; ++p) {
            const std::uint64_t first = static_cast<std::uint64_t>(p) * panel;
            const std::uint64_t count = std::min(panel, n_out - first);
            auto rows = w.rows(first, count, scratch);
            if (!rows) {
#pragma omp critical
                if (!failure) failure = rows.error();
                continue;
            }
            // out[:, first .. first + count) = x [T][n_in] * panel [count][n_in]^T
            product(x.data(), static_cast<std::int64_t>(n_tokens), static_cast<std::int64_t>(n_in), *rows,
                    static_cast<std::int64_t>(count), out.data() + first, static_cast<std::int64_t>(n_out));
        }
    }
    if (failure) return *failure;
    w.mark_complete();
    return {};
}

}  // namespace gguf::forward
