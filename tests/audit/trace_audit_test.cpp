// audit --trace: the reference's own trace agrees with itself; a trace from a pass with one op
// perturbed (through the model's weights, or by replacing one activation with the mistaken
// computation) is reported at that op, with the hypothesis that reproduces it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "fixture.hpp"
#include "gguf/audit/trace_audit.hpp"
#include "gguf/forward/cpu.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/forward/trace_io.hpp"

using namespace gguf;

namespace {

const std::vector<std::int32_t> kTokens = {1, 17, 42, 99, 250, 7};

std::unique_ptr<forward::Forward> cpu(const Container& model) {
    auto pass = forward::make_cpu_forward(model, {.threads = 2});
    REQUIRE_MESSAGE(pass.ok(), (pass.ok() ? std::string() : pass.error().describe()));
    return std::move(*pass);
}

forward::Trace run_trace(const Container& model) {
    forward::Trace trace({.first_values = 8, .keep_values = true});
    REQUIRE(cpu(model)->evaluate(kTokens, &trace).ok());
    return trace;
}

// A copy of `trace` in which `edit` may replace the values of records (layer, op) -> values.
using Edit = std::function<std::optional<std::vector<float>>(const forward::TraceRecord&, const forward::Trace&)>;
forward::Trace edited(const forward::Trace& trace, const Edit& edit) {
    forward::Trace out({.first_values = 8, .keep_values = true});
    for (const auto& r : trace.records()) {
        const auto replaced = edit(r, trace);
        out.record(r.layer, r.op, r.shape, replaced ? *replaced : r.values);
    }
    return out;
}

// Writes the trace (with every activation as .npy when `full`), reads it back, audits it.
audit::TraceAudit audit_written(const test::TempDir& dir, const Container& model, const forward::Trace& theirs, bool full,
                                audit::TraceAuditOptions options = {},
                                std::function<bool(const forward::TraceRecord&)> keep = {}) {
    forward::Trace kept({.first_values = 8, .keep_values = true});
    for (const auto& r : theirs.records())
        if (!keep || keep(r)) kept.record(r.layer, r.op, r.shape, r.values);
    const auto json = dir / "theirs.json";
    std::filesystem::create_directories(dir / "acts");
    REQUIRE(forward::write_trace(json, {"model", "my-engine", kTokens, 0}, kept, full ? dir / "acts" : std::filesystem::path()).ok());
    auto file = forward::read_trace(json);
    REQUIRE(file.ok());
    auto pass = cpu(model);
    auto result = audit::audit_trace(model, *pass, *file, options);
    REQUIRE_MESSAGE(result.ok(), (result.ok() ? std::string() : result.error().describe()));
    return std::move(*result);
}

std::string first_name(const audit::TraceAudit& a) {
    if (!a.first_divergence) return "";
    const auto& r = a.records[*a.first_divergence];
    return r.layer >= 0 ? "blk." + std::to_string(r.layer) + "." + r.op : r.op;
}

bool explained_by(const audit::TraceAudit& a, std::string_view kind) {
    for (const auto& e : a.explanations)
        if (e.kind == kind) return true;
    return false;
}

std::string describe(const audit::TraceAudit& a) {
    std::string s = first_name(a) + " | " + a.localisation + " |";
    for (const auto& e : a.explanations) s += " [" + e.kind + "] " + e.message;
    return s;
}

std::vector<float> values_of(const forward::Trace& t, std::int32_t layer, const std::string& op) {
    const auto* r = t.find(layer, op);
    REQUIRE(r != nullptr);
    return r->values;
}

}  // namespace

TEST_CASE("the reference's own trace agrees with it, with and without full values") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-qwen2", test::type_id(TypeId::Q8_0)));
    const auto trace = run_trace(model);
    for (const bool full : {false, true}) {
        const auto a = audit_written(dir, model, trace, full);
        INFO(describe(a));
        CHECK(a.passed());
        CHECK(a.records.size() == trace.records().size());
        CHECK(a.not_in_theirs.empty());
        for (const auto& r : a.records) CHECK(r.deviation <= 1e-6);
    }
}

TEST_CASE("a pass whose attn_output weight is 1.5x is reported at blk.1.attn_out, with the factor") {
    const test::TempDir dir;
    Writer healthy = test::build_model("tiny-llama", test::type_id(TypeId::F32));
    const Container model = test::open_model(test::write_model(dir, healthy, "healthy.gguf"));
    Writer broken(healthy.byte_order(), healthy.alignment());
    for (const auto& [k, v] : healthy.metadata()) broken.set(k, v);
    for (WriterTensor t : healthy.tensors()) {
        if (t.name == "blk.1.attn_output.weight") {
            auto* f = reinterpret_cast<float*>(t.data.data());
            for (std::size_t i = 0; i < t.data.size() / 4; ++i) f[i] *= 1.5f;
        }
        REQUIRE(broken.add_tensor(std::move(t)).ok());
    }
    const Container broken_model = test::open_model(test::write_model(dir, broken, "broken.gguf"));
    const auto theirs = run_trace(broken_model);
    for (const bool full : {false, true}) {
        const auto a = audit_written(dir, model, theirs, full);
        INFO(describe(a));
        CHECK_FALSE(a.passed());
        CHECK(first_name(a) == "blk.1.attn_out");
        CHECK(a.localisation.find("blk.1.attn agrees, blk.1.attn_out does not") != std::string::npos);
        CHECK(a.localisation.find("blk.1.attn_output.weight") != std::string::npos);
        REQUIRE(explained_by(a, "scaled"));
        for (const auto& e : a.explanations)
            if (e.kind == "scaled") CHECK(std::stod(e.evidence.front().value) == doctest::Approx(1.5).epsilon(1e-3));
    }
}

TEST_CASE("residual add missing: attn_residual replaced by attn_out is named, from summaries alone") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F16)));
    const auto ours = run_trace(model);
    const auto theirs = edited(ours, [](const forward::TraceRecord& r, const forward::Trace& t) -> std::optional<std::vector<float>> {
        if (r.layer == 0 && r.op == "attn_residual") return values_of(t, 0, "attn_out");
        return std::nullopt;
    });
    const auto a = audit_written(dir, model, theirs, false);
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.attn_residual");
    CHECK(a.localisation.find("embedding and blk.0.attn_out agree, blk.0.attn_residual does not: the residual add") !=
          std::string::npos);
    CHECK(explained_by(a, "residual_missing"));
    CHECK_FALSE(explained_by(a, "attention_dropped"));
    const auto& d = a.records[*a.first_divergence];
    CHECK(d.ours.rms != d.theirs.rms);  // both sets of numbers are reported
}

TEST_CASE("ffn_act as silu(up) * gate, and ffn_norm without its weight, are named") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    const auto ours = run_trace(model);
    {
        const auto theirs = edited(ours, [](const forward::TraceRecord& r, const forward::Trace& t) -> std::optional<std::vector<float>> {
            if (r.layer != 1 || r.op != "ffn_act") return std::nullopt;
            const auto gate = values_of(t, 1, "gate"), up = values_of(t, 1, "up");
            std::vector<float> out(gate.size());
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = up[i] / (1.0f + std::exp(-up[i])) * gate[i];
            return out;
        });
        const auto a = audit_written(dir, model, theirs, true);
        INFO(describe(a));
        CHECK(first_name(a) == "blk.1.ffn_act");
        CHECK(explained_by(a, "activation"));
    }
    {
        const auto theirs = edited(ours, [](const forward::TraceRecord& r, const forward::Trace& t) -> std::optional<std::vector<float>> {
            if (r.layer != 0 || r.op != "ffn_norm") return std::nullopt;
            const auto x = values_of(t, 0, "attn_residual");
            std::vector<float> out(x.size());
            for (std::size_t row = 0; row < x.size() / 256; ++row) {
                double ss = 0;
                for (std::size_t i = 0; i < 256; ++i) ss += double(x[row * 256 + i]) * x[row * 256 + i];
                const double scale = 1.0 / std::sqrt(ss / 256 + 1e-5);
                for (std::size_t i = 0; i < 256; ++i) out[row * 256 + i] = static_cast<float>(x[row * 256 + i] * scale);
            }
            return out;
        });
        const auto a = audit_written(dir, model, theirs, false);
        INFO(describe(a));
        CHECK(first_name(a) == "blk.0.ffn_norm");
        CHECK(explained_by(a, "norm_without_weight"));
    }
}

TEST_CASE("RoPE with the other pairing, and attention without the 1/sqrt(head_dim) scale, are named") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    const auto ours = run_trace(model);
    {
        // NeoX pairing on a llama model: rotate (i, i + 16) instead of (2i, 2i + 1), base 10000, head_dim 32.
        const auto theirs = edited(ours, [](const forward::TraceRecord& r, const forward::Trace& t) -> std::optional<std::vector<float>> {
            if (r.layer != 0 || r.op != "q") return std::nullopt;
            auto x = values_of(t, 0, "q_proj");
            const std::size_t width = 256, d = 32;
            for (std::size_t pos = 0; pos < x.size() / width; ++pos)
                for (std::size_t head = 0; head < width / d; ++head)
                    for (std::size_t i = 0; i < d / 2; ++i) {
                        const double theta = static_cast<double>(pos) * std::pow(10000.0, -2.0 * static_cast<double>(i) / d);
                        float& a = x[pos * width + head * d + i];
                        float& b = x[pos * width + head * d + i + d / 2];
                        const float a0 = a, b0 = b;
                        a = static_cast<float>(a0 * std::cos(theta) - b0 * std::sin(theta));
                        b = static_cast<float>(a0 * std::sin(theta) + b0 * std::cos(theta));
                    }
            return x;
        });
        const auto a = audit_written(dir, model, theirs, true);
        INFO(describe(a));
        CHECK(first_name(a) == "blk.0.q");
        CHECK(a.localisation.find("blk.0.q_proj agrees, blk.0.q does not: RoPE") != std::string::npos);
        CHECK(explained_by(a, "rope_pairing"));
    }
    {
        const auto theirs = edited(ours, [](const forward::TraceRecord& r, const forward::Trace& t) -> std::optional<std::vector<float>> {
            if (r.layer != 1 || r.op != "attn") return std::nullopt;
            const auto q = values_of(t, 1, "q"), k = values_of(t, 1, "k"), v = values_of(t, 1, "v");
            std::vector<float> out(q.size());
            forward::ops::causal_attention(q, k, v, kTokens.size(), 0, {8, 2, 32, 32}, 1.0f, out);
            return out;
        });
        // Random sample weights give nearly uniform attention, so the scale changes the output by only
        // ~0.4%: compare full values under a tolerance the reference meets against itself.
        audit::TraceAuditOptions strict;
        strict.tolerance = 1e-3;
        const auto a = audit_written(dir, model, theirs, true, strict);
        INFO(describe(a));
        CHECK(first_name(a) == "blk.1.attn");
        CHECK(explained_by(a, "attention_scale"));
    }
}

TEST_CASE("an embedding scaled by sqrt(n_embd) is reported at the embedding with the factor") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    const auto theirs = edited(run_trace(model), [](const forward::TraceRecord& r, const forward::Trace&) -> std::optional<std::vector<float>> {
        if (r.op != "embedding") return std::nullopt;
        auto v = r.values;
        for (float& x : v) x *= 16.0f;
        return v;
    });
    const auto a = audit_written(dir, model, theirs, false);
    INFO(describe(a));
    CHECK(first_name(a) == "embedding");
    CHECK(explained_by(a, "scaled"));
}

TEST_CASE("q_proj in Hugging Face column order: named with --qk-order gguf, accepted with --qk-order hf") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    // An HF-style engine: per head, GGUF dimension 2i + j is its dimension j * d/2 + i.
    const auto theirs = edited(run_trace(model), [](const forward::TraceRecord& r, const forward::Trace&) -> std::optional<std::vector<float>> {
        if (r.op != "q_proj" && r.op != "k_proj" && r.op != "q" && r.op != "k") return std::nullopt;
        std::vector<float> v(r.values.size());
        const std::size_t d = 32;
        for (std::size_t g = 0; g < v.size(); ++g) {
            const std::size_t head = g / d * d, w = g % d;
            v[head + (w % 2) * (d / 2) + w / 2] = r.values[g];
        }
        return v;
    });
    const auto a = audit_written(dir, model, theirs, true);
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.q_proj");
    CHECK(explained_by(a, "qk_row_order"));
    audit::TraceAuditOptions hf;
    hf.qk_order = audit::QkOrder::hf;
    const auto b = audit_written(dir, model, theirs, true, hf);
    INFO(describe(b));
    CHECK(b.passed());
}

TEST_CASE("a trace with only the layer outputs localises to the layer and asks for the missing inputs") {
    const test::TempDir dir;
    Writer healthy = test::build_model("tiny-llama", test::type_id(TypeId::F32));
    const Container model = test::open_model(test::write_model(dir, healthy, "healthy.gguf"));
    Writer broken(healthy.byte_order(), healthy.alignment());
    for (const auto& [k, v] : healthy.metadata()) broken.set(k, v);
    for (WriterTensor t : healthy.tensors()) {
        if (t.name == "blk.1.ffn_up.weight") std::fill(t.data.begin(), t.data.end(), std::byte{0});
        REQUIRE(broken.add_tensor(std::move(t)).ok());
    }
    const Container broken_model = test::open_model(test::write_model(dir, broken, "broken.gguf"));
    const auto a = audit_written(dir, model, run_trace(broken_model), false, {},
                                 [](const forward::TraceRecord& r) { return r.op == "ffn_residual" || r.layer < 0; });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.1.ffn_residual");
    CHECK(a.localisation.find("blk.1.attn_residual and blk.1.down are not in your trace") != std::string::npos);
    CHECK(a.not_in_theirs.size() == 2 * 14);  // the other 14 ops of each layer
}

TEST_CASE("a trace without tokens, or from a later position, is refused") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    forward::TraceFile file;
    auto pass = cpu(model);
    CHECK_FALSE(audit::audit_trace(model, *pass, file).ok());
    file.header.tokens = kTokens;
    file.header.first_position = 3;
    CHECK_FALSE(audit::audit_trace(model, *pass, file).ok());
}

// The other hypotheses at a divergence, each on a trace whose one activation the test recomputes the
// mistaken way itself (plain loops, not the library's ops), with every value written (.npy).
namespace {

// tiny-llama: n_embd 256, 8 heads / 2 KV heads of 32, RMS eps 1e-5, RoPE base 10000 on adjacent pairs.
constexpr std::size_t kEmbd = 256, kHeads = 8, kKvHeads = 2, kHeadDim = 32;

std::vector<float> layer_input(const forward::Trace& t, std::int32_t layer) {
    return layer == 0 ? values_of(t, -1, "embedding") : values_of(t, layer - 1, "ffn_residual");
}

std::vector<float> add(const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<float> out(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) out[i] = a[i] + b[i];
    return out;
}

// x / sqrt(mean(x^2) + eps) * w, row by row.
std::vector<float> rms_norm(const std::vector<float>& x, const std::vector<float>& w) {
    std::vector<float> out(x.size());
    const std::size_t width = w.size();
    for (std::size_t row = 0; row < x.size() / width; ++row) {
        double ss = 0;
        for (std::size_t i = 0; i < width; ++i) ss += double(x[row * width + i]) * x[row * width + i];
        const double scale = 1.0 / std::sqrt(ss / double(width) + 1e-5);
        for (std::size_t i = 0; i < width; ++i) out[row * width + i] = static_cast<float>(x[row * width + i] * scale * w[i]);
    }
    return out;
}

// x W^T with W [n_out][n_in]; `transposed`: x W, W read as [n_in][n_out].
std::vector<float> project(const std::vector<float>& x, const std::vector<float>& w, std::size_t n_in, bool transposed = false) {
    const std::size_t n_out = w.size() / n_in, rows = x.size() / n_in;
    std::vector<float> out(rows * n_out);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t o = 0; o < n_out; ++o) {
            double sum = 0;
            for (std::size_t i = 0; i < n_in; ++i) sum += double(x[r * n_in + i]) * (transposed ? w[i * n_out + o] : w[o * n_in + i]);
            out[r * n_out + o] = static_cast<float>(sum);
        }
    return out;
}

// RoPE on adjacent pairs (2i, 2i+1) of each head; position p of row p is `first_position` + p.
std::vector<float> rope(std::vector<float> x, std::size_t width, int first_position, double base) {
    for (std::size_t row = 0; row < x.size() / width; ++row)
        for (std::size_t head = 0; head < width / kHeadDim; ++head)
            for (std::size_t i = 0; i < kHeadDim / 2; ++i) {
                const double theta = double(first_position + int(row)) * std::pow(base, -2.0 * double(i) / kHeadDim);
                float& a = x[row * width + head * kHeadDim + 2 * i];
                float& b = x[row * width + head * kHeadDim + 2 * i + 1];
                const double a0 = a, b0 = b;
                a = static_cast<float>(a0 * std::cos(theta) - b0 * std::sin(theta));
                b = static_cast<float>(a0 * std::sin(theta) + b0 * std::cos(theta));
            }
    return x;
}

// softmax(q k^T / sqrt(d) + mask) v per head; `interleaved`: query head h reads KV head h % n_kv.
std::vector<float> attention(const forward::Trace& t, std::int32_t layer, bool causal, bool interleaved) {
    const auto q = values_of(t, layer, "q"), k = values_of(t, layer, "k"), v = values_of(t, layer, "v");
    const std::size_t n = q.size() / (kHeads * kHeadDim);
    std::vector<float> out(q.size(), 0.0f);
    for (std::size_t pos = 0; pos < n; ++pos)
        for (std::size_t h = 0; h < kHeads; ++h) {
            const std::size_t kv = interleaved ? h % kKvHeads : h / (kHeads / kKvHeads);
            const std::size_t visible = causal ? pos + 1 : n;
            std::vector<double> w(visible);
            double top = -INFINITY, total = 0;
            for (std::size_t s = 0; s < visible; ++s) {
                double dot = 0;
                for (std::size_t i = 0; i < kHeadDim; ++i) dot += double(q[(pos * kHeads + h) * kHeadDim + i]) * k[(s * kKvHeads + kv) * kHeadDim + i];
                w[s] = dot / std::sqrt(double(kHeadDim));
                top = std::max(top, w[s]);
            }
            for (double& x : w) total += (x = std::exp(x - top));
            for (std::size_t s = 0; s < visible; ++s)
                for (std::size_t i = 0; i < kHeadDim; ++i)
                    out[(pos * kHeads + h) * kHeadDim + i] += static_cast<float>(w[s] / total * v[(s * kKvHeads + kv) * kHeadDim + i]);
        }
    return out;
}

// The trace of `model` with activation (layer, op) replaced by make(trace), audited with full values.
audit::TraceAudit audit_replaced(const test::TempDir& dir, const Container& model, std::int32_t layer, const std::string& op,
                                 const std::function<std::vector<float>(const forward::Trace&)>& make, double tolerance = 0.05) {
    const auto theirs = edited(run_trace(model), [&](const forward::TraceRecord& r, const forward::Trace& t) -> std::optional<std::vector<float>> {
        if (r.layer == layer && r.op == op) return make(t);
        return std::nullopt;
    });
    audit::TraceAuditOptions options;
    options.tolerance = tolerance;
    return audit_written(dir, model, theirs, true, options);
}

}  // namespace

TEST_CASE("norms: the weight plus one, a LayerNorm, ffn_norm of the layer input") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    auto w = test::reference_values(model, "blk.0.attn_norm.weight");
    for (float& x : w) x += 1.0f;
    auto a = audit_replaced(dir, model, 0, "attn_norm", [&](const forward::Trace& t) { return rms_norm(layer_input(t, 0), w); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.attn_norm");
    CHECK(explained_by(a, "norm_weight_plus_one"));

    const auto w1 = test::reference_values(model, "blk.1.attn_norm.weight");
    a = audit_replaced(dir, model, 1, "attn_norm", [&](const forward::Trace& t) {
        auto x = layer_input(t, 1);
        for (std::size_t row = 0; row < x.size() / kEmbd; ++row) {  // mean subtracted, then as RMSNorm
            double mean = 0;
            for (std::size_t i = 0; i < kEmbd; ++i) mean += x[row * kEmbd + i];
            mean /= kEmbd;
            for (std::size_t i = 0; i < kEmbd; ++i) x[row * kEmbd + i] = static_cast<float>(x[row * kEmbd + i] - mean);
        }
        return rms_norm(x, w1);
    });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.1.attn_norm");
    CHECK(explained_by(a, "layer_norm"));

    const auto wf = test::reference_values(model, "blk.1.ffn_norm.weight");
    a = audit_replaced(dir, model, 1, "ffn_norm", [&](const forward::Trace& t) { return rms_norm(layer_input(t, 1), wf); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.1.ffn_norm");
    CHECK(explained_by(a, "norm_input"));
}

TEST_CASE("projections: a square weight transposed, gate and up exchanged, the tied embedding used for the logits") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    const auto wo = test::reference_values(model, "blk.0.attn_output.weight");
    auto a = audit_replaced(dir, model, 0, "attn_out", [&](const forward::Trace& t) { return project(values_of(t, 0, "attn"), wo, kEmbd, true); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.attn_out");
    CHECK(explained_by(a, "weight_transposed"));

    a = audit_replaced(dir, model, 1, "gate", [](const forward::Trace& t) { return values_of(t, 1, "up"); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.1.gate");
    CHECK(explained_by(a, "gate_up_swapped"));

    const auto embd = test::reference_values(model, "token_embd.weight");
    a = audit_replaced(dir, model, -1, "logits", [&](const forward::Trace& t) { return project(values_of(t, -1, "output_norm"), embd, kEmbd); });
    INFO(describe(a));
    CHECK(first_name(a) == "logits");
    CHECK(explained_by(a, "tied_output"));
}

TEST_CASE("q_proj without its bias (qwen2), without its per-head norm (qwen3)") {
    {
        const test::TempDir dir;
        const Container model = test::open_model(test::write_model(dir, "tiny-qwen2", test::type_id(TypeId::F32)));
        const auto bias = test::reference_values(model, "blk.0.attn_q.bias");
        const auto a = audit_replaced(dir, model, 0, "q_proj", [&](const forward::Trace& t) {
            auto q = values_of(t, 0, "q_proj");
            for (std::size_t i = 0; i < q.size(); ++i) q[i] -= bias[i % bias.size()];
            return q;
        });
        INFO(describe(a));
        CHECK(first_name(a) == "blk.0.q_proj");
        CHECK(explained_by(a, "bias_missing"));
    }
    {
        const test::TempDir dir;
        const Container model = test::open_model(test::write_model(dir, "tiny-qwen3", test::type_id(TypeId::F32)));
        const auto wq = test::reference_values(model, "blk.1.attn_q.weight");
        const auto a = audit_replaced(dir, model, 1, "q_proj", [&](const forward::Trace& t) { return project(values_of(t, 1, "attn_norm"), wq, kEmbd); });
        INFO(describe(a));
        CHECK(first_name(a) == "blk.1.q_proj");
        CHECK(explained_by(a, "qk_norm_missing"));
    }
}

TEST_CASE("RoPE not applied, positions from 1, another frequency base") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    auto a = audit_replaced(dir, model, 0, "q", [](const forward::Trace& t) { return values_of(t, 0, "q_proj"); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.q");
    CHECK(explained_by(a, "rope_missing"));

    a = audit_replaced(dir, model, 0, "k", [](const forward::Trace& t) { return rope(values_of(t, 0, "k_proj"), kKvHeads * kHeadDim, 1, 10000.0); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.k");
    CHECK(explained_by(a, "rope_positions"));

    a = audit_replaced(dir, model, 1, "q", [](const forward::Trace& t) { return rope(values_of(t, 1, "q_proj"), kHeads * kHeadDim, 0, 1e6); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.1.q");
    CHECK(explained_by(a, "rope_base"));
}

TEST_CASE("attention without the causal mask, and grouped-query heads mapped interleaved") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    // Random sample weights give nearly uniform attention: compare under a tolerance the reference meets
    // against itself (as for the attention scale above).
    auto a = audit_replaced(dir, model, 0, "attn", [](const forward::Trace& t) { return attention(t, 0, false, false); }, 1e-3);
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.attn");
    CHECK(explained_by(a, "attention_mask"));

    a = audit_replaced(dir, model, 1, "attn", [](const forward::Trace& t) { return attention(t, 1, true, true); }, 1e-3);
    INFO(describe(a));
    CHECK(first_name(a) == "blk.1.attn");
    CHECK(explained_by(a, "gqa_mapping"));
}

TEST_CASE("residual adds from the wrong input, attention dropped, an op never written") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    auto a = audit_replaced(dir, model, 0, "ffn_residual",
                            [](const forward::Trace& t) { return add(layer_input(t, 0), values_of(t, 0, "down")); }, 1e-3);
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.ffn_residual");
    CHECK(explained_by(a, "residual_from_layer_input"));

    a = audit_replaced(dir, model, 1, "ffn_residual", [](const forward::Trace& t) { return add(values_of(t, 1, "ffn_norm"), values_of(t, 1, "down")); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.1.ffn_residual");
    CHECK(explained_by(a, "residual_from_normed"));

    a = audit_replaced(dir, model, 1, "attn_residual", [](const forward::Trace& t) { return layer_input(t, 1); }, 1e-3);
    INFO(describe(a));
    CHECK(first_name(a) == "blk.1.attn_residual");
    CHECK(explained_by(a, "attention_dropped"));

    a = audit_replaced(dir, model, 0, "down", [](const forward::Trace& t) { return std::vector<float>(values_of(t, 0, "down").size(), 0.0f); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.down");
    CHECK(explained_by(a, "all_zero"));
}

TEST_CASE("the other residual and activation forms: ffn_residual without its residual, attn_out added to attn_norm, "
          "GELU, silu(gate) alone, gate * up") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    auto a = audit_replaced(dir, model, 0, "ffn_residual", [](const forward::Trace& t) { return values_of(t, 0, "down"); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.ffn_residual");
    CHECK(explained_by(a, "residual_missing"));

    a = audit_replaced(dir, model, 1, "attn_residual", [](const forward::Trace& t) { return add(values_of(t, 1, "attn_norm"), values_of(t, 1, "attn_out")); });
    INFO(describe(a));
    CHECK(first_name(a) == "blk.1.attn_residual");
    CHECK(explained_by(a, "residual_from_normed"));

    using Act = float (*)(float gate, float up);
    const std::pair<Act, std::string_view> forms[] = {
        {[](float g, float u) { return 0.5f * g * (1.0f + std::tanh(0.7978845608f * (g + 0.044715f * g * g * g))) * u; }, "GELU"},
        {[](float g, float) { return g / (1.0f + std::exp(-g)); }, "silu(gate) alone"},
        {[](float g, float u) { return g * u; }, "no activation"},
    };
    for (const auto& [form, message] : forms) {
        a = audit_replaced(dir, model, 0, "ffn_act", [&activation = form](const forward::Trace& t) {
            const auto gate = values_of(t, 0, "gate"), up = values_of(t, 0, "up");
            std::vector<float> out(gate.size());
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = activation(gate[i], up[i]);
            return out;
        });
        INFO(describe(a));
        CHECK(first_name(a) == "blk.0.ffn_act");
        bool named = false;
        for (const auto& e : a.explanations) named = named || (e.kind == "activation" && e.message.find(message) != std::string::npos);
        CHECK(named);
    }
}

TEST_CASE("mixtures of experts: a wrong expert sum is localised to moe_out, after the routing that agrees") {
    const test::TempDir dir;
    for (const char* preset : {"tiny-qwen3moe", "tiny-qwen2moe"}) {
        CAPTURE(preset);
        const Container model = test::open_model(test::write_model(dir, preset, test::type_id(TypeId::F32)));
        const auto ours = run_trace(model);
        CHECK(audit_written(dir, model, ours, true).passed());
        // Their pass forgot the routing weights' normalisation, or scaled the sum: moe_out is 1.5x.
        const auto theirs = edited(ours, [](const forward::TraceRecord& r, const forward::Trace&) -> std::optional<std::vector<float>> {
            if (r.layer != 1 || r.op != "moe_out") return std::nullopt;
            std::vector<float> v = r.values;
            for (float& x : v) x *= 1.5f;
            return v;
        });
        const auto a = audit_written(dir, model, theirs, true);
        INFO(describe(a));
        CHECK(first_name(a) == "blk.1.moe_out");
        CHECK(a.localisation.find("blk.1.ffn_norm and blk.1.moe_experts agree, blk.1.moe_out does not: the chosen experts'") !=
              std::string::npos);
        CHECK(a.localisation.find("blk.1.ffn_down_exps.weight") != std::string::npos);
    }
    // The residual add of a mixture of experts reads the block's output, not a dense `down`.
    const Container q2 = test::open_model(test::write_model(dir, "tiny-qwen2moe", test::type_id(TypeId::F32)));
    const auto ours = run_trace(q2);
    const auto theirs = edited(ours, [](const forward::TraceRecord& r, const forward::Trace& t) -> std::optional<std::vector<float>> {
        if (r.layer == 0 && r.op == "ffn_residual") return values_of(t, 0, "ffn_out");
        return std::nullopt;
    });
    const auto a = audit_written(dir, q2, theirs, true);
    INFO(describe(a));
    CHECK(first_name(a) == "blk.0.ffn_residual");
    CHECK(a.localisation.find("blk.0.attn_residual and blk.0.ffn_out agree") != std::string::npos);
    CHECK(a.localisation.find("not in your trace") == std::string::npos);
}
