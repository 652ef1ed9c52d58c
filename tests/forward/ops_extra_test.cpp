// The newer architectures' ops on cases small enough to compute by hand (the expected numbers are
// worked out in the comments), plus the one identity that ties multi-section RoPE to plain NeoX RoPE.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "gguf/forward/ops_extra.hpp"

using namespace gguf::forward::ops;

TEST_CASE("l2_norm divides each row by its Euclidean length") {
    const std::vector<float> x{3, 4, 0, -2};
    std::vector<float> out(4);
    l2_norm(x, 2, 0.0f, out);
    CHECK(out[0] == doctest::Approx(0.6f));
    CHECK(out[1] == doctest::Approx(0.8f));
    CHECK(out[2] == doctest::Approx(0.0f));
    CHECK(out[3] == doctest::Approx(-1.0f));
    // eps is added to the sum of squares (25 + 11 = 36), not to the mean.
    l2_norm(std::vector<float>{3, 4}, 2, 11.0f, std::span<float>(out).first(2));
    CHECK(out[0] == doctest::Approx(0.5f));
    CHECK(out[1] == doctest::Approx(4.0f / 6.0f));
}

TEST_CASE("causal_conv1d convolves each channel over its carried inputs and carries the last ones on") {
    // Channel 0 taps (oldest first) 1, 2, 3; channel 1 taps 0, 0, 1 (passes the newest input through).
    const std::vector<float> taps{1, 2, 3, 0, 0, 1};
    std::vector<float> state(4, 0.0f);  // [2 channels][d_conv - 1 = 2]
    const std::vector<float> x{1, 10, 2, 20, 3, 30};  // [3 tokens][2 channels]
    std::vector<float> out(6);
    causal_conv1d(x, taps, 3, state, out);
    // Channel 0 over 0, 0, 1, 2, 3: 0+0+3 = 3; 0+2+6 = 8; 1+4+9 = 14.
    CHECK(out[0] == 3.0f);
    CHECK(out[2] == 8.0f);
    CHECK(out[4] == 14.0f);
    CHECK(out[1] == 10.0f);
    CHECK(out[3] == 20.0f);
    CHECK(out[5] == 30.0f);
    CHECK(state == std::vector<float>{2, 3, 20, 30});
    // The next call continues the sequence: 2*1 + 3*2 + 4*3 = 20.
    std::vector<float> next(2);
    causal_conv1d(std::vector<float>{4, 40}, taps, 3, state, next);
    CHECK(next[0] == 20.0f);
    CHECK(next[1] == 40.0f);
    CHECK(state == std::vector<float>{3, 4, 30, 40});
}

TEST_CASE("gated_delta_net applies the decay, the delta rule and the scaled read-out token by token") {
    const DeltaNetShape shape{1, 1, 2};
    // Token 0: q = k = e0, v = (2, 3), g = 0, beta = 1: S = e0 (2, 3); out = (2, 3) / sqrt(2).
    // Token 1: q = k = e1, v = (1, 1), g = ln 0.5, beta = 0.5: S halves to rows (1, 1.5), (0, 0);
    //   S^T k = 0, so d = (0.5, 0.5) and row 1 of S becomes (0.5, 0.5); out = (0.5, 0.5) / sqrt(2).
    const std::vector<float> q{1, 0, 0, 1}, k{1, 0, 0, 1}, v{2, 3, 1, 1};
    const std::vector<float> g{0.0f, std::log(0.5f)}, beta{1.0f, 0.5f};
    std::vector<float> state(4, 0.0f), out(4);
    gated_delta_net(q, k, v, g, beta, shape, state, out);
    const float r = 1.0f / std::sqrt(2.0f);
    CHECK(out[0] == doctest::Approx(2 * r));
    CHECK(out[1] == doctest::Approx(3 * r));
    CHECK(out[2] == doctest::Approx(0.5f * r));
    CHECK(out[3] == doctest::Approx(0.5f * r));
    // ggml's layout: state[j][i] = S[i][j], with S = [[1, 1.5], [0.5, 0.5]].
    CHECK(state[0] == doctest::Approx(1.0f));
    CHECK(state[1] == doctest::Approx(0.5f));
    CHECK(state[2] == doctest::Approx(1.5f));
    CHECK(state[3] == doctest::Approx(0.5f));
}

TEST_CASE("gated_delta_net: v head h reads q/k head h mod n_k_heads, not h / group") {
    // Two q/k heads (e0 and e1), four v heads all with v = (1, 2); beta 1, no decay, empty state.
    // A v head paired with k = e0 writes (1, 2) into row 0 of S and reads q = e0 back: (1, 2)/sqrt 2.
    // Paired with e1 the same. Distinguish the heads by q: head 0 has q = e0, head 1 q = e1 while
    // its k is e1, so every head reads back its own write; then give head 1 a zero q to see the pairing.
    const DeltaNetShape shape{2, 4, 2};
    const std::vector<float> q{1, 0, 0, 0}, k{1, 0, 0, 1};
    const std::vector<float> v{1, 2, 1, 2, 1, 2, 1, 2}, g(4, 0.0f), beta(4, 1.0f);
    std::vector<float> state(16, 0.0f), out(8);
    gated_delta_net(q, k, v, g, beta, shape, state, out);
    const float r = 1.0f / std::sqrt(2.0f);
    // v heads 0 and 2 use q/k head 0 (q = e0): they read (1, 2)/sqrt 2. v heads 1 and 3 use q/k head 1
    // (q = 0): they read 0. Grouping (h / 2) would give heads 0 and 1 the first pair instead.
    CHECK(out[0] == doctest::Approx(1 * r));
    CHECK(out[1] == doctest::Approx(2 * r));
    CHECK(out[2] == 0.0f);
    CHECK(out[3] == 0.0f);
    CHECK(out[4] == doctest::Approx(1 * r));
    CHECK(out[5] == doctest::Approx(2 * r));
    CHECK(out[6] == 0.0f);
    CHECK(out[7] == 0.0f);
}

TEST_CASE("delta_net_gates: g = softplus(alpha + dt_bias) * ssm_a, beta = sigmoid") {
    std::vector<float> alpha{0.0f, 30.0f}, b{0.0f, 2.0f};
    const std::vector<float> dt_bias{0.0f, -5.0f}, ssm_a{-2.0f, -0.5f};
    delta_net_gates(alpha, b, dt_bias, ssm_a);
    CHECK(alpha[0] == doctest::Approx(-2.0 * std::numbers::ln2));  // softplus(0) = ln 2
    CHECK(alpha[1] == doctest::Approx(-12.5f));                     // softplus(25) is 25 (above 20)
    CHECK(b[0] == doctest::Approx(0.5f));
    CHECK(b[1] == doctest::Approx(0.8807971f));
}

TEST_CASE("gated_rms_norm multiplies the normalised head by silu of the gate") {
    // x = (3, 4): mean square 12.5, so x / sqrt(12.5) = (0.8485281, 1.1313708); weight (1, 2).
    const std::vector<float> x{3, 4}, w{1, 2};
    std::vector<float> out(2);
    gated_rms_norm(x, w, std::vector<float>{0.0f, 1.0f}, 2, 0.0f, out);
    CHECK(out[0] == 0.0f);                                      // silu(0) = 0
    CHECK(out[1] == doctest::Approx(2 * 1.1313708f * 0.7310586f));  // silu(1) = 1 * sigmoid(1)
}

TEST_CASE("sigmoid_gate scales by the gate's sigmoid") {
    std::vector<float> out(2);
    sigmoid_gate(std::vector<float>{2, 2}, std::vector<float>{0, 2}, out);
    CHECK(out[0] == doctest::Approx(1.0f));
    CHECK(out[1] == doctest::Approx(2 * 0.8807971f));
}

TEST_CASE("GELU: the tanh formula, and ggml's CPU table rounding through half precision") {
    // 0.5 (1 + tanh(0.7978846 * 1.044715)) = 0.5 (1 + tanh(0.8335565)) = 0.8411920.
    CHECK(gelu_tanh(1.0f) == doctest::Approx(0.8411920f).epsilon(1e-6));
    CHECK(gelu_tanh(0.0f) == 0.0f);
    CHECK(gelu(1.0f, GeluEvaluation::formula) == gelu_tanh(1.0f));
    // F16 spacing near 0.84 is 2^-11: 0.8411920 rounds to 1723 * 2^-11 = 0.84130859375.
    CHECK(gelu(1.0f, GeluEvaluation::ggml_cpu_table) == 0.84130859375f);
    // 1.0001 rounds to the F16 input 1.0, so the table gives the same value.
    CHECK(gelu(1.0001f, GeluEvaluation::ggml_cpu_table) == 0.84130859375f);
    CHECK(gelu(-10.5f, GeluEvaluation::ggml_cpu_table) == 0.0f);
    CHECK(gelu(12.0f, GeluEvaluation::ggml_cpu_table) == 12.0f);
    std::vector<float> out(2);
    geglu(std::vector<float>{1.0f, 0.0f}, std::vector<float>{2.0f, 5.0f}, out, GeluEvaluation::formula);
    CHECK(out[0] == doctest::Approx(2 * 0.8411920f));
    CHECK(out[1] == 0.0f);
}

TEST_CASE("swiglu_clamped clamps the gate above and the linear half on both sides") {
    std::vector<float> out(3);
    swiglu_clamped(std::vector<float>{8.0f, 0.0f, 1.0f}, std::vector<float>{10.0f, 3.0f, -9.0f}, 1.702f, 7.0f, out);
    // gate 8 -> 7: 7 / (1 + e^-11.914) = 6.9999532; up 10 -> 7, + 1 = 8: 55.999626.
    CHECK(out[0] == doctest::Approx(55.999626f).epsilon(1e-6));
    CHECK(out[1] == 0.0f);
    // gate 1: 1 / (1 + e^-1.702) = 1 / 1.1823190 = 0.8457950; up -9 -> -7, + 1 = -6: -5.074770.
    CHECK(out[2] == doctest::Approx(-5.074770f).epsilon(1e-5));
}

TEST_CASE("softcap bounds values by the cap with tanh") {
    std::vector<float> x{30.0f, 0.0f, 1000.0f, -1000.0f};
    softcap(x, 30.0f);
    CHECK(x[0] == doctest::Approx(22.847835f));  // 30 tanh(1)
    CHECK(x[1] == 0.0f);
    CHECK(x[2] == doctest::Approx(30.0f));
    CHECK(x[3] == doctest::Approx(-30.0f));
}

TEST_CASE("route_experts: softmax, top-k, then normalisation and scale as llama.cpp orders them") {
    // softmax(1, 2, 3, 0) = (0.0871443, 0.2368828, 0.6439143, 0.0320586); the top two are experts 2, 1.
    const std::vector<float> logits{1, 2, 3, 0};
    RouterParams p{2, RouterGating::softmax, false, 0.0f};
    Routing r = route_experts(logits, 4, p);
    CHECK(r.experts == std::vector<std::int32_t>{2, 1});
    CHECK(r.weights[0] == doctest::Approx(0.6439143f));
    CHECK(r.weights[1] == doctest::Approx(0.2368828f));
    // Normalised, two weights e^1 : e^0 become sigmoid(1) and sigmoid(-1).
    p.normalize = true;
    r = route_experts(logits, 4, p);
    CHECK(r.weights[0] == doctest::Approx(0.7310586f));
    CHECK(r.weights[1] == doctest::Approx(0.2689414f));
    p.scale = 2.5f;
    r = route_experts(logits, 4, p);
    CHECK(r.weights[0] == doctest::Approx(2.5f * 0.7310586f));
    // gpt-oss: top-k of the logits (3, 2), softmax over the two.
    RouterParams w{2, RouterGating::softmax_weight, false, 0.0f};
    r = route_experts(logits, 4, w);
    CHECK(r.experts == std::vector<std::int32_t>{2, 1});
    CHECK(r.weights[0] == doctest::Approx(0.7310586f));
    // Ties go to the lower index; a second token is routed on its own row.
    RouterParams one{1, RouterGating::softmax, false, 0.0f};
    r = route_experts(std::vector<float>{1, 1, 0, 5, 0, 0}, 3, one);
    CHECK(r.experts == std::vector<std::int32_t>{0, 0});
    RouterParams sig{1, RouterGating::sigmoid, false, 0.0f};
    r = route_experts(std::vector<float>{0, 2, 1}, 3, sig);
    CHECK(r.experts == std::vector<std::int32_t>{1});
    CHECK(r.weights[0] == doctest::Approx(0.8807971f));
}

TEST_CASE("shared_expert_gate is silu(x) / x: the sigmoid, and NaN at 0 as in llama.cpp") {
    std::vector<float> x{2.0f, -1.0f, 0.0f};
    shared_expert_gate(x);
    CHECK(x[0] == doctest::Approx(0.8807971f));
    CHECK(x[1] == doctest::Approx(0.2689414f));
    CHECK(std::isnan(x[2]));
}

TEST_CASE("shared_expert_sigmoid is the plain sigmoid, 1/2 at 0 (qwen35moe)") {
    std::vector<float> x{2.0f, -1.0f, 0.0f};
    shared_expert_sigmoid(x);
    CHECK(x[0] == doctest::Approx(0.8807971f));
    CHECK(x[1] == doctest::Approx(0.2689414f));
    CHECK(x[2] == 0.5f);
}

TEST_CASE("sliding_window_masks hides keys window or more positions back") {
    CHECK_FALSE(sliding_window_masks(10, 7, 4));
    CHECK(sliding_window_masks(10, 6, 4));
    CHECK_FALSE(sliding_window_masks(10, 10, 1));
    CHECK_FALSE(sliding_window_masks(1000, 0, 0));
}

TEST_CASE("causal_attention_ext: sliding window, sinks and soft-capping") {
    const AttentionShape one{1, 1, 1, 1};
    // Equal scores over values 1, 2, 3: the last query averages what it sees.
    const std::vector<float> q{1, 1, 1}, k{0, 0, 0}, v{1, 2, 3};
    std::vector<float> out(3);
    causal_attention_ext(q, k, v, 3, 0, one, 1.0f, {}, out);
    CHECK(out[0] == doctest::Approx(1.0f));
    CHECK(out[1] == doctest::Approx(1.5f));
    CHECK(out[2] == doctest::Approx(2.0f));
    AttentionExtras window;
    window.sliding_window = 2;  // query 2 sees keys 1 and 2
    causal_attention_ext(q, k, v, 3, 0, one, 1.0f, window, out);
    CHECK(out[2] == doctest::Approx(2.5f));
    CHECK(out[1] == doctest::Approx(1.5f));
    // A sink of logit 0 takes a share like a fourth key with no value: (1 + 2 + 3) / 4.
    const std::vector<float> sink{0.0f};
    AttentionExtras sinks;
    sinks.sinks = sink;
    causal_attention_ext(q, k, v, 3, 0, one, 1.0f, sinks, out);
    CHECK(out[2] == doctest::Approx(1.5f));
    CHECK(out[0] == doctest::Approx(0.5f));
    // Soft-capping with cap 1 before the scale 2: scores 100 and 0 become 2 tanh(100) = 2 and 0, so the
    // first key gets sigmoid(2) of the weight.
    AttentionExtras capped;
    capped.softcap = 1.0f;
    std::vector<float> out2(2);
    causal_attention_ext(std::vector<float>{1, 1}, std::vector<float>{100, 0}, std::vector<float>{1, 0}, 2, 0, one,
                         2.0f, capped, out2);
    CHECK(out2[1] == doctest::Approx(0.8807971f));
}

TEST_CASE("rope_multi_angles picks each pair's section, interleaved or contiguous") {
    RopeParams p;
    p.n_rot = 8;           // four pairs
    p.freq_base = 1.0f;    // every pair turns by its position: the angle names the section
    const std::array<std::uint32_t, 4> sections{2, 1, 1, 0};
    const SectionPositions pos{1, 2, 3, 7};
    std::vector<float> c(4), s(4);
    // Interleaved: sectors 0..3 -> t (0 < 6), h (1 < 3), w (2 < 3), t (3 % 3 == 0, 3 < 6).
    rope_multi_angles(p, sections, true, pos, c, s);
    const float expected_i[] = {1, 2, 3, 1};
    for (int i = 0; i < 4; ++i) CHECK(s[i] == doctest::Approx(std::sin(expected_i[i])));
    // Contiguous: t, t, h, w.
    rope_multi_angles(p, sections, false, pos, c, s);
    const float expected_c[] = {1, 1, 2, 3};
    for (int i = 0; i < 4; ++i) CHECK(s[i] == doctest::Approx(std::sin(expected_c[i])));
    // Sectors wrap: with sections {1, 0, 0, 1} (sum 2), pairs 0 and 2 take t, pairs 1 and 3 the fourth.
    rope_multi_angles(p, {1, 0, 0, 1}, false, pos, c, s);
    CHECK(s[0] == doctest::Approx(std::sin(1.0f)));
    CHECK(s[1] == doctest::Approx(std::sin(7.0f)));
    CHECK(s[2] == doctest::Approx(std::sin(1.0f)));
    CHECK(s[3] == doctest::Approx(std::sin(7.0f)));
}

TEST_CASE("rope_multi on text positions equals NeoX RoPE when the sections cover the rotated pairs") {
    // Qwen3.5's layout: 64 of 256 dimensions rotated, sections (11, 11, 10, 0) over its 32 pairs.
    RopeParams p;
    p.n_rot = 64;
    p.neox = true;
    p.freq_base = 10000000.0f;
    const std::size_t heads = 2, head_dim = 256, tokens = 3;
    std::vector<float> a(tokens * heads * head_dim);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::sin(0.37f * static_cast<float>(i));
    std::vector<float> b = a;
    const std::vector<std::int64_t> positions{0, 5, 1000};
    std::vector<SectionPositions> multi;
    for (auto x : positions) multi.push_back(text_positions(x));
    rope(a, heads, head_dim, positions, p);
    rope_multi(b, heads, head_dim, multi, p, {11, 11, 10, 0}, true);
    CHECK(a == b);
}

TEST_CASE("yarn_attn_factor and longrope factor choice follow llama.cpp's context") {
    // Without yarn_log_multiplier the two mscale terms cancel: what is left is the file's attn_factor.
    CHECK(yarn_attn_factor(4.0f, 0.0f, 1.0f) == doctest::Approx(1.0f));
    CHECK(yarn_attn_factor(4.0f, 0.0f, 0.5f) == doctest::Approx(0.5f));
    // With it (= 1): m(4, 1) / m(4, 1) = 1, divided by 1 + 0.1 ln 4 = 1.1386294.
    CHECK(yarn_attn_factor(4.0f, 1.0f, 1.0f) == doctest::Approx(1.0f / 1.1386294f));
    CHECK(longrope_uses_long_factors(8192, 4096));
    CHECK_FALSE(longrope_uses_long_factors(4096, 4096));
    // The context is padded to 256 first: 64 stands for 256, 257 for 512.
    CHECK_FALSE(longrope_uses_long_factors(64, 256));
    CHECK(longrope_uses_long_factors(257, 256));
    CHECK(longrope_uses_long_factors(64, 128));
    CHECK_FALSE(longrope_uses_long_factors(4000, 4096));
}
