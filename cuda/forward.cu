// The GPU forward pass: executes an architecture's program (gguf/forward/program.hpp), the one the CPU
// reference executes, op by op with the kernels in kernels/. Trace records are ops of that program, so
// they have the CPU's names, shapes and order. Keys and values are written straight into the layer's
// cache rows (the program's k and v slots are those rows).
//
// Tokens are evaluated in chunks of at most `chunk_` (a traced call in one chunk, so each op is one
// record). Up to kMatvecMaxTokens tokens, products read the weights in their encoding (matvec.cu);
// larger chunks use cuBLAS on float32 weights: the kept decoded copy, or one dequantized into scratch.
#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <numeric>
#include <variant>
#include <string>
#include <vector>

#include "blas.hpp"
#include "check.hpp"
#include "device_buffer.hpp"
#include "gguf/cuda/device.hpp"
#include "gguf/cuda/forward.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/forward/ops_extra.hpp"
#include "gguf/forward/ops_moe.hpp"
#include "gguf/forward/overloaded.hpp"
#include "gguf/forward/program.hpp"
#include "host_copy.hpp"
#include "kernels/kernels.hpp"
#include "memory_budget.hpp"
#include "step_graph.hpp"
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
constexpr std::uint64_t kBlasWorkspaceBytes = std::uint64_t{4} << 20;   // cuBLAS scratch of graph steps (small products)

Error pass_error(const std::string& message) { return Error{ErrorCode::invalid_argument, 0, message, ""}; }

std::string mib(std::uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

using forward::Overloaded;

AttentionDims attention_dims(const forward::ops::AttentionShape& s) { return {s.n_head, s.n_head_kv, s.head_dim, s.head_dim_v}; }

// A multi-section RoPE table: the frequencies of a program table, the sections of RopeMulti ops.
struct SectionedRope {
    int table;
    std::array<std::uint32_t, 4> sections;
    bool interleaved;
    bool operator==(const SectionedRope&) const = default;
};

SectionedRope sectioned_rope(const forward::RopeMulti& o) { return {o.table, o.sections, o.interleaved}; }

constexpr std::uint64_t kMoeAlignFloats = 4;

// Per-token scratch of the MoeFfn ops: the gathered inputs of one expert, its gate and up products, the
// outputs of every chosen expert (k rows), and the grouping's token and position indices (2k).
struct MoeScratch {
    std::uint64_t n_in = 0, n_ff = 0, k_out = 0, k = 0;

    void cover(const forward::MoeFfn& m, const forward::WeightSet& w) {
        const forward::BoundMatrix& gate = w.matrices[static_cast<std::size_t>(m.gate)];
        n_in = std::max(n_in, gate.n_in);
        n_ff = std::max(n_ff, gate.n_out);
        k_out = std::max(k_out, m.n_expert_used * w.matrices[static_cast<std::size_t>(m.down)].n_out);
        k = std::max(k, m.n_expert_used);
    }
    std::uint64_t floats() const { return n_in + 2 * n_ff + k_out; }
    std::uint64_t indices() const { return 2 * k; }
};

// The sizes the memory plan and the pass share, read from the program.
struct Dims {
    std::uint64_t n_vocab, n_layer;
    std::array<std::uint64_t, forward::kSlotCount> width;  // per token; k and v live in the cache
    std::vector<std::uint64_t> k_width, v_width;            // per layer; 0 without a KV cache
    std::vector<std::uint64_t> conv_state, delta_state;     // per layer; floats of recurrent state, 0 without
    std::vector<SectionedRope> sectioned;                   // the multi-section tables RopeMulti ops read
    std::vector<std::uint64_t> n_pairs;                     // per RoPE table: the program's, then `sectioned`
    std::vector<AttentionDims> attention;                   // every attention shape of the program
    std::uint64_t max_heads = 1;
    MoeScratch moe;  // per token, the largest any MoeFfn op needs

    explicit Dims(const forward::Architecture& arch) : n_vocab(arch.weights.n_vocab), n_layer(arch.program.layers.size()) {
        const forward::Program& p = arch.program;
        width = p.slot_width;
        width[static_cast<std::size_t>(forward::Slot::k)] = width[static_cast<std::size_t>(forward::Slot::v)] = 0;
        for (std::size_t il = 0; il < p.layers.size(); ++il) {
            const forward::LayerProgram& l = p.layers[il];
            k_width.push_back(l.k_width);
            v_width.push_back(l.v_width);
            conv_state.push_back(l.conv_state);
            delta_state.push_back(l.delta_state);
            for (const forward::Op& op : l.ops) {
                if (const auto* a = std::get_if<forward::Attention>(&op)) {
                    attention.push_back(attention_dims(a->shape));
                    max_heads = std::max<std::uint64_t>(max_heads, a->shape.n_head);
                }
                if (const auto* r = std::get_if<forward::RopeMulti>(&op))
                    if (std::find(sectioned.begin(), sectioned.end(), sectioned_rope(*r)) == sectioned.end())
                        sectioned.push_back(sectioned_rope(*r));
                if (const auto* m = std::get_if<forward::MoeFfn>(&op)) moe.cover(*m, arch.weights.layers[il]);
            }
        }
        for (const forward::ops::RopeParams& r : p.ropes) n_pairs.push_back(r.n_rot / 2);
        for (const SectionedRope& r : sectioned) n_pairs.push_back(p.ropes[static_cast<std::size_t>(r.table)].n_rot / 2);
    }

    // The RoPE table of a RopeMulti op (an index into n_pairs).
    std::size_t table_of(const forward::RopeMulti& o, const forward::Program& p) const {
        const auto at = std::find(sectioned.begin(), sectioned.end(), sectioned_rope(o));
        return p.ropes.size() + static_cast<std::size_t>(at - sectioned.begin());
    }

    std::uint64_t state_bytes() const {
        std::uint64_t floats = 0;
        for (std::size_t l = 0; l < conv_state.size(); ++l) floats += conv_state[l] + delta_state[l];
        return sizeof(float) * floats;
    }

    std::uint64_t activation_bytes(std::uint64_t tokens) const {
        std::uint64_t per_token = 0;
        for (const std::uint64_t w : width) per_token += w;
        return sizeof(float) * (tokens * (per_token + moe.floats()) + 3 * kMoeAlignFloats) +
               sizeof(std::int32_t) * tokens * (1 + moe.indices());
    }
    std::uint64_t kv_bytes(std::uint64_t positions) const {
        std::uint64_t per_position = 0;
        for (std::size_t l = 0; l < k_width.size(); ++l) per_position += k_width[l] + v_width[l];
        return sizeof(float) * positions * per_position;
    }
    std::uint64_t rope_bytes(std::uint64_t positions) const {
        std::uint64_t pairs = 0;
        for (const std::uint64_t n : n_pairs) pairs += n;
        return 2 * sizeof(float) * positions * pairs;
    }
    std::uint64_t attention_rows(std::uint64_t tokens, std::uint64_t n_kv) const {
        return std::clamp<std::uint64_t>(kScoreFloats / std::max<std::uint64_t>(1, max_heads * n_kv), 1, tokens);
    }
    // Workspace floats for `rows` query tokens at a time, enough for every attention shape.
    std::uint64_t attention_floats(std::uint64_t rows, std::uint64_t n_kv) const {
        std::uint64_t floats = 0;
        for (const AttentionDims& d : attention) floats = std::max(floats, attention_workspace_floats(d, rows, n_kv));
        return floats;
    }
    std::uint64_t attention_bytes(std::uint64_t tokens, std::uint64_t n_kv) const {
        return sizeof(float) * attention_floats(attention_rows(tokens, n_kv), n_kv);
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
    CudaPass(model::ModelSpec spec, forward::Program program, WeightLayout layout, const Dims& dims,
             const CudaOptions& options, const Plan& plan, std::uint64_t budget_bytes)
        : spec_(std::move(spec)), program_(std::move(program)), dims_(dims),
          device_(options.device), backend_("cuda:" + std::to_string(options.device) + (options.precision == Precision::tf32 ? "/tf32" : "")), budget_(budget_bytes),
          blas_(stream_.get(), options.precision), chunk_(plan.chunk), weight_bytes_(layout.globals.bytes + layout.layer_bytes()) {
        // Fixed buffers first, so the decoded copies can only take what is left.
        ids_ = budget_.allocate<std::int32_t>(chunk_, "token ids");
        allocate_activations(chunk_);
        scratch_ = budget_.allocate<float>(plan.scratch_floats, "dequantization scratch");
        grow_kv(plan.initial_positions);
        allocate_state();
        ropes_.resize(dims_.n_pairs.size());
        grow_rope(plan.initial_positions);
        upload_gelu_table();
        weights_ = std::make_unique<DeviceWeights>(std::move(layout), plan.streamed, plan.decoded_budget, budget_, stream_.get());
        // Steps that wait on the host (expert routing, streamed layers) cannot be captured.
        step_graphs_ = options.step_graphs && !plan.streamed && dims_.moe.k == 0;
    }

    const model::ModelSpec& spec() const override { return spec_; }
    std::string_view backend() const override { return backend_; }
    std::uint64_t position() const override { return n_past_; }
    void reset() override {
        n_past_ = 0;
        state_stale_ = true;  // cleared by the next evaluate(), which can report a failure
    }
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
    std::uint64_t graph_steps() const override { return step_graph_.launches(); }
    std::uint64_t graph_instantiations() const override { return step_graph_.instantiations(); }

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
            if (state_stale_) clear_state();
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
            if (!recurrent_) return pass_error(backend_ + ": " + e.what());
            // The call advanced the recurrent state in place, which cannot be rolled back: start over.
            reset();
            return pass_error(backend_ + ": " + e.what() + " (the recurrent state was reset: the next call starts at position 0)");
        }
    }

private:
    // cos and sin of every position's angles for one of the program's RoPE tables.
    struct RopeTable {
        DeviceBuffer<float> cos, sin;
        std::vector<float> host_cos, host_sin;
    };

    // What the ops of one chunk share.
    struct Chunk {
        std::uint64_t n, first;  // tokens, position of the first
        std::uint64_t attention_rows;
        forward::Trace* trace;
    };

    // ---- the pass ----

    void run_chunk(std::span<const std::int32_t> ids, std::uint64_t first, forward::Trace* trace, float* host_logits) {
        const std::uint64_t n = ids.size();
        cudaStream_t s = stream_.get();
        grow_kv(first + n);
        grow_rope(first + n);
        pass_start_.record(s);
        GGUF_CUDA_CHECK(cudaMemcpyAsync(ids_.data(), ids.data(), n * sizeof(std::int32_t), cudaMemcpyHostToDevice, s));

        const Chunk c{n, first, prepare_attention(n, first + n), trace};
        const auto enqueue = [&] {
            run(program_.input, -1, weights_->globals(), c);
            for (std::uint64_t il = 0; il < dims_.n_layer; ++il) {
                const ScopeRefs w = weights_->acquire(il);
                run(program_.layers[il].ops, static_cast<std::int32_t>(il), w, c);
                weights_->release(il);
            }
            run(program_.output, -1, weights_->globals(), c);
        };
        if (n == 1 && !trace && graph_ready()) step_graph_.launch(s, enqueue);
        else enqueue();
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
            GGUF_CUDA_CHECK(cudaMemcpyAsync(logits_staging_.data() + r0 * row_bytes, slot(forward::Slot::logits) + r0 * dims_.n_vocab,
                                            rows * row_bytes, cudaMemcpyDeviceToHost, s));
            download_done_[p]->record(s);
        }
        for (std::uint64_t p = 0; p < pieces; ++p) {
            const std::uint64_t r0 = p * rows_per_piece, rows = std::min(rows_per_piece, n - r0);
            download_done_[p]->synchronize();
            parallel_copy(host_logits + r0 * dims_.n_vocab, logits_staging_.data() + r0 * row_bytes, rows * row_bytes);
        }
    }

    // The device memory of a slot: an activation buffer, or for k and v the layer's cache rows of the
    // chunk's tokens.
    float* slot(forward::Slot s, std::int32_t layer = -1, std::uint64_t first = 0) {
        const auto l = static_cast<std::size_t>(layer);
        if (s == forward::Slot::k) return k_cache_.at(l).data() + first * dims_.k_width[l];
        if (s == forward::Slot::v) return v_cache_.at(l).data() + first * dims_.v_width[l];
        return a_[static_cast<std::size_t>(s)].data();
    }

    // Enqueues one section of the program; `layer` is -1 for the input and output sections.
    void run(const std::vector<forward::Op>& ops, std::int32_t layer, const ScopeRefs& w, const Chunk& c) {
        cudaStream_t s = stream_.get();
        const std::uint64_t n = c.n;
        const auto at = [&](forward::Slot slot_name) { return slot(slot_name, layer, c.first); };
        for (const forward::Op& op : ops)
            std::visit(Overloaded{
                           [&](const forward::Embed& o) {
                               const MatrixRef& m = w.matrices[static_cast<std::size_t>(o.matrix)];
                               get_rows(m.type, m.blocks, m.n_in, ids_.data(), n, at(o.out), s);
                           },
                           [&](const forward::RmsNorm& o) {
                               rmsnorm_forward(at(o.out), at(o.in), w.vector(o.weight), n * (o.width / o.group), o.group, o.eps, s);
                           },
                           [&](const forward::Linear& o) {
                               linear(at(o.in), n, w.matrices[static_cast<std::size_t>(o.matrix)], w.vector(o.bias), at(o.out));
                           },
                           [&](const forward::Add& o) { add_forward(at(o.out), at(o.a), at(o.b), n * o.width, s); },
                           [&](const forward::Rope& o) {
                               const forward::ops::RopeParams& r = program_.ropes[static_cast<std::size_t>(o.table)];
                               const RopeTable& t = ropes_[static_cast<std::size_t>(o.table)];
                               const std::uint64_t pairs = r.n_rot / 2;
                               rope_forward(at(o.x), n, o.n_heads, o.head_dim, r.n_rot, r.neox, t.cos.data() + c.first * pairs,
                                            t.sin.data() + c.first * pairs, s);
                           },
                           [&](const forward::Attention& o) {
                               // A shared-KV block reads an earlier layer's cache, already holding this piece's rows.
                               const auto l = static_cast<std::size_t>(o.kv_layer >= 0 ? o.kv_layer : layer);
                               attention_forward(blas_, at(o.q), k_cache_[l].data(), v_cache_[l].data(), n, c.first + n, c.first,
                                                 attention_dims(o.shape), o.scale, at(o.out), attention_.data(), c.attention_rows, s,
                                                 o.window, o.softcap, w.vector(o.sinks));
                           },
                           [&](const forward::Scale& o) { scale_forward(at(o.x), o.factor, n * o.width, s); },
                           [&](const forward::SwiGlu& o) { swiglu_forward(at(o.out), at(o.gate), at(o.up), n * o.width, s); },
                           [&](const forward::GeGlu& o) {
                               geglu_forward(at(o.out), at(o.gate), at(o.up), gelu_table_.data(), n * o.width, s);
                           },
                           [&](const forward::SoftCap& o) { softcap_forward(at(o.x), o.cap, n * o.width, s); },
                           [&](const forward::RouteExperts& o) { route_experts(o, at(o.logits), at(o.out), n); },
                           [&](const forward::MoeFfn& o) { mix_experts(o, w, at(o.in), at(o.routing), at(o.out), n); },
                           [&](const forward::SharedExpertGate& o) {
                               shared_expert_gate_forward(at(o.x), at(o.gate), n, o.width, o.plain_sigmoid, s);
                           },
                           [&](const forward::Record& o) { record(c.trace, layer, o.name, at(o.slot), n, o.width); },
                           [&](const forward::Slice& o) { slice_forward(at(o.out), at(o.in), n, o.in_width, o.offset, o.width, s); },
                           [&](const forward::SplitHeads& o) {
                               split_heads_forward(at(o.first), at(o.second), at(o.in), n, o.n_heads, o.head_dim, s);
                           },
                           [&](const forward::RopeMulti& o) {
                               const std::size_t i = dims_.table_of(o, program_);
                               const std::uint64_t pairs = dims_.n_pairs[i];
                               rope_forward(at(o.x), n, o.n_heads, o.head_dim, program_.ropes[static_cast<std::size_t>(o.table)].n_rot,
                                            true, ropes_[i].cos.data() + c.first * pairs, ropes_[i].sin.data() + c.first * pairs, s);
                           },
                           [&](const forward::SigmoidGate& o) { sigmoid_gate_forward(at(o.out), at(o.in), at(o.gate), n * o.width, s); },
                           [&](const forward::CausalConv& o) {
                               causal_conv_silu_forward(at(o.out), at(o.in), w.vector(o.taps), conv_state_.at(static_cast<std::size_t>(layer)).data(),
                                                        n, o.channels, o.d_conv, s);
                           },
                           [&](const forward::DeltaNet& o) {
                               const forward::ops::DeltaNetShape& d = o.shape;
                               delta_net_forward(at(o.out), at(o.qkv), at(o.alpha), at(o.beta), w.vector(o.dt_bias), w.vector(o.ssm_a),
                                                 delta_state_.at(static_cast<std::size_t>(layer)).data(), n, d.n_k_heads, d.n_v_heads,
                                                 d.head_dim, o.eps, s);
                           },
                           [&](const forward::GatedRmsNorm& o) {
                               rmsnorm_forward(at(o.out), at(o.in), w.vector(o.weight), n * (o.width / o.group), o.group, o.eps, s);
                               silu_gate_forward(at(o.out), at(o.gate), n * o.width, s);
                           },
                           [&](const forward::Temperature& o) {
                               temperature_forward(at(o.x), n, o.width, c.first, o.scale, o.interval, s);
                           },
                       },
                       op);
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

    // The routing is chosen on the host by the CPU's own function (the chosen experts drive the loop of
    // mix_experts there anyway).
    void route_experts(const forward::RouteExperts& o, const float* logits, float* routing, std::uint64_t n) {
        const std::uint64_t k = o.params.n_expert_used;
        download(logits, n * o.n_expert);
        const forward::ops::Routing r = forward::ops::route_experts(host_, o.n_expert, o.params);
        host_.resize(n * 2 * k);
        forward::ops::write_routing(r, k, host_);
        GGUF_CUDA_CHECK(cudaMemcpyAsync(routing, host_.data(), host_.size() * sizeof(float), cudaMemcpyHostToDevice, stream_.get()));
        stream_.synchronize();  // host_ is reused
    }

    // Each expert multiplies the tokens that chose it, gathered, into its rows of the grouped outputs,
    // which are then summed per token in routing order (ops::moe_ffn).
    void mix_experts(const forward::MoeFfn& o, const ScopeRefs& w, const float* x, const float* routing, float* out,
                     std::uint64_t n) {
        cudaStream_t s = stream_.get();
        const std::uint64_t k = o.n_expert_used;
        const MatrixRef& gate0 = w.matrices[static_cast<std::size_t>(o.gate)];
        const std::uint64_t n_in = gate0.n_in, n_ff = gate0.n_out, n_out = w.matrices[static_cast<std::size_t>(o.down)].n_out;
        download(routing, n * 2 * k);
        const forward::ops::Routing r = forward::ops::read_routing(host_, k, o.n_expert);
        const forward::ops::ExpertGroups g = forward::ops::group_by_expert(r, k, o.n_expert);
        std::int32_t* tokens = moe_indices_.data();
        std::int32_t* positions = tokens + n * k;
        moe_indices_.upload(g.token, s);
        moe_indices_.upload(g.position, s, n * k);
        // Each piece starts 16-byte aligned, as the products' inputs must.
        const auto aligned = [](std::uint64_t floats) { return (floats + kMoeAlignFloats - 1) / kMoeAlignFloats * kMoeAlignFloats; };
        float* xs = moe_.data();
        float* gate = xs + aligned(n * n_in);
        float* up = gate + aligned(n * n_ff);
        float* y = up + aligned(n * n_ff);
        for (std::uint64_t e = 0; e < o.n_expert; ++e) {
            const std::uint64_t first = g.start[e], m = g.start[e + 1] - first;
            if (m == 0) continue;
            gather_rows_forward(xs, x, tokens + first, m, n_in, s);
            const auto bias = [&](int first_bias) { return w.vector(first_bias < 0 ? -1 : first_bias + static_cast<int>(e)); };
            linear(xs, m, w.matrices[static_cast<std::size_t>(o.gate) + e], bias(o.gate_bias), gate);
            linear(xs, m, w.matrices[static_cast<std::size_t>(o.up) + e], bias(o.up_bias), up);
            if (o.swiglu_limit > 0.0f) swiglu_clamped_forward(gate, gate, up, m * n_ff, o.swiglu_alpha, o.swiglu_limit, s);
            else swiglu_forward(gate, gate, up, m * n_ff, s);
            linear(gate, m, w.matrices[static_cast<std::size_t>(o.down) + e], bias(o.down_bias), y + first * n_out);
        }
        combine_experts_forward(out, y, positions, routing + k, 2 * k, n, k, n_out, s);
        stream_.synchronize();  // the index uploads read g's memory
    }

    // host_ = `count` floats of device memory, after the work queued before.
    void download(const float* data, std::uint64_t count) {
        host_.resize(count);
        GGUF_CUDA_CHECK(cudaMemcpyAsync(host_.data(), data, count * sizeof(float), cudaMemcpyDeviceToHost, stream_.get()));
        stream_.synchronize();
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

    // Whether this step may be captured: graphs are on, and cuBLAS has its own workspace (allocated at
    // the first step, if the budget has room; without it steps are launched one by one).
    bool graph_ready() {
        if (!step_graphs_) return false;
        if (blas_workspace_.size() > 0) return true;
        make_room(MemoryBudget::rounded(kBlasWorkspaceBytes));
        if (!budget_.fits(MemoryBudget::rounded(kBlasWorkspaceBytes))) return step_graphs_ = false;
        blas_workspace_ = budget_.allocate<std::uint8_t>(kBlasWorkspaceBytes, "the cuBLAS workspace");
        blas_.set_workspace(blas_workspace_.data(), blas_workspace_.size());
        return true;
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
        for (DeviceBuffer<float>& b : a_) budget_.release(b);
        budget_.release(moe_);
        budget_.release(moe_indices_);
        make_room(dims_.activation_bytes(tokens));
        for (std::size_t i = 0; i < forward::kSlotCount; ++i)
            if (dims_.width[i] > 0) a_[i] = budget_.allocate<float>(tokens * dims_.width[i], "activations");
        if (dims_.moe.k > 0) {
            moe_ = budget_.allocate<float>(tokens * dims_.moe.floats() + 3 * kMoeAlignFloats, "mixture-of-experts scratch");
            moe_indices_ = budget_.allocate<std::int32_t>(tokens * dims_.moe.indices(), "mixture-of-experts scratch");
        }
    }

    // The KV cache holds `positions` rows per layer; growing keeps the rows evaluated so far.
    void grow_kv(std::uint64_t positions) {
        if (positions <= kv_positions_) return;
        const std::uint64_t target = std::max(positions, std::max<std::uint64_t>(2 * kv_positions_, 64));
        if (!k_cache_.empty()) stream_.synchronize();
        k_cache_.resize(dims_.n_layer);
        v_cache_.resize(dims_.n_layer);
        for (std::uint64_t l = 0; l < dims_.n_layer; ++l)
            for (auto [cache, width] : {std::pair{&k_cache_[l], dims_.k_width[l]}, std::pair{&v_cache_[l], dims_.v_width[l]}}) {
                if (width == 0) continue;
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

    // The recurrent layers' conv windows and delta-net states; fixed in size, zeroed by clear_state().
    void allocate_state() {
        conv_state_.resize(dims_.n_layer);
        delta_state_.resize(dims_.n_layer);
        for (std::uint64_t l = 0; l < dims_.n_layer; ++l) {
            if (dims_.conv_state[l] > 0) conv_state_[l] = budget_.allocate<float>(dims_.conv_state[l], "the recurrent state");
            if (dims_.delta_state[l] > 0) delta_state_[l] = budget_.allocate<float>(dims_.delta_state[l], "the recurrent state");
            recurrent_ = recurrent_ || dims_.conv_state[l] > 0 || dims_.delta_state[l] > 0;
        }
    }

    void clear_state() {
        for (auto* states : {&conv_state_, &delta_state_})
            for (DeviceBuffer<float>& b : *states)
                if (b.size() > 0) GGUF_CUDA_CHECK(cudaMemsetAsync(b.data(), 0, b.size() * sizeof(float), stream_.get()));
        state_stale_ = false;
    }

    // cos and sin of every position's RoPE angles, computed on the host by the CPU's own functions.
    void grow_rope(std::uint64_t positions) {
        if (positions <= rope_positions_) return;
        const std::uint64_t target = std::max(positions, std::max<std::uint64_t>(2 * rope_positions_, 64));
        for (std::size_t i = 0; i < ropes_.size(); ++i) {
            RopeTable& t = ropes_[i];
            const std::uint64_t pairs = dims_.n_pairs[i];
            t.host_cos.resize(target * pairs);
            t.host_sin.resize(target * pairs);
            for (std::uint64_t pos = rope_positions_; pos < target; ++pos) {
                const std::span cos(t.host_cos.data() + pos * pairs, pairs), sin(t.host_sin.data() + pos * pairs, pairs);
                if (i < program_.ropes.size()) {
                    forward::ops::rope_angles(program_.ropes[i], static_cast<std::int64_t>(pos), cos, sin);
                } else {
                    const SectionedRope& r = dims_.sectioned[i - program_.ropes.size()];
                    forward::ops::rope_multi_angles(program_.ropes[static_cast<std::size_t>(r.table)], r.sections, r.interleaved,
                                                    forward::ops::text_positions(static_cast<std::int64_t>(pos)), cos, sin);
                }
            }
            t.cos = grown(t.cos, target * pairs, "RoPE tables");
            t.sin = grown(t.sin, target * pairs, "RoPE tables");
            t.cos.upload(t.host_cos, stream_.get());
            t.sin.upload(t.host_sin, stream_.get());
        }
        stream_.synchronize();
        rope_positions_ = target;
    }

    // The GELU table GeGlu reads when the program has a GeGlu op: ggml's table (the formula at every
    // half-precision input, rounded to half precision), from the CPU's own formula.
    void upload_gelu_table() {
        const auto uses_geglu = [](const std::vector<forward::Op>& ops) {
            return std::any_of(ops.begin(), ops.end(), [](const forward::Op& op) { return std::holds_alternative<forward::GeGlu>(op); });
        };
        if (!std::any_of(program_.layers.begin(), program_.layers.end(),
                         [&](const forward::LayerProgram& l) { return uses_geglu(l.ops); }))
            return;
        std::vector<float> table(kGeluTableSize);
        for (std::uint64_t h = 0; h < kGeluTableSize; ++h)
            table[h] = fp16_to_fp32(fp32_to_fp16(forward::ops::gelu_tanh(fp16_to_fp32(static_cast<std::uint16_t>(h)))));
        gelu_table_ = budget_.allocate<float>(kGeluTableSize, "the GELU table");
        gelu_table_.upload(table, stream_.get());
        stream_.synchronize();
    }

    // Query rows attention processes per step, growing its workspace as the cache grows. Called before
    // any layer's weights are acquired: growing may free decoded weight copies.
    std::uint64_t prepare_attention(std::uint64_t n, std::uint64_t n_kv) {
        if (dims_.attention.empty()) return 1;
        std::uint64_t rows = dims_.attention_rows(n, n_kv);
        for (;;) {
            const std::uint64_t floats = dims_.attention_floats(rows, n_kv);
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
    forward::Program program_;
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
    std::array<DeviceBuffer<float>, forward::kSlotCount> a_;  // k and v stay empty: they are cache rows
    DeviceBuffer<float> scratch_, attention_;
    DeviceBuffer<float> moe_;                 // MoeScratch's floats for chunk_ tokens
    DeviceBuffer<std::int32_t> moe_indices_;  // and its indices
    std::vector<DeviceBuffer<float>> k_cache_, v_cache_;
    std::uint64_t kv_positions_ = 0;
    std::vector<DeviceBuffer<float>> conv_state_, delta_state_;  // per layer; empty without recurrent state
    bool recurrent_ = false;                                    // some layer carries recurrent state
    bool state_stale_ = true;                                   // to be zeroed before the next pass
    std::vector<RopeTable> ropes_;
    DeviceBuffer<float> gelu_table_;
    std::uint64_t rope_positions_ = 0;
    std::vector<float> host_;  // a trace record on its way to the host
    PinnedBuffer logits_staging_;
    std::vector<std::unique_ptr<Event>> download_done_;  // one per piece of a logits download
    Event pass_start_{Event::Kind::timing}, pass_end_{Event::Kind::timing};  // around each chunk's pass
    bool step_graphs_ = false;
    StepGraph step_graph_;
    DeviceBuffer<std::uint8_t> blas_workspace_;
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
        return kPlanSlack + vectors + dims.state_bytes() + dims.activation_bytes(chunk) + plan.scratch_floats * sizeof(float) +
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
    auto arch = forward::describe_architecture(model, *spec, options.context_length);
    if (!arch) return arch.error();
    auto layout = describe_weights(model, *arch);
    if (!layout) return layout.error();

    const std::uint64_t usable = device->free_bytes > kDeviceMargin ? device->free_bytes - kDeviceMargin : 0;
    const std::uint64_t budget = options.memory_limit_bytes ? std::min(options.memory_limit_bytes, usable) : usable;
    const Dims dims(*arch);
    auto plan = plan_memory(dims, *layout, *spec, budget);
    if (!plan) return plan.error();
    try {
        GGUF_CUDA_CHECK(cudaSetDevice(options.device));
        return std::unique_ptr<CudaForward>(
            std::make_unique<CudaPass>(std::move(*spec), std::move(arch->program), std::move(*layout), dims, options, *plan, budget));
    } catch (const std::exception& e) {
        return pass_error("cuda:" + std::to_string(options.device) + ": " + e.what());
    }
}

}  // namespace gguf::cuda
