// Metadata and tensor differences between two models. Tensor values are decoded a chunk of rows at a
// time from both files and compared in double; tensors run in parallel.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>

#include "gguf/audit/model_diff.hpp"
#include "gguf/dequant.hpp"
#include "gguf/types.hpp"

namespace gguf::audit {
namespace {

constexpr std::uint64_t kChunkValues = 1 << 20;

std::vector<std::uint64_t> dims(const TensorInfo& t) { return {t.ne.begin(), t.ne.begin() + t.n_dims}; }

// Values of two views with the same number of elements and row length, compared.
Result<void> compare_values(const TensorView& a, const TensorView& b, TensorComparison& out, std::vector<float>& xa,
                            std::vector<float>& xb) {
    const std::uint64_t row = a.info->row_length(), rows = a.info->n_rows();
    const std::uint64_t step = std::max<std::uint64_t>(1, kChunkValues / std::max<std::uint64_t>(row, 1));
    double diff2 = 0, a2 = 0, b2 = 0, ab = 0, max_abs = 0;
    std::uint64_t nonfinite = 0;
    for (std::uint64_t first = 0; first < rows; first += step) {
        const std::uint64_t n = std::min(step, rows - first);
        xa.resize(n * row);
        xb.resize(n * row);
        if (auto r = dequant::decode_rows(a, first, n, xa); !r) return r.error();
        if (auto r = dequant::decode_rows(b, first, n, xb); !r) return r.error();
        for (std::size_t i = 0; i < xa.size(); ++i) {
            const double x = xa[i], y = xb[i];
            if (!std::isfinite(x) || !std::isfinite(y)) {
                const bool same = (std::isnan(x) && std::isnan(y)) || x == y;
                nonfinite += !same;
                continue;
            }
            diff2 += (y - x) * (y - x);
            a2 += x * x;
            b2 += y * y;
            ab += x * y;
            max_abs = std::max(max_abs, std::fabs(y - x));
        }
    }
    out.relative_error = a2 > 0 ? std::sqrt(diff2 / a2) : (diff2 > 0 ? INFINITY : 0.0);
    out.cosine = a2 > 0 && b2 > 0 ? ab / std::sqrt(a2 * b2) : (a2 == b2 ? 1.0 : 0.0);
    out.max_abs_diff = max_abs;
    out.nonfinite_mismatches = nonfinite;
    out.compared = true;
    return {};
}

int group(const TensorComparison& t) {
    if (!t.in_a || !t.in_b) return 0;
    if (t.ne_a != t.ne_b) return 1;
    if (t.identical_bytes || (t.compared && !t.differs())) return 3;
    return 2;
}

}  // namespace

bool TensorComparison::differs() const {
    if (!in_a || !in_b || ne_a != ne_b || type_a != type_b) return true;
    if (identical_bytes) return false;
    return !compared || relative_error != 0 || max_abs_diff != 0 || nonfinite_mismatches != 0;
}

bool ModelDiff::identical() const {
    return metadata.empty() && std::none_of(tensors.begin(), tensors.end(), [](const auto& t) { return t.differs(); });
}

Result<ModelDiff> diff_models(const Container& a, const Container& b, const DiffOptions& options) {
    ModelDiff diff;
    std::map<std::string_view, const Value*> in_b;
    for (const auto& e : b.metadata()) in_b.emplace(e.key, &e.value);
    for (const auto& e : a.metadata()) {
        const auto it = in_b.find(e.key);
        if (it == in_b.end()) diff.metadata.push_back({MetadataChange::Kind::removed, e.key, value_text(e.value), ""});
        else if (!(*it->second == e.value))
            diff.metadata.push_back({MetadataChange::Kind::changed, e.key, value_text(e.value), value_text(*it->second)});
    }
    for (const auto& e : b.metadata())
        if (!a.find(e.key)) diff.metadata.push_back({MetadataChange::Kind::added, e.key, "", value_text(e.value)});

    std::vector<std::pair<const TensorInfo*, const TensorInfo*>> pairs;
    for (const TensorInfo& t : a.tensors()) pairs.emplace_back(&t, b.find_tensor(t.name));
    for (const TensorInfo& t : b.tensors())
        if (!a.find_tensor(t.name)) pairs.emplace_back(nullptr, &t);
    diff.tensors.resize(pairs.size());
    std::vector<std::optional<Error>> errors(pairs.size());
    std::mutex progress_mutex;
    std::uint64_t done = 0;
    const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
    {
        std::vector<float> xa, xb;
#pragma omp for schedule(dynamic)
        for (std::int64_t k = 0; k < static_cast<std::int64_t>(pairs.size()); ++k) {
            const auto i = static_cast<std::size_t>(k);
            const auto [ta, tb] = pairs[i];
            TensorComparison& c = diff.tensors[i];
            c.name = ta ? ta->name : tb->name;
            c.in_a = ta != nullptr;
            c.in_b = tb != nullptr;
            if (ta) {
                c.type_a = ta->type;
                c.ne_a = dims(*ta);
            }
            if (tb) {
                c.type_b = tb->type;
                c.ne_b = dims(*tb);
            }
            if (ta && tb && c.ne_a == c.ne_b) {
                auto va = a.view(*ta);
                auto vb = b.view(*tb);
                if (!va) errors[i] = va.error();
                else if (!vb) errors[i] = vb.error();
                else if (ta->type == tb->type && va->order == vb->order && va->bytes.size() == vb->bytes.size() &&
                         std::memcmp(va->bytes.data(), vb->bytes.data(), va->bytes.size()) == 0)
                    c.identical_bytes = true;
                else if (!dequant::is_supported(ta->type) || !dequant::is_supported(tb->type))
                    c.note = "no dequantizer for " + type_label(dequant::is_supported(ta->type) ? tb->type : ta->type);
                else if (auto r = compare_values(*va, *vb, c, xa, xb); !r)
                    errors[i] = r.error();
            } else if (ta && tb) {
                c.note = "shapes differ";
            }
            if (options.progress) {
                std::lock_guard lock(progress_mutex);
                options.progress(++done, pairs.size());
            }
        }
    }
    for (auto& e : errors)
        if (e) return *e;
    std::stable_sort(diff.tensors.begin(), diff.tensors.end(), [](const TensorComparison& x, const TensorComparison& y) {
        const int gx = group(x), gy = group(y);
        if (gx != gy) return gx < gy;
        if (gx == 2) return x.relative_error > y.relative_error || (std::isnan(x.relative_error) && !std::isnan(y.relative_error));
        return false;
    });
    return diff;
}

}  // namespace gguf::audit
