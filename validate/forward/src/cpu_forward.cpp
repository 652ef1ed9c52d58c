// The CPU reference forward pass of the llama family (llama, qwen2, qwen3), following llama.cpp's graphs
// (src/models/llama.cpp, qwen2.cpp, qwen3.cpp): pre-norm blocks of RMSNorm -> attention with RoPE ->
// residual -> RMSNorm -> SwiGLU feed-forward -> residual, then a final RMSNorm and the lm_head.
// Everything is float32; sums of squares (RMSNorm) and softmax denominators are accumulated in double,
// as ggml does.
#include <omp.h>

#include <fmt/format.h>
#include <algorithm>
#include <exception>
#include <numeric>
#include <string>

#include "gguf/forward/cpu.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/forward/pass_params.hpp"
#include "matmul.hpp"
#include "weights.hpp"

namespace gguf::forward {
namespace {

// A weight could not be decoded in the middle of a pass (load_weights checked every tensor, so this is
// not expected); evaluate() turns it back into an Error.
struct DecodeFailure {
    Error error;
};

// The buffers of one evaluate() call; T = number of new tokens.
struct Activations {
    Activations(const model::ModelSpec& s, std::uint64_t n_vocab, std::uint64_t T)
        : x(T * s.n_embd), xn(T * s.n_embd), q(T * s.n_head * s.head_dim), k(T * s.n_embd_kv()),
          v(T * s.n_head_kv * s.head_dim_v), att(T * s.n_head * s.head_dim_v), proj(T * s.n_embd), gate(T * s.n_ff),
          up(T * s.n_ff), logits(T * n_vocab) {}

    std::vector<float> x;        // [T][n_embd]   the residual stream
    std::vector<float> xn;       // [T][n_embd]   normalized input of a block
    std::vector<float> q;        // [T][n_head * head_dim]
    std::vector<float> k;        // [T][n_head_kv * head_dim]
    std::vector<float> v;        // [T][n_head_kv * head_dim_v]
    std::vector<float> att;      // [T][n_head * head_dim_v]  attention context, heads concatenated
    std::vector<float> proj;     // [T][n_embd]   output of a block, before the residual add
    std::vector<float> gate;     // [T][n_ff]
    std::vector<float> up;       // [T][n_ff]
    LogitValues logits;          // [T][n_vocab], written in full by the lm_head product
};

// Keys (after RoPE) and values of every evaluated position of one layer.
struct KvCache {
    std::vector<float> k;  // [n_positions][n_head_kv * head_dim]
    std::vector<float> v;  // [n_positions][n_head_kv * head_dim_v]
};

class CpuForward final : public Forward {
public:
    CpuForward(model::ModelSpec spec, ModelWeights weights, PassParams params, int threads)
        : spec_(std::move(spec)), w_(std::move(weights)), p_(std::move(params)), threads_(threads),
          cache_(spec_.n_layer) {}

    const model::ModelSpec& spec() const override { return spec_; }
    std::string_view backend() const override { return "cpu"; }
    std::uint64_t position() const override { return n_past_; }
    void reset() override { truncate_cache(0); }

    Result<Logits> evaluate(std::span<const std::int32_t> tokens, Trace* trace) override {
        for (std::size_t i = 0; i < tokens.size(); ++i)
            if (tokens[i] < 0 || static_cast<std::uint64_t>(tokens[i]) >= w_.n_vocab)
                return Error{ErrorCode::invalid_argument, 0,
                             fmt::format("token id {} at index {} is outside the vocabulary [0, {})", tokens[i], i, w_.n_vocab), ""};
        const std::uint64_t T = tokens.size();
        if (T == 0) return Logits{0, w_.n_vocab, {}};
        Activations a(spec_, w_.n_vocab, T);
        std::vector<std::int64_t> positions(T);
        std::iota(positions.begin(), positions.end(), static_cast<std::int64_t>(n_past_));
        try {
            embed(tokens, a.x);                                                   record(trace, -1, "embedding", a.x, T);
            for (std::size_t il = 0; il < spec_.n_layer; ++il) layer(il, positions, a, trace);
            ops::rms_norm(a.x, w_.output_norm, spec_.n_embd, p_.rms_eps, a.xn);   record(trace, -1, "output_norm", a.xn, T);
            project(a.xn, w_.lm_head(), w_.output_bias, a.logits);               record(trace, -1, "logits", a.logits, T);
        } catch (const DecodeFailure& failure) {
            truncate_cache(n_past_);
            return failure.error;
        } catch (const std::exception& e) {
            // An op refused its operands: an error for the caller to report, never a crash.
            truncate_cache(n_past_);
            return Error{ErrorCode::invalid_argument, 0, std::string("CPU forward pass: ") + e.what(), ""};
        }
        n_past_ += T;
        return Logits{T, w_.n_vocab, std::move(a.logits)};
    }

private:
    // One transformer block; the residual stream a.x is updated in place.
    void layer(std::size_t il, std::span<const std::int64_t> positions, Activations& a, Trace* trace) {
        LayerWeights& w = w_.layers[il];
        const auto L = static_cast<std::int32_t>(il);
        const std::uint64_t T = positions.size();

        // Attention block.
        ops::rms_norm(a.x, w.attn_norm, spec_.n_embd, p_.rms_eps, a.xn);        record(trace, L, "attn_norm", a.xn, T);
        project(a.xn, w.wq, w.bq, a.q);
        project(a.xn, w.wk, w.bk, a.k);
        project(a.xn, w.wv, w.bv, a.v);
        if (spec_.qk_norm) {  // qwen3: RMSNorm of every head of q and k before RoPE
            ops::rms_norm(a.q, w.q_norm, spec_.head_dim, p_.rms_eps, a.q);
            ops::rms_norm(a.k, w.k_norm, spec_.head_dim, p_.rms_eps, a.k);
        }
        record(trace, L, "q_proj", a.q, T);
        record(trace, L, "k_proj", a.k, T);
        ops::rope(a.q, spec_.n_head, spec_.head_dim, positions, p_.rope);       record(trace, L, "q", a.q, T);
        ops::rope(a.k, spec_.n_head_kv, spec_.head_dim, positions, p_.rope);    record(trace, L, "k", a.k, T);
                                                                                 record(trace, L, "v", a.v, T);
        KvCache& cache = cache_[il];
        cache.k.insert(cache.k.end(), a.k.begin(), a.k.end());
        cache.v.insert(cache.v.end(), a.v.begin(), a.v.end());
        const ops::AttentionShape shape{spec_.n_head, spec_.n_head_kv, spec_.head_dim, spec_.head_dim_v};
        ops::causal_attention(a.q, cache.k, cache.v, n_past_ + T, n_past_, shape, p_.kq_scale, a.att, threads_);
                                                                                 record(trace, L, "attn", a.att, T);
        project(a.att, w.wo, w.bo, a.proj);                                     record(trace, L, "attn_out", a.proj, T);
        ops::add(a.x, a.proj, a.x);                                             record(trace, L, "attn_residual", a.x, T);

        // Feed-forward block.
        ops::rms_norm(a.x, w.ffn_norm, spec_.n_embd, p_.rms_eps, a.xn);         record(trace, L, "ffn_norm", a.xn, T);
        project(a.xn, w.gate, w.b_gate, a.gate);                                record(trace, L, "gate", a.gate, T);
        project(a.xn, w.up, w.b_up, a.up);                                      record(trace, L, "up", a.up, T);
        ops::swiglu(a.gate, a.up, a.gate);                                      record(trace, L, "ffn_act", a.gate, T);
        project(a.gate, w.down, w.b_down, a.proj);                              record(trace, L, "down", a.proj, T);
        ops::add(a.x, a.proj, a.x);                                             record(trace, L, "ffn_residual", a.x, T);
    }

    // out = x W^T (+ bias when the file has one).
    void project(std::span<const float> x, WeightMatrix& w, std::span<const float> bias, std::span<float> out) {
        if (auto r = matmul(x, w, out, threads_); !r) throw DecodeFailure{r.error()};
        if (!bias.empty()) ops::add_bias(out, bias);
    }


    // x[t] = token_embd row tokens[t] (ggml_get_rows).
    void embed(std::span<const std::int32_t> tokens, std::span<float> x) {
        std::vector<float> scratch;
        const std::uint64_t n_embd = spec_.n_embd;
        for (std::size_t t = 0; t < tokens.size(); ++t) {
            auto row = w_.token_embd.rows(static_cast<std::uint64_t>(tokens[t]), 1, scratch);
            if (!row) throw DecodeFailure{row.error()};
            std::copy_n(*row, n_embd, x.begin() + static_cast<std::ptrdiff_t>(t * n_embd));
        }
    }

    void truncate_cache(std::uint64_t n_positions) {
        for (KvCache& c : cache_) {
            c.k.resize(n_positions * spec_.n_embd_kv());
            c.v.resize(n_positions * spec_.n_head_kv * spec_.head_dim_v);
        }
        n_past_ = n_positions;
    }

    static void record(Trace* trace, std::int32_t layer, std::string_view op, std::span<const float> data, std::uint64_t T) {
        if (trace) trace->record(layer, op, {T, data.size() / T}, data);
    }

    model::ModelSpec spec_;
    ModelWeights w_;
    PassParams p_;
    int threads_;
    std::vector<KvCache> cache_;
    std::uint64_t n_past_ = 0;
};

}  // namespace

Result<std::unique_ptr<Forward>> make_cpu_forward(const Container& model, const CpuOptions& options) {
    auto spec = model::read_spec(model);
    if (!spec) return spec.error();
    auto params = pass_params(model, *spec);
    if (!params) return params.error();
    auto weights = load_weights(model, *spec, options.keep_decoded_bytes);
    if (!weights) return weights.error();
    const int threads = options.threads > 0 ? options.threads : omp_get_num_procs();
    return std::unique_ptr<Forward>(
        std::make_unique<CpuForward>(std::move(*spec), std::move(*weights), std::move(*params), threads));
}

}  // namespace gguf::forward
