// The GPU forward pass of the llama family (llama, qwen2, qwen3), composed of the kernels in kernels/
// in the order of the CPU reference (validate/forward/src/cpu_forward.cpp), which is llama.cpp's graph:
// pre-norm blocks of RMSNorm -> attention with RoPE -> residual -> RMSNorm -> SwiGLU -> residual, then
// the final RMSNorm and the lm_head. Trace records have the CPU's names, shapes and order.
//
// Tokens are evaluated in chunks of at most `chunk_` (a traced call in one chunk, so each op is one
// record). Up to kMatvecMaxTokens tokens, products read the weights in their encoding (matvec.cu);
// larger chunks use cuBLAS on float32 weights: the kept decoded copy, or one dequantized into scratch.
#include <algorithm>
#include <cstring>
#include <exception>
#include <numeric>
#include <string>
#include <vector>

#include "blas.hpp"
#include "check.hpp"
#include "device_buffer.hpp"
#include "gguf/cuda/device.hpp"
#include "gguf/cuda/forward.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/forward/pass_params.hpp"
#include "host_copy.hpp"
#include "kernels/kernels.hpp"
#include "memory_budget.hpp"
#include "weights.hpp"

namespace gguf::cuda {
namespace {

constexpr std::uint64_t kMaxChunk = 512;                       // tokens per batched step
constexpr std::uint64_t kMinResidentChunk = 16;                // below this, streaming is preferred
constexpr std::uint64_t kScoreFloats = std::uint64_t{32} << 20;   // attention scores per step (128 MiB)
constexpr std::uint64_t kScratchFloats = std::uint64_t{64} << 20; // one dequantized matrix piece (256 MiB)
constexpr std::uint64_t kInitialPositions = 1024;                // KV cache before it grows
constexpr std::uint64_t kReservedPositions = 4096;               // KV cache kept free of decoded copies
constexpr std::uint64_t kDeviceMargin = std::uint64_t{512} << 20; // left free for CUDA and cuBLAS when no limit is given
constexpr std::uint64_t kPlanSlack = std::uint64_t{4} << 20;
constexpr std::uint64_t kDownloadPieceBytes = std::uint64_t{16} << 20;  // logits copied to the host per step

Error pass_error(const std::string& message) { return Error{ErrorCode::invalid_argument, 0, message, ""}; }

std::string mib(std::uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

// The sizes the memory plan and the pass share.
struct Dims {
    std::uint64_t n_embd, n_q, n_kv_width, n_v_width, n_att, n_ff, n_vocab, n_layer, n_pairs;
    AttentionDims attention;

    Dims(const model::ModelSpec& s, std::uint64_t vocab, std::uint32_t n_rot)
        : n_embd(s.n_embd), n_q(s.n_head * s.head_dim), n_kv_width(s.n_head_kv * s.head_dim),
          n_v_width(s.n_head_kv * s.head_dim_v), n_att(s.n_head * s.head_dim_v), n_ff(s.n_ff), n_vocab(vocab),
          n_layer(s.n_layer), n_pairs(n_rot / 2), attention{s.n_head, s.n_head_kv, s.head_dim, s.head_dim_v} {}

    std::uint64_t activation_bytes(std::uint64_t tokens) const {
        return sizeof(float) * tokens * (3 * n_embd + n_q + n_att + 2 * n_ff + n_vocab) + sizeof(std::int32_t) * tokens;
    }
    std::uint64_t kv_bytes(std::uint64_t positions) const {
        return sizeof(float) * positions * n_layer * (n_kv_width + n_v_width);
    }
    std::uint64_t rope_bytes(std::uint64_t positions) const { return 2 * sizeof(float) * positions * n_pairs; }
    std::uint64_t attention_rows(std::uint64_t tokens, std::uint64_t n_kv) const {
        return std::clamp<std::uint64_t>(kScoreFloats / std::max<std::uint64_t>(1, attention.n_head * n_kv), 1, tokens);
    }
    std::uint64_t attention_bytes(std::uint64_t tokens, std::uint64_t n_kv) const {
        return sizeof(float) * attention_workspace_floats(attention, attention_rows(tokens, n_kv), n_kv);
    }
};

struct Plan {
    bool streamed = false;
    std::uint64_t chunk = 0;
    std::uint64_t scratch_floats = 0;
    std::uint64_t initial_positions = 0;
    std::uint64_t decoded_budget = 0;
};

class CudaPass final : public CudaForward {
public:
    CudaPass(model::ModelSpec spec, forward::PassParams params, WeightLayout layout, const CudaOptions& options,
             const Plan& plan, std::uint64_t budget_bytes)
        : spec_(std::move(spec)), p_(std::move(params)), dims_(spec_, layout.n_vocab, p_.rope.n_rot),
          device_(options.device), backend_("cuda:" + std::to_string(options.device) + (options.precision == Precision::tf32 ? "/tf32" : "")), budget_(budget_bytes),
          blas_(stream_.get(), options.precision), chunk_(plan.chunk), weight_bytes_(layout.globals.bytes + layout.layer_bytes()) {
        // Fixed buffers first, so the decoded copies can only take what is left.
        ids_ = budget_.allocate<std::int32_t>(chunk_, "token ids");
        allocate_activations(chunk_);
        scratch_ = budget_.allocate<float>(plan.scratch_floats, "dequantization scratch");
        grow_kv(plan.initial_positions);
        grow_rope(plan.initial_positions);
        weights_ = std::make_unique<DeviceWeights>(std::move(layout), plan.streamed, plan.decoded_budget, budget_, stream_.get());
    }

    const model::ModelSpec& spec() const override { return spec_; }
    std::string_view backend() const override { return backend_; }
    std::uint64_t position() const override { return n_past_; }
    void reset() override { n_past_ = 0; }
    Precision precision() const override { return blas_.precision(); }

    MemoryPlan memory_plan() const override {
        MemoryPlan m;
        m.budget_bytes = budget_.limit();
        m.weight_bytes = weight_bytes_;
        m.streamed = weights_->streamed();
        m.resident_weight_bytes = weights_->resident_bytes();
        m.decoded_cache_bytes = weights_->decoded_bytes();
        m.layer_slot_bytes = weights_->slot_bytes();
        return m;
    }

    double last_pass_ms() const override { return last_pass_ms_; }

    Result<forward::Logits> evaluate(std::span<const std::int32_t> tokens, forward::Trace* trace) override {
        last_pass_ms_ = 0;  // also for a call that fails or has no tokens
        for (std::size_t i = 0; i < tokens.size(); ++i)
            if (tokens[i] < 0 || static_cast<std::uint64_t>(tokens[i]) >= dims_.n_vocab)
                return pass_error("token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                                  " is outside the vocabulary [0, " + std::to_string(dims_.n_vocab) + ")");
        const std::uint64_t T = tokens.size();
        if (T == 0) return forward::Logits{0, dims_.n_vocab, {}};
        try {
            GGUF_CUDA_CHECK(cudaSetDevice(device_));
            forward::Logits logits{T, dims_.n_vocab, forward::LogitValues(T * dims_.n_vocab)};  // not zero-filled
            const std::uint64_t chunk = trace ? T : std::min(T, chunk_);
            if (chunk > chunk_) {  // a traced call longer than the planned chunk
                ids_ = grown(ids_, chunk, "token ids");
                allocate_activations(chunk);
                chunk_ = chunk;
            }
            for (std::uint64_t start = 0; start < T; start += chunk) {
                const std::uint64_t n = std::min(chunk, T - start);
                run_chunk(tokens.subspan(start, n), n_past_ + start, trace, logits.values.data() + start * dims_.n_vocab);
            }
            n_past_ += T;
            return logits;
        } catch (const std::exception& e) {
            cudaStreamSynchronize(stream_.get());
            return pass_error(backend_ + ": " + e.what());
        }
    }

private:
    struct Activations {
        DeviceBuffer<float> x, xn, q, att, proj, gate, up, logits;
    };

    // ---- the pass ----

    void run_chunk(std::span<const std::int32_t> ids, std::uint64_t first, forward::Trace* trace, float* host_logits) {
        const std::uint64_t n = ids.size();
        cudaStream_t s = stream_.get();
        grow_kv(first + n);
        grow_rope(first + n);
        pass_start_.record(s);
        GGUF_CUDA_CHECK(cudaMemcpyAsync(ids_.data(), ids.data(), n * sizeof(std::int32_t), cudaMemcpyHostToDevice, s));

        const MatrixRef embd = weights_->token_embd();
        get_rows(embd.type, embd.blocks, dims_.n_embd, ids_.data(), n, a_.x.data(), s);     record(trace, -1, "embedding", a_.x, n, dims_.n_embd);
        for (std::uint64_t il = 0; il < dims_.n_layer; ++il) layer(il, n, first, trace);
        rmsnorm_forward(a_.xn.data(), a_.x.data(), weights_->output_norm(), n, dims_.n_embd, p_.rms_eps, s);
                                                                                            record(trace, -1, "output_norm", a_.xn, n, dims_.n_embd);
        linear(a_.xn.data(), n, weights_->lm_head(), weights_->output_bias(), a_.logits.data());
                                                                                            record(trace, -1, "logits", a_.logits, n, dims_.n_vocab);
        pass_end_.record(s);
        download_logits(n, host_logits);  // waits for the stream, so pass_end_ has completed
        last_pass_ms_ += pass_end_.ms_since(pass_start_);
    }

    // Logits to the caller's memory through a pinned buffer (a copy into pageable memory runs at a
    // fraction of the link's speed), in pieces: the host copies piece p out of the pinned buffer, faulting
    // in the caller's fresh pages on several threads, while the link carries piece p + 1.
    void download_logits(std::uint64_t n, float* host_logits) {
        cudaStream_t s = stream_.get();
        const std::uint64_t row_bytes = dims_.n_vocab * sizeof(float);
        if (logits_staging_.bytes() < n * row_bytes) logits_staging_ = PinnedBuffer(chunk_ * row_bytes);
        const std::uint64_t rows_per_piece = std::max<std::uint64_t>(1, kDownloadPieceBytes / row_bytes);
        const std::uint64_t pieces = (n + rows_per_piece - 1) / rows_per_piece;
        while (download_done_.size() < pieces) download_done_.push_back(std::make_unique<Event>());
        for (std::uint64_t p = 0; p < pieces; ++p) {
            const std::uint64_t r0 = p * rows_per_piece, rows = std::min(rows_per_piece, n - r0);
            GGUF_CUDA_CHECK(cudaMemcpyAsync(logits_staging_.data() + r0 * row_bytes, a_.logits.data() + r0 * dims_.n_vocab,
                                            rows * row_bytes, cudaMemcpyDeviceToHost, s));
            download_done_[p]->record(s);
        }
        for (std::uint64_t p = 0; p < pieces; ++p) {
            const std::uint64_t r0 = p * rows_per_piece, rows = std::min(rows_per_piece, n - r0);
            download_done_[p]->synchronize();
            parallel_copy(host_logits + r0 * dims_.n_vocab, logits_staging_.data() + r0 * row_bytes, rows * row_bytes);
        }
    }

    // One transformer block; the residual stream a_.x is updated in place. k and v are written straight
    // into the layer's cache rows [first, first + n).
    void layer(std::uint64_t il, std::uint64_t n, std::uint64_t first, forward::Trace* trace) {
        cudaStream_t s = stream_.get();
        const LayerRefs w = weights_->acquire(il);
        const auto L = static_cast<std::int32_t>(il);
        float* k = k_cache_[il].data() + first * dims_.n_kv_width;
        float* v = v_cache_[il].data() + first * dims_.n_v_width;
        const float* cos = cos_.data() + first * dims_.n_pairs;
        const float* sin = sin_.data() + first * dims_.n_pairs;

        // Attention block.
        rmsnorm_forward(a_.xn.data(), a_.x.data(), w.attn_norm, n, dims_.n_embd, p_.rms_eps, s);  record(trace, L, "attn_norm", a_.xn, n, dims_.n_embd);
        linear(a_.xn.data(), n, w.wq, w.bq, a_.q.data());
        linear(a_.xn.data(), n, w.wk, w.bk, k);
        linear(a_.xn.data(), n, w.wv, w.bv, v);
        if (spec_.qk_norm) {  // qwen3: RMSNorm of every head of q and k before RoPE
            rmsnorm_forward(a_.q.data(), a_.q.data(), w.q_norm, n * spec_.n_head, spec_.head_dim, p_.rms_eps, s);
            rmsnorm_forward(k, k, w.k_norm, n * spec_.n_head_kv, spec_.head_dim, p_.rms_eps, s);
        }
        record(trace, L, "q_proj", a_.q.data(), n, dims_.n_q);
        record(trace, L, "k_proj", k, n, dims_.n_kv_width);
        rope_forward(a_.q.data(), n, spec_.n_head, spec_.head_dim, p_.rope.n_rot, p_.rope.neox, cos, sin, s);   record(trace, L, "q", a_.q.data(), n, dims_.n_q);
        rope_forward(k, n, spec_.n_head_kv, spec_.head_dim, p_.rope.n_rot, p_.rope.neox, cos, sin, s);          record(trace, L, "k", k, n, dims_.n_kv_width);
                                                                                                                  record(trace, L, "v", v, n, dims_.n_v_width);
        const std::uint64_t n_kv = first + n;
        const std::uint64_t rows = attention_workspace_rows(n, n_kv);
        attention_forward(blas_, a_.q.data(), k_cache_[il].data(), v_cache_[il].data(), n, n_kv, first, dims_.attention,
                          p_.kq_scale, a_.att.data(), attention_.data(), rows, s);                              record(trace, L, "attn", a_.att, n, dims_.n_att);
        linear(a_.att.data(), n, w.wo, w.bo, a_.proj.data());                                                   record(trace, L, "attn_out", a_.proj, n, dims_.n_embd);
        add_forward(a_.x.data(), a_.x.data(), a_.proj.data(), n * dims_.n_embd, s);                             record(trace, L, "attn_residual", a_.x, n, dims_.n_embd);

        // Feed-forward block.
        rmsnorm_forward(a_.xn.data(), a_.x.data(), w.ffn_norm, n, dims_.n_embd, p_.rms_eps, s);                 record(trace, L, "ffn_norm", a_.xn, n, dims_.n_embd);
        linear(a_.xn.data(), n, w.gate, w.b_gate, a_.gate.data());                                             record(trace, L, "gate", a_.gate, n, dims_.n_ff);
        linear(a_.xn.data(), n, w.up, w.b_up, a_.up.data());                                                   record(trace, L, "up", a_.up, n, dims_.n_ff);
        swiglu_forward(a_.gate.data(), a_.gate.data(), a_.up.data(), n * dims_.n_ff, s);                        record(trace, L, "ffn_act", a_.gate, n, dims_.n_ff);
        linear(a_.gate.data(), n, w.down, w.b_down, a_.proj.data());                                           record(trace, L, "down", a_.proj, n, dims_.n_embd);
        add_forward(a_.x.data(), a_.x.data(), a_.proj.data(), n * dims_.n_embd, s);                             record(trace, L, "ffn_residual", a_.x, n, dims_.n_embd);
        weights_->release(il);
    }

    // out [n][n_out] = x [n][n_in] W^T (+ bias).
    void linear(const float* x, std::uint64_t n, const MatrixRef& w, const float* bias, float* out) {
        cudaStream_t s = stream_.get();
        if (n <= static_cast<std::uint64_t>(kMatvecMaxTokens) && matvec_supported(w.type, w.n_in)) {
            matvec(w.type, w.blocks, w.n_in, w.n_out, x, static_cast<int>(n), out, s);
        } else if (w.decoded) {
            blas_.linear(x, static_cast<std::int64_t>(n), static_cast<std::int64_t>(w.n_in), w.decoded,
                         static_cast<std::int64_t>(w.n_out), out, static_cast<std::int64_t>(w.n_out));
        } else {
            // Dequantize as many rows as the scratch holds, multiply, repeat: out's columns [r0, r0 + rows).
            const std::uint64_t rows_per_piece = std::max<std::uint64_t>(1, scratch_.size() / w.n_in);
            if (rows_per_piece * w.n_in > scratch_.size())
                fail("a weight row is larger than the dequantization scratch", "linear", __FILE__, __LINE__);
            for (std::uint64_t r0 = 0; r0 < w.n_out; r0 += rows_per_piece) {
                const std::uint64_t rows = std::min(rows_per_piece, w.n_out - r0);
                dequantize(w.type, w.blocks + r0 * w.row_bytes, rows * w.n_in, scratch_.data(), s);
                blas_.linear(x, static_cast<std::int64_t>(n), static_cast<std::int64_t>(w.n_in), scratch_.data(),
                             static_cast<std::int64_t>(rows), out + r0, static_cast<std::int64_t>(w.n_out));
            }
        }
        if (bias) add_bias_forward(out, bias, n, w.n_out, s);
    }

    void record(forward::Trace* trace, std::int32_t layer, std::string_view op, const DeviceBuffer<float>& data,
                std::uint64_t n, std::uint64_t width) {
        record(trace, layer, op, data.data(), n, width);
    }

    void record(forward::Trace* trace, std::int32_t layer, std::string_view op, const float* data, std::uint64_t n,
                std::uint64_t width) {
        if (!trace) return;
        host_.resize(n * width);
        GGUF_CUDA_CHECK(cudaMemcpyAsync(host_.data(), data, host_.size() * sizeof(float), cudaMemcpyDeviceToHost,
                                        stream_.get()));
        stream_.synchronize();
        trace->record(layer, op, {n, width}, host_);
    }

    // ---- buffers ----

    template <class T>
    DeviceBuffer<T> grown(DeviceBuffer<T>& old, std::uint64_t count, const std::string& what) {
        stream_.synchronize();
        budget_.release(old);
        make_room(MemoryBudget::rounded(count * sizeof(T)));
        return budget_.allocate<T>(count, what);
    }

    // Gives back decoded weight copies when a buffer would not fit otherwise (allocate() reports it if
    // even that is not enough).
    void make_room(std::uint64_t bytes) {
        if (weights_) weights_->make_room(bytes);
    }

    void allocate_activations(std::uint64_t tokens) {
        stream_.synchronize();
        for (DeviceBuffer<float>* b : {&a_.x, &a_.xn, &a_.q, &a_.att, &a_.proj, &a_.gate, &a_.up, &a_.logits})
            budget_.release(*b);
        make_room(dims_.activation_bytes(tokens));
        a_.x = budget_.allocate<float>(tokens * dims_.n_embd, "activations");
        a_.xn = budget_.allocate<float>(tokens * dims_.n_embd, "activations");
        a_.q = budget_.allocate<float>(tokens * dims_.n_q, "activations");
        a_.att = budget_.allocate<float>(tokens * dims_.n_att, "activations");
        a_.proj = budget_.allocate<float>(tokens * dims_.n_embd, "activations");
        a_.gate = budget_.allocate<float>(tokens * dims_.n_ff, "activations");
        a_.up = budget_.allocate<float>(tokens * dims_.n_ff, "activations");
        a_.logits = budget_.allocate<float>(tokens * dims_.n_vocab, "activations");
    }

    // The KV cache holds `positions` rows per layer; growing keeps the rows evaluated so far.
    void grow_kv(std::uint64_t positions) {
        if (positions <= kv_positions_) return;
        const std::uint64_t target = std::max(positions, std::max<std::uint64_t>(2 * kv_positions_, 64));
        if (!k_cache_.empty()) stream_.synchronize();
        k_cache_.resize(dims_.n_layer);
        v_cache_.resize(dims_.n_layer);
        for (std::uint64_t l = 0; l < dims_.n_layer; ++l)
            for (auto [cache, width] : {std::pair{&k_cache_[l], dims_.n_kv_width}, std::pair{&v_cache_[l], dims_.n_v_width}}) {
                make_room(MemoryBudget::rounded(target * width * sizeof(float)));
                DeviceBuffer<float> bigger = budget_.allocate<float>(target * width, "the KV cache");
                if (kv_positions_ > 0)
                    GGUF_CUDA_CHECK(cudaMemcpyAsync(bigger.data(), cache->data(), kv_positions_ * width * sizeof(float),
                                                    cudaMemcpyDeviceToDevice, stream_.get()));
                stream_.synchronize();
                budget_.release(*cache);
                *cache = std::move(bigger);
            }
        kv_positions_ = target;
    }

    // cos and sin of every position's RoPE angles, computed on the host by the CPU's own function.
    void grow_rope(std::uint64_t positions) {
        if (positions <= rope_positions_) return;
        const std::uint64_t target = std::max(positions, std::max<std::uint64_t>(2 * rope_positions_, 64));
        host_cos_.resize(target * dims_.n_pairs);
        host_sin_.resize(target * dims_.n_pairs);
        for (std::uint64_t pos = rope_positions_; pos < target; ++pos)
            forward::ops::rope_angles(p_.rope, static_cast<std::int64_t>(pos),
                                      std::span(host_cos_.data() + pos * dims_.n_pairs, dims_.n_pairs),
                                      std::span(host_sin_.data() + pos * dims_.n_pairs, dims_.n_pairs));
        cos_ = grown(cos_, target * dims_.n_pairs, "RoPE tables");
        sin_ = grown(sin_, target * dims_.n_pairs, "RoPE tables");
        cos_.upload(host_cos_, stream_.get());
        sin_.upload(host_sin_, stream_.get());
        stream_.synchronize();
        rope_positions_ = target;
    }

    // Query rows attention processes per step, growing its workspace as the cache grows.
    std::uint64_t attention_workspace_rows(std::uint64_t n, std::uint64_t n_kv) {
        std::uint64_t rows = dims_.attention_rows(n, n_kv);
        for (;;) {
            const std::uint64_t floats = attention_workspace_floats(dims_.attention, rows, n_kv);
            if (floats <= attention_.size()) return rows;
            const std::uint64_t previous = attention_.size();
            stream_.synchronize();
            budget_.release(attention_);
            make_room(MemoryBudget::rounded(floats * sizeof(float)));
            if (budget_.fits(MemoryBudget::rounded(floats * sizeof(float))) || rows == 1) {
                // Room to grow: generation adds a key per token, and reallocating every step would
                // synchronize every step.
                const std::uint64_t roomy = std::max(floats, 2 * previous);
                attention_ = budget_.allocate<float>(budget_.fits(MemoryBudget::rounded(roomy * sizeof(float))) ? roomy : floats,
                                                     "the attention workspace");
                return rows;
            }
            rows = std::max<std::uint64_t>(1, rows / 2);
        }
    }

    model::ModelSpec spec_;
    forward::PassParams p_;
    Dims dims_;
    int device_;
    std::string backend_;
    MemoryBudget budget_;
    Stream stream_;
    Blas blas_;
    std::uint64_t chunk_;
    std::uint64_t weight_bytes_;
    std::unique_ptr<DeviceWeights> weights_;

    DeviceBuffer<std::int32_t> ids_;
    Activations a_;
    DeviceBuffer<float> scratch_, attention_;
    std::vector<DeviceBuffer<float>> k_cache_, v_cache_;
    std::uint64_t kv_positions_ = 0;
    DeviceBuffer<float> cos_, sin_;
    std::vector<float> host_cos_, host_sin_;
    std::uint64_t rope_positions_ = 0;
    std::vector<float> host_;  // a trace record on its way to the host
    PinnedBuffer logits_staging_;
    std::vector<std::unique_ptr<Event>> download_done_;  // one per piece of a logits download
    Event pass_start_{Event::Kind::timing}, pass_end_{Event::Kind::timing};  // around each chunk's pass
    double last_pass_ms_ = 0;
    std::uint64_t n_past_ = 0;
};

// Chooses residency and chunk size: resident with the largest chunk that fits, else streamed.
Result<Plan> plan_memory(const Dims& dims, const WeightLayout& layout, const model::ModelSpec& spec, std::uint64_t budget) {
    Plan plan;
    plan.initial_positions = std::min<std::uint64_t>(spec.n_ctx_train ? spec.n_ctx_train : kInitialPositions, kInitialPositions);
    const std::uint64_t scratch = std::min(layout.largest_matrix_values(), kScratchFloats);
    plan.scratch_floats = std::max<std::uint64_t>(scratch, 1);
    const std::uint64_t vectors = layout.vectors.size() * sizeof(float);
    const auto fixed = [&](std::uint64_t chunk) {
        return kPlanSlack + vectors + dims.activation_bytes(chunk) + plan.scratch_floats * sizeof(float) +
               dims.kv_bytes(plan.initial_positions) + dims.rope_bytes(plan.initial_positions) +
               dims.attention_bytes(chunk, chunk);
    };
    const std::uint64_t resident = layout.globals.bytes + layout.layer_bytes();
    const std::uint64_t streamed = layout.globals.bytes + 2 * layout.max_layer_bytes();
    // Resident with a useful batch first; then streamed (every batch re-uploads the layers, cheaper than
    // batches so small that each token reads all weights again); then resident with tiny batches.
    struct Option {
        bool stream;
        std::uint64_t largest, smallest;
    };
    for (const Option o : {Option{false, kMaxChunk, kMinResidentChunk}, Option{true, kMaxChunk, 1},
                           Option{false, kMinResidentChunk / 2, 1}}) {
        for (std::uint64_t chunk = o.largest; chunk >= o.smallest && chunk >= 1; chunk /= 2) {
            const std::uint64_t need = fixed(chunk) + (o.stream ? streamed : resident);
            if (need > budget) continue;
            plan.streamed = o.stream;
            plan.chunk = chunk;
            const std::uint64_t positions = std::min<std::uint64_t>(spec.n_ctx_train ? spec.n_ctx_train : kReservedPositions,
                                                                    kReservedPositions);
            const std::uint64_t reserve = dims.kv_bytes(positions) + dims.rope_bytes(positions) +
                                          dims.attention_bytes(chunk, positions);
            plan.decoded_budget = o.stream ? 0 : (budget > need + reserve ? budget - need - reserve : 0);
            return plan;
        }
    }
    return pass_error("the model needs at least " + mib(fixed(1) + streamed) + " of device memory even when streaming "
                      "its layers one at a time; " + mib(budget) + " are allowed");
}

}  // namespace

Result<std::unique_ptr<CudaForward>> make_cuda_forward(const Container& model, const CudaOptions& options) {
    auto device = probe_device(options.device);
    if (!device) return device.error();
    auto spec = model::read_spec(model);
    if (!spec) return spec.error();
    auto params = forward::pass_params(model, *spec);
    if (!params) return params.error();
    auto layout = describe_weights(model, *spec);
    if (!layout) return layout.error();

    const std::uint64_t usable = device->free_bytes > kDeviceMargin ? device->free_bytes - kDeviceMargin : 0;
    const std::uint64_t budget = options.memory_limit_bytes ? std::min(options.memory_limit_bytes, usable) : usable;
    const Dims dims(*spec, layout->n_vocab, params->rope.n_rot);
    auto plan = plan_memory(dims, *layout, *spec, budget);
    if (!plan) return plan.error();
    try {
        GGUF_CUDA_CHECK(cudaSetDevice(options.device));
        return std::unique_ptr<CudaForward>(
            std::make_unique<CudaPass>(std::move(*spec), std::move(*params), std::move(*layout), options, *plan, budget));
    } catch (const std::exception& e) {
        return pass_error("cuda:" + std::to_string(options.device) + ": " + e.what());
    }
}

}  // namespace gguf::cuda
