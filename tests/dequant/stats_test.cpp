// compute_stats against a plain two-pass computation (in long double) over the decoded values, which
// the decoders' differential test ties to ggml: counts exactly, moments to rounding, percentiles
// within the documented bound, rows and block scales by brute force.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include "dequant/test_data.hpp"
#include "gguf/container.hpp"
#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/quantize.hpp"
#include "gguf/stats.hpp"
#include "gguf/writer.hpp"
#include "stats_accumulate.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using dequant::RowRms;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// One tensor in a file of its own, opened.
struct OneTensor {
    test::TempDir dir;
    Container model;
    TensorView view;

    OneTensor(std::uint32_t type, std::vector<std::uint64_t> ne, std::vector<std::byte> data,
              ByteOrder order = ByteOrder::little) {
        Writer w(order);
        REQUIRE(w.add_tensor({"t", type, std::move(ne), std::move(data)}).ok());
        REQUIRE(w.write(dir / "t.gguf").ok());
        auto m = open(dir / "t.gguf");
        REQUIRE(m.ok());
        model = std::move(*m);
        auto v = model.view(model.tensors()[0]);
        REQUIRE(v.ok());
        view = *v;
    }
};

std::vector<std::byte> encode(TypeId type, const std::vector<float>& values, std::uint64_t row_length) {
    auto q = dequant::quantize(static_cast<std::uint32_t>(type), values, row_length);
    REQUIRE(q.ok());
    return std::move(*q);
}

struct Expected {
    std::uint64_t nan = 0, pos_inf = 0, neg_inf = 0, zero = 0, subnormal = 0, finite = 0;
    double min = 0, max = 0, mean = 0, std = 0, rms = 0;
    std::vector<float> sorted;
    std::uint64_t zero_rows = 0, nonfinite_rows = 0;
    std::vector<RowRms> rows_by_rms;  // finite rows, ascending rms
    std::map<int, std::uint64_t> log_bins;
};

Expected two_pass(const std::vector<float>& v, std::uint64_t row_length, bool f16_subnormals) {
    Expected e;
    long double sum = 0;
    for (float x : v) {
        if (std::isnan(x)) ++e.nan;
        else if (std::isinf(x)) ++(x > 0 ? e.pos_inf : e.neg_inf);
        else {
            e.sorted.push_back(x);
            sum += x;
            if (x == 0) ++e.zero;
            else if (f16_subnormals ? std::fabs(x) < 0x1p-14f : std::fpclassify(x) == FP_SUBNORMAL) ++e.subnormal;
            if (x != 0) {
                int exponent = 0;
                std::frexp(x, &exponent);
                ++e.log_bins[std::fpclassify(x) == FP_SUBNORMAL ? -127 : exponent - 1];
            }
        }
    }
    e.finite = e.sorted.size();
    std::sort(e.sorted.begin(), e.sorted.end());
    const long double mean = sum / e.finite;
    long double dev = 0, sq = 0;
    for (float x : e.sorted) {
        dev += (x - mean) * (x - mean);
        sq += static_cast<long double>(x) * x;
    }
    e.min = e.sorted.front();
    e.max = e.sorted.back();
    e.mean = static_cast<double>(mean);
    e.std = static_cast<double>(std::sqrt(dev / e.finite));
    e.rms = static_cast<double>(std::sqrt(sq / e.finite));
    for (std::uint64_t r = 0; r < v.size() / row_length; ++r) {
        bool finite = true, zero = true;
        long double s = 0;
        for (std::uint64_t i = 0; i < row_length; ++i) {
            const float x = v[r * row_length + i];
            finite = finite && std::isfinite(x);
            zero = zero && x == 0;
            s += static_cast<long double>(x) * x;
        }
        if (!finite) {
            ++e.nonfinite_rows;
            continue;
        }
        if (zero) ++e.zero_rows;
        e.rows_by_rms.push_back({r, static_cast<double>(std::sqrt(s / row_length))});
    }
    std::stable_sort(e.rows_by_rms.begin(), e.rows_by_rms.end(), [](const RowRms& a, const RowRms& b) { return a.rms < b.rms; });
    return e;
}

// NumPy's linear percentile of sorted values, and the two order statistics it interpolates.
struct ExactPercentile {
    double value, lo, hi;
};
ExactPercentile exact_percentile(const std::vector<float>& sorted, double p) {
    const double h = p / 100.0 * static_cast<double>(sorted.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(h));
    const std::size_t above = std::min(below + 1, sorted.size() - 1);
    const double lo = sorted[below], hi = sorted[above];
    return {lo + (h - static_cast<double>(below)) * (hi - lo), lo, hi};
}

void check_matches(const dequant::TensorStats& s, const Expected& e) {
    CHECK(s.supported);
    CHECK(s.nan_count == e.nan);
    CHECK(s.pos_inf_count == e.pos_inf);
    CHECK(s.neg_inf_count == e.neg_inf);
    CHECK(s.zero_count == e.zero);
    CHECK(s.subnormal_count == e.subnormal);
    CHECK(s.finite_count == e.finite);
    CHECK(s.min == e.min);
    CHECK(s.max == e.max);
    CHECK(s.abs_max == std::max(std::fabs(e.min), std::fabs(e.max)));
    CHECK(s.mean == doctest::Approx(e.mean).epsilon(1e-12).scale(e.std));
    CHECK(s.std == doctest::Approx(e.std).epsilon(1e-9));
    CHECK(s.rms == doctest::Approx(e.rms).epsilon(1e-9));
    for (const auto& p : s.percentiles) {
        const ExactPercentile x = exact_percentile(e.sorted, p.p);
        CAPTURE(p.p);
        CHECK(std::fabs(p.value - x.value) <= 0x1p-7 * std::max(std::fabs(x.lo), std::fabs(x.hi)) + 0x1p-133);
    }
    std::uint64_t histogram_total = 0;
    for (auto c : s.histogram) histogram_total += c;
    CHECK(histogram_total == e.finite);
    std::map<int, std::uint64_t> log_bins;
    for (const auto& b : s.log_histogram) log_bins[b.exponent] = b.count;
    CHECK(log_bins == e.log_bins);
    CHECK(s.zero_rows == e.zero_rows);
    CHECK(s.nonfinite_rows == e.nonfinite_rows);
    // The k lowest / highest rms rows, as brute force ranks them (rms within rounding).
    REQUIRE(s.smallest_rms_rows.size() == std::min<std::size_t>(3, e.rows_by_rms.size()));
    for (std::size_t k = 0; k < s.smallest_rms_rows.size(); ++k) {
        CHECK(s.smallest_rms_rows[k].rms == doctest::Approx(e.rows_by_rms[k].rms).epsilon(1e-9));
        CHECK(s.largest_rms_rows[k].rms == doctest::Approx(e.rows_by_rms[e.rows_by_rms.size() - 1 - k].rms).epsilon(1e-9));
    }
}

}  // namespace

TEST_CASE("statistics of quantized and float tensors match a two-pass computation over the decoded values") {
    const std::uint64_t row_length = 512, n_rows = 40;
    std::vector<float> values = test::weight_like(n_rows, row_length, 21);
    std::fill_n(values.begin() + 7 * row_length, row_length, 0.0f);  // an all-zero row
    for (TypeId id : {TypeId::Q8_0, TypeId::Q4_K, TypeId::Q6_K, TypeId::Q5_0, TypeId::F16, TypeId::BF16, TypeId::F32}) {
        CAPTURE(find_type(id)->name);
        OneTensor t(static_cast<std::uint32_t>(id), {row_length, n_rows}, encode(id, values, row_length));
        auto s = dequant::compute_stats(t.view);
        REQUIRE(s.ok());
        auto decoded = dequant::to_float(t.view);
        REQUIRE(decoded.ok());
        check_matches(*s, two_pass(*decoded, row_length, id == TypeId::F16));
        CHECK(s->zero_rows >= 1);
        CHECK(s->count == values.size());
        CHECK(s->n_rows == n_rows);
        CHECK(s->row_length == row_length);
    }
}

TEST_CASE("NaN, infinities, subnormals and zeros are counted, and excluded from the moments") {
    const std::uint64_t row_length = 64, n_rows = 6;
    std::vector<float> v = test::weight_like(n_rows, row_length, 3);
    v[3] = kNaN;
    v[70] = kInf;
    v[71] = -kInf;
    v[72] = kInf;
    v[200] = std::ldexp(1.0f, -130);  // float32 subnormal
    v[201] = -std::ldexp(1.0f, -20);  // an F16 subnormal, a normal float32
    v[202] = 0.0f;
    v[203] = -0.0f;
    for (TypeId id : {TypeId::F32, TypeId::F16}) {
        CAPTURE(find_type(id)->name);
        OneTensor t(static_cast<std::uint32_t>(id), {row_length, n_rows}, encode(id, v, row_length));
        auto s = dequant::compute_stats(t.view);
        REQUIRE(s.ok());
        auto decoded = dequant::to_float(t.view);
        REQUIRE(decoded.ok());
        const Expected e = two_pass(*decoded, row_length, id == TypeId::F16);
        check_matches(*s, e);
        CHECK(s->nan_count == 1);
        CHECK(s->pos_inf_count == 2);
        CHECK(s->neg_inf_count == 1);
        CHECK(s->nonfinite_rows == 2);
        CHECK(std::isfinite(s->mean));
        // raw exponent histogram: Inf/NaN in the top bin, zero and subnormal in the first
        REQUIRE(s->raw_exponents.size() == (id == TypeId::F16 ? 32u : 256u));
        CHECK(s->raw_exponents.back() == 4);
        CHECK(s->raw_exponents.front() == s->zero_count + s->subnormal_count);
    }
}

TEST_CASE("the raw exponent histogram of an F16 tensor counts the stored exponent fields") {
    const std::vector<float> v = test::weight_like(8, 256, 4);
    const auto bytes = encode(TypeId::F16, v, 256);
    std::vector<std::uint64_t> expected(32, 0);
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::uint16_t h;
        std::memcpy(&h, bytes.data() + 2 * i, 2);
        ++expected[(h >> 10) & 0x1F];
    }
    OneTensor t(static_cast<std::uint32_t>(TypeId::F16), {256, 8}, bytes);
    auto s = dequant::compute_stats(t.view);
    REQUIRE(s.ok());
    CHECK(s->raw_exponents == expected);
}

TEST_CASE("a tensor far from zero with a tiny spread keeps its std (no cancellation)") {
    std::vector<float> v(4096 * 8);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 7.0f + 1e-4f * static_cast<float>(static_cast<int>(i % 17) - 8);
    OneTensor t(static_cast<std::uint32_t>(TypeId::F32), {4096, 8}, encode(TypeId::F32, v, 4096));
    dequant::StatsOptions options;
    options.chunk_bytes = 3000;  // rows split across work items, merged afterwards
    auto s = dequant::compute_stats(t.view, options);
    REQUIRE(s.ok());
    check_matches(*s, two_pass(v, 4096, false));
}

TEST_CASE("results do not depend on the thread count or on how rows are cut into work items") {
    const std::vector<float> v = test::weight_like(33, 1024, 8);
    OneTensor t(static_cast<std::uint32_t>(TypeId::Q4_K), {1024, 33}, encode(TypeId::Q4_K, v, 1024));
    dequant::StatsOptions one;
    one.threads = 1;
    auto a = dequant::compute_stats(t.view, one);
    REQUIRE(a.ok());
    for (std::uint64_t chunk : {1ull, 144ull, 500ull, 5000ull, 1ull << 20}) {
        for (int threads : {1, 2, 3}) {
            CAPTURE(chunk);
            CAPTURE(threads);
            dequant::StatsOptions o;
            o.threads = threads;
            o.chunk_bytes = chunk;
            auto b = dequant::compute_stats(t.view, o);
            REQUIRE(b.ok());
            CHECK(b->finite_count == a->finite_count);
            CHECK(b->zero_count == a->zero_count);
            CHECK(b->min == a->min);
            CHECK(b->max == a->max);
            CHECK(b->mean == doctest::Approx(a->mean).epsilon(1e-12).scale(a->std));
            CHECK(b->std == doctest::Approx(a->std).epsilon(1e-12));
            CHECK(b->histogram == a->histogram);
            for (std::size_t k = 0; k < a->percentiles.size(); ++k) CHECK(b->percentiles[k].value == a->percentiles[k].value);
            REQUIRE(b->largest_rms_rows.size() == a->largest_rms_rows.size());
            for (std::size_t k = 0; k < a->largest_rms_rows.size(); ++k) {
                CHECK(b->largest_rms_rows[k].row == a->largest_rms_rows[k].row);
                CHECK(b->smallest_rms_rows[k].row == a->smallest_rms_rows[k].row);
            }
            REQUIRE(b->scales.size() == 2);
            CHECK(b->scales[0].mean == doctest::Approx(a->scales[0].mean).epsilon(1e-12));
            CHECK(b->scales[1].count == a->scales[1].count);
        }
    }
}

TEST_CASE("the AVX2 accumulator gives what the scalar one gives, and hands NaN and Inf to it") {
    if (!dequant::detail::simd_enabled()) {
        MESSAGE("no AVX2 on this CPU: the scalar accumulator runs everywhere");
        return;
    }
    std::vector<float> v = test::weight_like(1, 4096, 12);
    v[1000] = kNaN;
    v[3000] = -kInf;
    std::vector<std::uint32_t> h1(dequant::detail::kHistogramCounts), h2(dequant::detail::kHistogramCounts);
    dequant::detail::RunSums a, b;
    a.shift = b.shift = v[0];
    dequant::detail::accumulate_scalar(v.data(), v.size(), a, h1.data());
    dequant::detail::accumulate(v.data(), v.size(), b, h2.data(), true);
    // The copies may split a bin's count differently; their sums must agree.
    const auto folded = [](const std::vector<std::uint32_t>& h) {
        std::vector<std::uint64_t> sum(dequant::detail::kFineBins);
        for (std::size_t i = 0; i < h.size(); ++i) sum[i % dequant::detail::kFineBins] += h[i];
        return sum;
    };
    CHECK(folded(h1) == folded(h2));
    CHECK(a.n_finite == b.n_finite);
    CHECK(a.zeros == b.zeros);
    CHECK(a.nan == b.nan);
    CHECK(a.neg_inf == b.neg_inf);
    CHECK(a.min == b.min);
    CHECK(a.max == b.max);
    CHECK(a.s1 == doctest::Approx(b.s1).epsilon(1e-12).scale(std::sqrt(a.s2)));
    CHECK(a.s2 == doctest::Approx(b.s2).epsilon(1e-12));
}

TEST_CASE("block scale statistics count non-finite and subnormal scales and summarise the finite ones") {
    // 6 Q8_0 blocks with chosen scales; quants 1 everywhere.
    const std::uint16_t scales[6] = {0x3C00, 0x4000, 0x0001, 0x7C00, 0x7E00, 0xBC00};  // 1, 2, 2^-24, inf, NaN, -1
    std::vector<std::byte> blocks(6 * 34);
    for (int b = 0; b < 6; ++b) {
        std::memcpy(blocks.data() + 34 * b, &scales[b], 2);
        for (int i = 0; i < 32; ++i) blocks[34 * b + 2 + i] = std::byte{1};
    }
    OneTensor t(static_cast<std::uint32_t>(TypeId::Q8_0), {64, 3}, blocks);
    auto s = dequant::compute_stats(t.view);
    REQUIRE(s.ok());
    REQUIRE(s->scales.size() == 1);
    const auto& d = s->scales[0];
    CHECK(d.name == "d");
    CHECK(d.count == 6);
    CHECK(d.nan_count == 1);
    CHECK(d.inf_count == 1);
    CHECK(d.subnormal_count == 1);
    CHECK(d.negative_count == 1);
    CHECK(d.min == -1.0);
    CHECK(d.max == 2.0);
    CHECK(d.mean == doctest::Approx((1.0 + 2.0 + std::ldexp(1.0, -24) - 1.0) / 4));
    // The 4 finite scales in 64 bins of width 3/64 over [-1, 2]: -1 in bin 0, 2^-24 in bin 21
    // (2^-24 + 1 over the width), 1 in bin 42 (2 over the width is 42.7), 2 in the last.
    REQUIRE(d.histogram.size() == 64);
    std::vector<std::uint64_t> expected(64, 0);
    expected[0] = expected[21] = expected[42] = expected[63] = 1;
    CHECK(d.histogram == expected);
    CHECK(s->nonfinite_scales == 2);
    CHECK(s->nan_count == 32);
    CHECK(s->pos_inf_count == 32);
    CHECK(s->nonfinite_rows == 2);  // blocks 3 and 4 are row 1's two blocks
}

TEST_CASE("NVFP4 reports its four UE4M3 sub-block scales a block, as UE4M3 values") {
    // 2 blocks; scale bytes chosen per class (UE4M3: exponent bias 7, subnormals below 2^-6):
    //   0x38 = 1, 0x01 = 2^-9 (subnormal), 0x7F = 0 (ggml reads E4M3's NaN as 0), 0xFF = 480 (bit 7 ignored),
    //   0x40 = 2, 0x08 = 2^-6 (the smallest normal), 0x80 = 0, 0x07 = 7 * 2^-9 (subnormal)
    const std::uint8_t scales[8] = {0x38, 0x01, 0x7F, 0xFF, 0x40, 0x08, 0x80, 0x07};
    std::vector<std::byte> blocks(2 * 36, std::byte{0x11});
    for (int b = 0; b < 2; ++b)
        for (int k = 0; k < 4; ++k) blocks[36 * b + k] = std::byte{scales[4 * b + k]};
    OneTensor t(static_cast<std::uint32_t>(TypeId::NVFP4), {64, 2}, blocks);
    auto s = dequant::compute_stats(t.view);
    REQUIRE(s.ok());
    REQUIRE(s->scales.size() == 1);
    const auto& d = s->scales[0];
    CHECK(d.name == "d");
    CHECK(d.count == 8);
    CHECK(d.zero_count == 2);
    CHECK(d.subnormal_count == 2);
    CHECK(d.nan_count == 0);
    CHECK(d.negative_count == 0);
    CHECK(d.min == 0.0);
    CHECK(d.max == 480.0);
    CHECK(d.mean == doctest::Approx((1.0 + std::ldexp(1.0, -9) + 480.0 + 2.0 + std::ldexp(1.0, -6) + 7 * std::ldexp(1.0, -9)) / 8));
    // every code is 1 (+0.5): the values are the scales halved, 16 of each
    CHECK(s->max == 240.0);
    CHECK(s->zero_count == 32);
}

TEST_CASE("K-quant scale statistics report the super-block d and dmin") {
    const std::vector<float> v = test::weight_like(4, 512, 2);
    const auto bytes = encode(TypeId::Q5_K, v, 512);
    OneTensor t(static_cast<std::uint32_t>(TypeId::Q5_K), {512, 4}, bytes);
    auto s = dequant::compute_stats(t.view);
    REQUIRE(s.ok());
    REQUIRE(s->scales.size() == 2);
    CHECK(s->scales[0].name == "d");
    CHECK(s->scales[1].name == "dmin");
    double dmax = -1, dminmax = -1;
    for (std::size_t b = 0; b < bytes.size() / 176; ++b) {
        std::uint16_t d, dmin;
        std::memcpy(&d, bytes.data() + 176 * b, 2);
        std::memcpy(&dmin, bytes.data() + 176 * b + 2, 2);
        dmax = std::max<double>(dmax, fp16_to_fp32(d));
        dminmax = std::max<double>(dminmax, fp16_to_fp32(dmin));
    }
    CHECK(s->scales[0].count == 8);
    CHECK(s->scales[0].max == dmax);
    CHECK(s->scales[1].max == dminmax);
    // Every super-block's scale is in the histogram; the largest (positive) d is in the last bin.
    for (const auto& field : s->scales) {
        REQUIRE(field.histogram.size() == 64);
        std::uint64_t total = 0;
        for (const auto c : field.histogram) total += c;
        CHECK(total == 8);
    }
    CHECK(dmax > 0);
    CHECK(s->scales[0].histogram.back() > 0);
}

TEST_CASE("IQ1_M's super-block scale, spread over four nibbles, is reported like any other d") {
    // Two blocks with scale words whose top nibbles spell 0x3C00 (1.0) and 0xC000 (-2.0); the low
    // 12 bits of each word (sub-block scales) are set too and must not leak into d.
    std::vector<std::byte> blocks(2 * 56, std::byte{0});
    const std::uint16_t halves[2] = {0x3C00, 0xC000};
    for (int b = 0; b < 2; ++b)
        for (int w = 0; w < 4; ++w) {
            const auto word = static_cast<std::uint16_t>(0x0FFFu | ((halves[b] >> (4 * w)) & 0xFu) << 12);
            std::memcpy(blocks.data() + 56 * b + 48 + 2 * w, &word, 2);
        }
    OneTensor t(static_cast<std::uint32_t>(TypeId::IQ1_M), {256, 2}, blocks);
    auto s = dequant::compute_stats(t.view);
    REQUIRE(s.ok());
    REQUIRE(s->scales.size() == 1);
    CHECK(s->scales[0].name == "d");
    CHECK(s->scales[0].count == 2);
    CHECK(s->scales[0].min == -2.0);
    CHECK(s->scales[0].max == 1.0);
    CHECK(s->scales[0].negative_count == 1);
}

TEST_CASE("the IQ and TQ types report their super-block d, read where their layouts keep it") {
    const std::vector<float> v = test::weight_like(2, 512, 8);
    for (const TypeId id : {TypeId::IQ2_XXS, TypeId::IQ2_XS, TypeId::IQ2_S, TypeId::IQ3_XXS, TypeId::IQ3_S,
                            TypeId::IQ1_S, TypeId::TQ1_0, TypeId::TQ2_0}) {
        CAPTURE(find_type(id)->name);
        const auto bytes = encode(id, v, 512);
        const std::size_t size = find_type(id)->type_size;
        const std::size_t d_at = id == TypeId::TQ1_0 ? 52 : id == TypeId::TQ2_0 ? 64 : 0;  // ggml-common.h
        double dmax = -1;
        for (std::size_t b = 0; b < bytes.size() / size; ++b) {
            std::uint16_t d;
            std::memcpy(&d, bytes.data() + size * b + d_at, 2);
            dmax = std::max<double>(dmax, fp16_to_fp32(d));
        }
        OneTensor t(static_cast<std::uint32_t>(id), {512, 2}, bytes);
        auto s = dequant::compute_stats(t.view);
        REQUIRE(s.ok());
        REQUIRE(s->scales.size() == 1);
        CHECK(s->scales[0].count == 4);
        CHECK(s->scales[0].max == dmax);
        CHECK(dmax > 0);
    }
}

TEST_CASE("big-endian and little-endian files give the same statistics") {
    const std::vector<float> v = test::weight_like(8, 256, 6);
    for (TypeId id : {TypeId::Q4_K, TypeId::F16, TypeId::Q8_0}) {
        const auto bytes = encode(id, v, 256);
        OneTensor le(static_cast<std::uint32_t>(id), {256, 8}, bytes, ByteOrder::little);
        OneTensor be(static_cast<std::uint32_t>(id), {256, 8}, bytes, ByteOrder::big);
        dequant::StatsOptions o;
        o.threads = 1;
        auto a = dequant::compute_stats(le.view, o), b = dequant::compute_stats(be.view, o);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(a->mean == b->mean);
        CHECK(a->std == b->std);
        CHECK(a->histogram == b->histogram);
        CHECK(a->raw_exponents == b->raw_exponents);
        REQUIRE(a->scales.size() == b->scales.size());
        for (std::size_t k = 0; k < a->scales.size(); ++k) CHECK(a->scales[k].mean == b->scales[k].mean);
    }
}

TEST_CASE("the linear histogram counts each value in its bin, up to values at a fine bin of an edge") {
    const std::vector<float> v = test::weight_like(16, 256, 13);
    OneTensor t(static_cast<std::uint32_t>(TypeId::F32), {256, 16}, encode(TypeId::F32, v, 256));
    dequant::StatsOptions o;
    o.linear_bins = 10;
    auto s = dequant::compute_stats(t.view, o);
    REQUIRE(s.ok());
    REQUIRE(s->histogram.size() == 10);
    const double width = (s->max - s->min) / 10;
    std::vector<std::int64_t> naive(10, 0);
    std::int64_t near_edge = 0;
    for (float x : v) {
        const double at = (x - s->min) / width;
        naive[std::min<std::size_t>(9, static_cast<std::size_t>(at))]++;
        const double to_edge = std::fabs(at - std::round(at)) * width;
        if (to_edge <= 0x1p-7 * std::fabs(x) && std::round(at) > 0 && std::round(at) < 10) ++near_edge;
    }
    std::int64_t moved = 0;
    for (int k = 0; k < 10; ++k) moved += std::abs(naive[k] - static_cast<std::int64_t>(s->histogram[k]));
    CHECK(moved <= 2 * near_edge);
}

TEST_CASE("an unsupported type gets no statistics, and progress reaches the tensor's size") {
    OneTensor t(static_cast<std::uint32_t>(TypeId::Q8_K), {256, 2}, std::vector<std::byte>(2 * 292));
    std::vector<std::uint64_t> calls;
    dequant::StatsOptions o;
    o.progress = [&](std::uint64_t done) { calls.push_back(done); };
    auto s = dequant::compute_stats(t.view, o);
    REQUIRE(s.ok());
    CHECK_FALSE(s->supported);
    CHECK(s->finite_count == 0);
    CHECK(s->histogram.empty());
    CHECK(s->scales.empty());
    CHECK(s->count == 512);
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.back() == 2 * 292);

    const std::vector<float> v = test::weight_like(64, 256, 1);
    OneTensor q(static_cast<std::uint32_t>(TypeId::Q8_0), {256, 64}, encode(TypeId::Q8_0, v, 256));
    calls.clear();
    o.chunk_bytes = 1000;
    o.threads = 2;
    REQUIRE(dequant::compute_stats(q.view, o).ok());
    REQUIRE(calls.size() >= 2);
    CHECK(std::adjacent_find(calls.begin(), calls.end(), std::greater_equal<>()) == calls.end());  // increasing
    CHECK(calls.back() == q.view.bytes.size());
}

TEST_CASE("an empty tensor and a tensor without finite values give NaN moments, not a crash") {
    std::vector<float> v(64, kNaN);
    OneTensor t(static_cast<std::uint32_t>(TypeId::F32), {64}, encode(TypeId::F32, v, 64));
    auto s = dequant::compute_stats(t.view);
    REQUIRE(s.ok());
    CHECK(s->nan_count == 64);
    CHECK(std::isnan(s->mean));
    CHECK(std::isnan(s->min));
    CHECK(std::isnan(s->percentiles[2].value));
    CHECK(s->histogram.empty());
    CHECK(s->nonfinite_rows == 1);
    CHECK(s->smallest_rms_rows.empty());
}
