// Each kernel against its CPU twin in gguf/forward/ops.hpp (the ops the reference pass is made of).
// Ops that round each operation as the CPU does are compared bit for bit; those that sum in another
// order (products, attention) or call exp (whose last bit may differ) within float rounding.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "../../cuda/blas.hpp"
#include "../../cuda/device_buffer.hpp"
#include "../../cuda/kernels/kernels.hpp"
#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/forward/ops_extra.hpp"
#include "gguf/forward/ops_moe.hpp"
#include "gguf/forward/ops_temperature.hpp"
#include "gguf/quantize.hpp"
#include "gguf/types.hpp"
#include "gpu.hpp"

using namespace gguf;
namespace ops = gguf::forward::ops;

namespace {

std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

cuda::DeviceBuffer<float> on_device(std::span<const float> host) {
    cuda::DeviceBuffer<float> d(host.size());
    d.upload(host);
    return d;
}

std::vector<float> to_host(const cuda::DeviceBuffer<float>& d) {
    std::vector<float> h(d.size());
    REQUIRE(cudaMemcpy(h.data(), d.data(), d.bytes(), cudaMemcpyDeviceToHost) == cudaSuccess);
    return h;
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

// max |a - b| / max |b|
double relative_difference(std::span<const float> a, std::span<const float> b) {
    double diff = 0, ref = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
        ref = std::max(ref, std::abs(static_cast<double>(b[i])));
    }
    return ref > 0 ? diff / ref : diff;
}

}  // namespace

TEST_CASE("rmsnorm equals ops::rms_norm") {
    test::require_gpu();
    for (const float eps : {1e-5f, 1e-6f}) {
        const std::size_t rows = 37, width = 896;
        const auto x = random_floats(rows * width, 1, 3.0f);
        const auto w = random_floats(width, 2);
        std::vector<float> expected(x.size());
        ops::rms_norm(x, w, width, eps, expected);
        auto dx = on_device(x), dw = on_device(w);
        cuda::DeviceBuffer<float> out(x.size());
        cuda::rmsnorm_forward(out.data(), dx.data(), dw.data(), rows, width, eps, nullptr);
        const auto got = to_host(out);
        // The double sum of squares is added in another order; its rounding to float almost never differs.
        CHECK(relative_difference(got, expected) < 1e-6);
        cuda::rmsnorm_forward(dx.data(), dx.data(), dw.data(), rows, width, eps, nullptr);  // in place
        CHECK(same_bits(to_host(dx), got));
    }
}

TEST_CASE("rope equals ops::rope bit for bit, both styles, with scaling") {
    test::require_gpu();
    const std::size_t n_tokens = 9, n_heads = 4, head_dim = 64;
    const std::vector<std::int64_t> positions{0, 1, 2, 3, 17, 100, 511, 4095, 70000};
    for (const bool neox : {false, true}) {
        for (const int scaling : {0, 1, 2}) {  // none, linear, YaRN with frequency factors
            CAPTURE(neox);
            CAPTURE(scaling);
            ops::RopeParams p;
            p.n_rot = scaling == 2 ? 32 : 64;  // a partial rotation leaves the rest of the head alone
            p.neox = neox;
            p.freq_base = 1000000.0f;
            if (scaling == 1) p.freq_scale = 0.25f;
            if (scaling == 2) {
                p.freq_scale = 0.125f;
                p.ext_factor = 1.0f;
                p.attn_factor = 1.2f;
                p.n_ctx_orig = 4096;
                for (std::uint32_t i = 0; i < p.n_rot / 2; ++i) p.freq_factors.push_back(1.0f + 0.25f * static_cast<float>(i));
            }
            const auto x = random_floats(n_tokens * n_heads * head_dim, 3);
            std::vector<float> expected = x;
            ops::rope(expected, n_heads, head_dim, positions, p);

            std::vector<float> cos(n_tokens * p.n_rot / 2), sin(cos.size());
            for (std::size_t t = 0; t < n_tokens; ++t)
                ops::rope_angles(p, positions[t], std::span(cos).subspan(t * p.n_rot / 2, p.n_rot / 2),
                                 std::span(sin).subspan(t * p.n_rot / 2, p.n_rot / 2));
            auto dx = on_device(x), dcos = on_device(cos), dsin = on_device(sin);
            cuda::rope_forward(dx.data(), n_tokens, n_heads, head_dim, p.n_rot, neox, dcos.data(), dsin.data(), nullptr);
            CHECK(same_bits(to_host(dx), expected));
        }
    }
}

TEST_CASE("swiglu, residual add and bias add equal their CPU twins") {
    test::require_gpu();
    const std::size_t rows = 5, width = 1000;
    const auto gate = random_floats(rows * width, 4, 4.0f), up = random_floats(rows * width, 5);
    std::vector<float> expected(gate.size());
    ops::swiglu(gate, up, expected);
    auto dg = on_device(gate), du = on_device(up);
    cuda::swiglu_forward(dg.data(), dg.data(), du.data(), gate.size(), nullptr);
    CHECK(relative_difference(to_host(dg), expected) < 1e-6);  // exp may differ in its last bit

    std::vector<float> sum(gate.size());
    ops::add(gate, up, sum);
    auto da = on_device(gate);
    cuda::add_forward(da.data(), da.data(), du.data(), gate.size(), nullptr);
    CHECK(same_bits(to_host(da), sum));

    const auto bias = random_floats(width, 6);
    std::vector<float> biased = gate;
    ops::add_bias(biased, bias);
    auto dx = on_device(gate), db = on_device(bias);
    cuda::add_bias_forward(dx.data(), db.data(), rows, width, nullptr);
    CHECK(same_bits(to_host(dx), biased));
}

TEST_CASE("geglu, scale and softcap equal their CPU twins") {
    test::require_gpu();
    // Gates across the table's range and beyond its bounds at -10 and 10.
    const std::size_t n = 20000;
    auto gate = random_floats(n, 21, 6.0f), up = random_floats(n, 22);
    gate[0] = -10.0f, gate[1] = 10.0f, gate[2] = -12.5f, gate[3] = 11.0f, gate[4] = 9.9990234f, gate[5] = 0.0f;
    std::vector<float> expected(n);
    ops::geglu(gate, up, expected, ops::GeluEvaluation::ggml_cpu_table);
    std::vector<float> table(cuda::kGeluTableSize);
    for (std::size_t h = 0; h < table.size(); ++h)
        table[h] = fp16_to_fp32(fp32_to_fp16(ops::gelu_tanh(fp16_to_fp32(static_cast<std::uint16_t>(h)))));
    auto dg = on_device(gate), du = on_device(up), dt = on_device(table);
    cuda::geglu_forward(dg.data(), dg.data(), du.data(), dt.data(), n, nullptr);
    CHECK(same_bits(to_host(dg), expected));

    std::vector<float> scaled = gate;
    for (float& x : scaled) x *= 0.0883883476f;
    auto ds = on_device(gate);
    cuda::scale_forward(ds.data(), 0.0883883476f, n, nullptr);
    CHECK(same_bits(to_host(ds), scaled));

    std::vector<float> capped = gate;
    ops::softcap(capped, 30.0f);
    auto dc = on_device(gate);
    cuda::softcap_forward(dc.data(), 30.0f, n, nullptr);
    CHECK(relative_difference(to_host(dc), capped) < 1e-6);  // tanh may differ in its last bit
}

TEST_CASE("the mixture-of-experts kernels equal their CPU twins: gather, combine in rank order, shared-expert gate") {
    test::require_gpu();
    // 7 tokens routed to 3 of 8 experts by the CPU's router; the grouped outputs y are random.
    const std::size_t n_tokens = 7, n_expert = 8, k = 3, width = 300;
    const auto logits = random_floats(n_tokens * n_expert, 31);
    const ops::Routing routing = ops::route_experts(logits, n_expert, {.n_expert_used = k, .normalize = true});
    const ops::ExpertGroups groups = ops::group_by_expert(routing, k, n_expert);
    std::vector<float> slot(n_tokens * 2 * k);
    ops::write_routing(routing, k, slot);

    const auto x = random_floats(n_tokens * width, 32);
    cuda::DeviceBuffer<std::int32_t> tokens(groups.token.size()), positions(groups.position.size());
    tokens.upload(groups.token);
    positions.upload(groups.position);
    auto dx = on_device(x);
    cuda::DeviceBuffer<float> gathered(groups.token.size() * width);
    cuda::gather_rows_forward(gathered.data(), dx.data(), tokens.data(), groups.token.size(), width, nullptr);
    std::vector<float> expected_rows;
    for (const std::int32_t t : groups.token) expected_rows.insert(expected_rows.end(), x.begin() + t * width, x.begin() + (t + 1) * width);
    CHECK(same_bits(to_host(gathered), expected_rows));

    const auto y = random_floats(n_tokens * k * width, 33);
    std::vector<float> expected(n_tokens * width);
    ops::combine_experts(y, groups.position, routing.weights, k, width, expected);
    auto dy = on_device(y), dslot = on_device(slot);
    cuda::DeviceBuffer<float> out(n_tokens * width);
    cuda::combine_experts_forward(out.data(), dy.data(), positions.data(), dslot.data() + k, 2 * k, n_tokens, k, width, nullptr);
    CHECK(same_bits(to_host(out), expected));

    auto gate = random_floats(n_tokens, 34, 3.0f);
    std::vector<float> gated = x;
    std::vector<float> g = gate;
    ops::shared_expert_gate(g);
    for (std::size_t t = 0; t < n_tokens; ++t)
        for (std::size_t i = 0; i < width; ++i) gated[t * width + i] *= g[t];
    auto dgate = on_device(gate);
    cuda::shared_expert_gate_forward(dx.data(), dgate.data(), n_tokens, width, false, nullptr);
    CHECK(relative_difference(to_host(dx), gated) < 1e-6);  // exp may differ in its last bit

    // qwen35moe's plain sigmoid
    std::vector<float> sig = gate;
    ops::shared_expert_sigmoid(sig);
    std::vector<float> sig_gated = to_host(dx);
    for (std::size_t t = 0; t < n_tokens; ++t)
        for (std::size_t i = 0; i < width; ++i) sig_gated[t * width + i] *= sig[t];
    cuda::shared_expert_gate_forward(dx.data(), dgate.data(), n_tokens, width, true, nullptr);
    CHECK(relative_difference(to_host(dx), sig_gated) < 1e-6);
}

TEST_CASE("sliding-window attention equals ops::causal_attention_ext, through the cache and in row pieces") {
    test::require_gpu();
    struct Case {
        std::size_t n_head, n_head_kv, head_dim, n_tokens, first, window;
    };
    for (const Case c : {Case{4, 1, 128, 12, 0, 4}, Case{8, 2, 32, 1, 30, 7}, Case{4, 2, 64, 20, 9, 1}, Case{4, 4, 64, 6, 3, 100}}) {
        CAPTURE(c.n_tokens);
        CAPTURE(c.first);
        CAPTURE(c.window);
        const std::size_t n_kv = c.first + c.n_tokens;
        const auto q = random_floats(c.n_tokens * c.n_head * c.head_dim, 23, 2.0f);
        const auto k = random_floats(n_kv * c.n_head_kv * c.head_dim, 24, 2.0f);
        const auto v = random_floats(n_kv * c.n_head_kv * c.head_dim, 25);
        std::vector<float> expected(c.n_tokens * c.n_head * c.head_dim);
        ops::causal_attention_ext(q, k, v, n_kv, c.first, {c.n_head, c.n_head_kv, c.head_dim, c.head_dim}, 1.0f,
                                  {.sliding_window = c.window}, expected);
        auto dq = on_device(q), dk = on_device(k), dv = on_device(v);
        cuda::Blas blas(nullptr, cuda::Precision::fp32);
        const cuda::AttentionDims dims{c.n_head, c.n_head_kv, c.head_dim, c.head_dim};
        for (const std::size_t rows : {c.n_tokens, std::size_t{1}, std::size_t{5}}) {
            CAPTURE(rows);
            cuda::DeviceBuffer<float> work(cuda::attention_workspace_floats(dims, rows, n_kv));
            cuda::DeviceBuffer<float> out(expected.size());
            cuda::attention_forward(blas, dq.data(), dk.data(), dv.data(), c.n_tokens, n_kv, c.first, dims, 1.0f,
                                    out.data(), work.data(), rows, nullptr, c.window);
            CHECK(relative_difference(to_host(out), expected) < 1e-5);
        }
    }
}

TEST_CASE("attention with sinks (and a window) equals ops::causal_attention_ext, in row pieces") {
    test::require_gpu();
    const std::size_t n_head = 4, n_head_kv = 2, head_dim = 64, n_tokens = 9, first = 5, n_kv = first + n_tokens;
    const auto q = random_floats(n_tokens * n_head * head_dim, 41, 2.0f);
    const auto k = random_floats(n_kv * n_head_kv * head_dim, 42, 2.0f);
    const auto v = random_floats(n_kv * n_head_kv * head_dim, 43);
    const std::vector<float> sinks{3.0f, -2.0f, 0.5f, 40.0f};  // the last one outweighs every score
    auto dq = on_device(q), dk = on_device(k), dv = on_device(v), dsinks = on_device(sinks);
    cuda::Blas blas(nullptr, cuda::Precision::fp32);
    const cuda::AttentionDims dims{n_head, n_head_kv, head_dim, head_dim};
    for (const std::size_t window : {std::size_t{0}, std::size_t{4}}) {
        CAPTURE(window);
        std::vector<float> expected(n_tokens * n_head * head_dim);
        ops::causal_attention_ext(q, k, v, n_kv, first, {n_head, n_head_kv, head_dim, head_dim}, 0.125f,
                                  {.sliding_window = window, .sinks = sinks}, expected);
        for (const std::size_t rows : {n_tokens, std::size_t{2}}) {
            CAPTURE(rows);
            cuda::DeviceBuffer<float> work(cuda::attention_workspace_floats(dims, rows, n_kv));
            cuda::DeviceBuffer<float> out(expected.size());
            cuda::attention_forward(blas, dq.data(), dk.data(), dv.data(), n_tokens, n_kv, first, dims, 0.125f, out.data(),
                                    work.data(), rows, nullptr, window, 0.0f, dsinks.data());
            CHECK(relative_difference(to_host(out), expected) < 1e-5);
        }
    }
}

TEST_CASE("the clamped SwiGLU equals ops::swiglu_clamped") {
    test::require_gpu();
    const std::size_t n = 3000;
    const auto gate = random_floats(n, 51, 12.0f), up = random_floats(n, 52, 12.0f);  // beyond the limit 7
    std::vector<float> expected(n);
    ops::swiglu_clamped(gate, up, 1.702f, 7.0f, expected);
    auto dgate = on_device(gate), dup = on_device(up);
    cuda::swiglu_clamped_forward(dgate.data(), dgate.data(), dup.data(), n, 1.702f, 7.0f, nullptr);
    CHECK(relative_difference(to_host(dgate), expected) < 1e-6);
}

TEST_CASE("causal GQA attention equals ops::causal_attention, through the cache and in row pieces") {
    test::require_gpu();
    struct Case {
        std::size_t n_head, n_head_kv, head_dim, n_tokens, first;
    };
    for (const Case c : {Case{8, 2, 32, 12, 0}, Case{4, 4, 64, 1, 30}, Case{14, 2, 64, 40, 9}, Case{4, 1, 128, 3, 200}}) {
        CAPTURE(c.n_head);
        CAPTURE(c.n_tokens);
        CAPTURE(c.first);
        const std::size_t n_kv = c.first + c.n_tokens;
        const auto q = random_floats(c.n_tokens * c.n_head * c.head_dim, 7, 2.0f);
        const auto k = random_floats(n_kv * c.n_head_kv * c.head_dim, 8, 2.0f);
        const auto v = random_floats(n_kv * c.n_head_kv * c.head_dim, 9);
        const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
        std::vector<float> expected(c.n_tokens * c.n_head * c.head_dim);
        ops::causal_attention(q, k, v, n_kv, c.first, {c.n_head, c.n_head_kv, c.head_dim, c.head_dim}, scale, expected, 1);

        auto dq = on_device(q), dk = on_device(k), dv = on_device(v);
        cuda::Blas blas(nullptr, cuda::Precision::fp32);
        const cuda::AttentionDims dims{c.n_head, c.n_head_kv, c.head_dim, c.head_dim};
        for (const std::size_t rows : {c.n_tokens, std::size_t{1}, std::size_t{5}}) {
            CAPTURE(rows);
            cuda::DeviceBuffer<float> work(cuda::attention_workspace_floats(dims, rows, n_kv));
            cuda::DeviceBuffer<float> out(expected.size());
            cuda::attention_forward(blas, dq.data(), dk.data(), dv.data(), c.n_tokens, n_kv, c.first, dims, scale,
                                    out.data(), work.data(), rows, nullptr);
            CHECK(relative_difference(to_host(out), expected) < 1e-5);
        }
    }
}

TEST_CASE("the fused product reads every type like the CPU decoder, for 1 to 8 tokens") {
    test::require_gpu();
    const std::uint64_t n_out = 77;
    for (const TypeInfo& ti : all_types()) {
        const auto type = static_cast<std::uint32_t>(ti.id);
        if (!dequant::is_supported(type)) continue;
        CAPTURE(type_label(type));
        const std::uint64_t n_in = ti.block_size == 1 ? 264 : 512;
        REQUIRE(cuda::matvec_supported(type, n_in));
        // Realistic weights (quantized from normal floats), so the products are not dominated by NaN.
        const auto floats = random_floats(n_in * n_out, 10, 0.05f);
        std::vector<std::byte> bytes;
        if (dequant::can_quantize(type)) {
            auto q = dequant::quantize(type, floats, n_in);
            REQUIRE(q.ok());
            bytes = std::move(*q);
        } else {  // F64 and the integers: small whole numbers
            bytes.resize(*byte_size(type, n_in * n_out));
            std::mt19937 rng(11);
            for (std::uint64_t i = 0; i < n_in * n_out; ++i) {
                const double value = static_cast<double>(static_cast<int>(rng() % 7) - 3);
                switch (ti.id) {
                    case TypeId::F64: std::memcpy(bytes.data() + 8 * i, &value, 8); break;
                    case TypeId::I8: bytes[i] = static_cast<std::byte>(static_cast<std::int8_t>(value)); break;
                    case TypeId::I16: { const auto x = static_cast<std::int16_t>(value); std::memcpy(bytes.data() + 2 * i, &x, 2); break; }
                    case TypeId::I32: { const auto x = static_cast<std::int32_t>(value); std::memcpy(bytes.data() + 4 * i, &x, 4); break; }
                    case TypeId::I64: { const auto x = static_cast<std::int64_t>(value); std::memcpy(bytes.data() + 8 * i, &x, 8); break; }
                    default: FAIL("unexpected plain type");
                }
            }
        }
        std::vector<float> w(n_in * n_out);
        dequant::decode_blocks(type, bytes, ByteOrder::little, w);
        cuda::DeviceBuffer<std::byte> dw(bytes.size());
        dw.upload(bytes);
        for (int tokens = 1; tokens <= cuda::kMatvecMaxTokens; ++tokens) {
            CAPTURE(tokens);
            const auto x = random_floats(tokens * n_in, 12 + tokens);
            std::vector<float> expected(tokens * n_out);
            ops::matmul(x, w, n_in, n_out, expected);
            auto dx = on_device(x);
            cuda::DeviceBuffer<float> y(expected.size());
            cuda::matvec(type, dw.data(), n_in, n_out, dx.data(), tokens, y.data(), nullptr);
            CHECK(relative_difference(to_host(y), expected) < 1e-5);
        }
    }
}

TEST_CASE("the cuBLAS wrapper multiplies like ops::matmul, into a column range of a wider output") {
    test::require_gpu();
    const std::size_t T = 19, n_in = 300, n_out = 70, ld = 100, first = 13;
    const auto x = random_floats(T * n_in, 20), w = random_floats(n_out * n_in, 21);
    std::vector<float> expected(T * n_out);
    ops::matmul(x, w, n_in, n_out, expected);
    auto dx = on_device(x), dw = on_device(w);
    cuda::DeviceBuffer<float> out(T * ld);
    cudaMemset(out.data(), 0, out.bytes());
    cuda::Blas blas(nullptr, cuda::Precision::fp32);
    blas.linear(dx.data(), T, n_in, dw.data(), n_out, out.data() + first, ld);
    const auto got = to_host(out);
    std::vector<float> block;
    for (std::size_t t = 0; t < T; ++t) block.insert(block.end(), got.begin() + t * ld + first, got.begin() + t * ld + first + n_out);
    CHECK(relative_difference(block, expected) < 1e-5);
    CHECK(got[0] == 0.0f);  // columns outside the range are untouched
}

TEST_CASE("qwen35's delta-net kernels equal their CPU twins, through the carried state") {
    test::require_gpu();
    // 2 q/k heads, 4 v heads of 32 (v head h reads q/k head h mod 2), a conv of 4 taps; two calls so the
    // second starts from the state the first left.
    const ops::DeltaNetShape shape{2, 4, 32};
    const std::size_t d = shape.head_dim, key = shape.n_k_heads * d, value = shape.n_v_heads * d;
    const std::size_t channels = 2 * key + value, d_conv = 4, heads = shape.n_v_heads;
    const auto taps = random_floats(channels * d_conv, 21, 0.3f);
    const auto dt_bias = random_floats(heads, 22, 0.5f);
    std::vector<float> ssm_a = random_floats(heads, 23);
    for (float& a : ssm_a) a = -std::exp(a);  // decay rates are negative
    std::vector<float> conv_state(channels * (d_conv - 1)), delta_state(heads * d * d);
    auto dtaps = on_device(taps), ddt = on_device(dt_bias), da = on_device(ssm_a);
    auto dconv_state = on_device(conv_state), ddelta_state = on_device(delta_state);
    for (const std::size_t T : {7u, 3u}) {
        CAPTURE(T);
        const auto x = random_floats(T * channels, 24 + static_cast<std::uint32_t>(T));
        const auto alpha = random_floats(T * heads, 30 + static_cast<std::uint32_t>(T));
        const auto beta = random_floats(T * heads, 40 + static_cast<std::uint32_t>(T));
        // CPU: the conv and SiLU, then the executor's steps of forward::DeltaNet.
        std::vector<float> conv(x.size());
        ops::causal_conv1d(x, taps, d_conv, conv_state, conv);
        for (float& c : conv) c = c / (1.0f + std::exp(-c));
        std::vector<float> q(T * key), k(T * key), v(T * value);
        for (std::size_t t = 0; t < T; ++t) {
            std::copy_n(conv.begin() + t * channels, key, q.begin() + t * key);
            std::copy_n(conv.begin() + t * channels + key, key, k.begin() + t * key);
            std::copy_n(conv.begin() + t * channels + 2 * key, value, v.begin() + t * value);
        }
        ops::l2_norm(q, d, 1e-6f, q);
        ops::l2_norm(k, d, 1e-6f, k);
        std::vector<float> g = alpha, strength = beta, expected(T * value);
        ops::delta_net_gates(g, strength, dt_bias, ssm_a);
        ops::gated_delta_net(q, k, v, g, strength, shape, delta_state, expected);

        auto dx = on_device(x), dalpha = on_device(alpha), dbeta = on_device(beta);
        cuda::DeviceBuffer<float> dconv(x.size()), dout(T * value);
        cuda::causal_conv_silu_forward(dconv.data(), dx.data(), dtaps.data(), dconv_state.data(), T, channels, d_conv, nullptr);
        CHECK(relative_difference(to_host(dconv), conv) < 1e-6);  // expf's last bit
        CHECK(same_bits(to_host(dconv_state), conv_state));       // the window is a copy of inputs
        cuda::delta_net_forward(dout.data(), dconv.data(), dalpha.data(), dbeta.data(), ddt.data(), da.data(),
                                ddelta_state.data(), T, shape.n_k_heads, shape.n_v_heads, d, 1e-6f, nullptr);
        CHECK(relative_difference(to_host(dout), expected) < 1e-5);  // dot products summed in another order
        CHECK(relative_difference(to_host(ddelta_state), delta_state) < 1e-5);
    }
}

TEST_CASE("qwen35's gates: split heads, sigmoid gate and the gated RMSNorm equal their CPU twins") {
    test::require_gpu();
    const std::size_t T = 5, heads = 3, d = 16, n = T * heads * d;
    const auto fused = random_floats(2 * n, 51);
    std::vector<float> first(n), second(n);
    for (std::size_t th = 0; th < T * heads; ++th) {
        std::copy_n(fused.begin() + 2 * th * d, d, first.begin() + th * d);
        std::copy_n(fused.begin() + 2 * th * d + d, d, second.begin() + th * d);
    }
    auto dfused = on_device(fused);
    cuda::DeviceBuffer<float> dfirst(n), dsecond(n);
    cuda::split_heads_forward(dfirst.data(), dsecond.data(), dfused.data(), T, heads, d, nullptr);
    CHECK(same_bits(to_host(dfirst), first));
    CHECK(same_bits(to_host(dsecond), second));

    std::vector<float> gated(n);
    ops::sigmoid_gate(first, second, gated);
    cuda::sigmoid_gate_forward(dfirst.data(), dfirst.data(), dsecond.data(), n, nullptr);  // in place
    CHECK(relative_difference(to_host(dfirst), gated) < 1e-6);

    const auto w = random_floats(d, 52);
    std::vector<float> normed(n);
    ops::gated_rms_norm(first, w, second, d, 1e-6f, normed);
    auto dx = on_device(first), dw = on_device(w), dgate = on_device(second);
    cuda::DeviceBuffer<float> dnormed(n);
    cuda::rmsnorm_forward(dnormed.data(), dx.data(), dw.data(), T * heads, d, 1e-6f, nullptr);
    cuda::silu_gate_forward(dnormed.data(), dgate.data(), n, nullptr);
    CHECK(relative_difference(to_host(dnormed), normed) < 1e-6);
}

TEST_CASE("soft-capped attention (gemma2) equals ops::causal_attention_ext, capped before the scale") {
    test::require_gpu();
    const std::size_t n_head = 4, n_head_kv = 2, head_dim = 64, n_tokens = 9, first = 5, n_kv = first + n_tokens;
    const auto q = random_floats(n_tokens * n_head * head_dim, 31, 2.0f);
    const auto k = random_floats(n_kv * n_head_kv * head_dim, 32, 2.0f);
    const auto v = random_floats(n_kv * n_head_kv * head_dim, 33);
    for (const float scale : {1.0f, 0.125f}) {
        for (const std::size_t window : {std::size_t{0}, std::size_t{4}}) {
            CAPTURE(scale);
            CAPTURE(window);
            std::vector<float> expected(n_tokens * n_head * head_dim);
            ops::causal_attention_ext(q, k, v, n_kv, first, {n_head, n_head_kv, head_dim, head_dim}, scale,
                                      {.sliding_window = window, .softcap = 5.0f}, expected);
            auto dq = on_device(q), dk = on_device(k), dv = on_device(v);
            cuda::Blas blas(nullptr, cuda::Precision::fp32);
            const cuda::AttentionDims dims{n_head, n_head_kv, head_dim, head_dim};
            cuda::DeviceBuffer<float> work(cuda::attention_workspace_floats(dims, n_tokens, n_kv));
            cuda::DeviceBuffer<float> out(expected.size());
            cuda::attention_forward(blas, dq.data(), dk.data(), dv.data(), n_tokens, n_kv, first, dims, scale, out.data(),
                                    work.data(), n_tokens, nullptr, window, 5.0f);
            CHECK(relative_difference(to_host(out), expected) < 1e-5);
        }
    }
}

TEST_CASE("the query temperature (mistral3) equals ops::scale_by_temperature") {
    test::require_gpu();
    const std::size_t width = 96, n_tokens = 40, first = 3;
    const auto x = random_floats(n_tokens * width, 34);
    std::vector<std::int64_t> positions(n_tokens);
    for (std::size_t t = 0; t < n_tokens; ++t) positions[t] = static_cast<std::int64_t>(first + t);
    std::vector<float> expected = x;
    ops::scale_by_temperature(expected, width, positions, 0.1f, 8);
    auto dx = on_device(x);
    cuda::temperature_forward(dx.data(), n_tokens, width, first, 0.1f, 8, nullptr);
    CHECK(relative_difference(to_host(dx), expected) < 1e-7);
}

TEST_CASE("gemma4's slice of the per-layer inputs copies each token's columns exactly") {
    test::require_gpu();
    const std::size_t T = 7, in_width = 5 * 12, offset = 2 * 12, width = 12;
    const auto in = random_floats(T * in_width, 61);
    std::vector<float> expected(T * width);
    for (std::size_t t = 0; t < T; ++t)  // written out by hand: the CPU's Slice is a copy of these columns
        for (std::size_t j = 0; j < width; ++j) expected[t * width + j] = in[t * in_width + offset + j];
    auto din = on_device(in);
    cuda::DeviceBuffer<float> dout(T * width);
    cuda::slice_forward(dout.data(), din.data(), T, in_width, offset, width, nullptr);
    CHECK(same_bits(to_host(dout), expected));
}
