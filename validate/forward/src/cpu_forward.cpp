// The CPU reference forward pass: executes an architecture's program (gguf/forward/program.hpp) op by
// op with the functions of ops.hpp. Everything is float32; sums of squares (RMSNorm) and softmax
// denominators are accumulated in double, as ggml does.
#include <omp.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <numeric>
#include <string>

#include "gguf/forward/cpu.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/forward/ops_extra.hpp"
#include "gguf/forward/ops_moe.hpp"
#include "gguf/forward/ops_temperature.hpp"
#include "gguf/forward/overloaded.hpp"
#include "gguf/forward/program.hpp"
#include "matmul.hpp"
#include "weight_matrix.hpp"

namespace gguf::forward {
namespace {

// A weight could not be decoded in the middle of a pass (the builder checked every tensor, so this is
// not expected); evaluate() turns it back into an Error.
struct DecodeFailure {
    Error error;
};


// The weights of one scope as the CPU reads them: matrices wrapped for panel decoding, vectors as bound.
struct CpuWeights {
    const WeightSet* bound = nullptr;
    std::vector<WeightMatrix> matrices;

    std::span<const float> vector(int index) const {
        return index < 0 ? std::span<const float>{} : std::span<const float>(bound->vectors[index].values);
    }
};

CpuWeights wrap(const WeightSet& set) {
    CpuWeights w{&set, {}};
    for (const BoundMatrix& m : set.matrices) w.matrices.emplace_back(m.view, m.n_in, m.n_out, m.first_row);
    return w;
}

// The slots of one evaluate() call, each [T][its program width].
struct Activations {
    Activations(const Program& p, std::uint64_t T) : T(T) {
        for (std::size_t s = 0; s < kSlotCount; ++s)
            if (static_cast<Slot>(s) != Slot::logits) slots[s].resize(T * p.slot_width[s]);
        logits.resize(T * p.width(Slot::logits));
    }

    std::span<float> operator()(Slot s, std::uint64_t width) {
        float* data = s == Slot::logits ? logits.data() : slots[static_cast<std::size_t>(s)].data();
        return {data, T * width};
    }

    std::uint64_t T;
    std::array<std::vector<float>, kSlotCount> slots;
    LogitValues logits;  // written in full by the lm_head product
};

// Keys and values of every evaluated position of one layer.
struct KvCache {
    std::vector<float> k;  // [n_positions][k_width]
    std::vector<float> v;  // [n_positions][v_width]
};

// What a recurrent layer carries between calls (LayerProgram::conv_state, delta_state); zero at position 0.
struct RecurrentState {
    std::vector<float> conv;   // [channels][d_conv - 1]
    std::vector<float> delta;  // [n_v_heads][head_dim][head_dim]
};

class CpuForward final : public Forward {
public:
    CpuForward(model::ModelSpec spec, Architecture arch, int threads, std::uint64_t keep_budget_bytes)
        : spec_(std::move(spec)), arch_(std::move(arch)), threads_(threads), cache_(arch_.program.layers.size()) {
        for (const LayerProgram& l : arch_.program.layers) {
            state_.push_back({std::vector<float>(l.conv_state), std::vector<float>(l.delta_state)});
            recurrent_ = recurrent_ || l.conv_state > 0 || l.delta_state > 0;
        }
        globals_ = wrap(arch_.weights.globals);
        for (const WeightSet& set : arch_.weights.layers) layers_.push_back(wrap(set));
        keep_decoded(keep_budget_bytes);
    }

    const model::ModelSpec& spec() const override { return spec_; }
    std::string_view backend() const override { return "cpu"; }
    std::uint64_t position() const override { return n_past_; }
    void reset() override {
        truncate_cache(0);
        for (RecurrentState& s : state_) {
            std::fill(s.conv.begin(), s.conv.end(), 0.0f);
            std::fill(s.delta.begin(), s.delta.end(), 0.0f);
        }
    }

    Result<Logits> evaluate(std::span<const std::int32_t> tokens, Trace* trace) override {
        const std::uint64_t n_vocab = arch_.weights.n_vocab;
        for (std::size_t i = 0; i < tokens.size(); ++i)
            if (tokens[i] < 0 || static_cast<std::uint64_t>(tokens[i]) >= n_vocab)
                return Error{ErrorCode::invalid_argument, 0,
                             fmt::format("token id {} at index {} is outside the vocabulary [0, {})", tokens[i], i, n_vocab), ""};
        const std::uint64_t T = tokens.size();
        if (T == 0) return Logits{0, n_vocab, {}};
        Activations a(arch_.program, T);
        std::vector<std::int64_t> positions(T);
        std::iota(positions.begin(), positions.end(), static_cast<std::int64_t>(n_past_));
        const Step step{tokens, positions, a, trace};
        try {
            run(arch_.program.input, -1, globals_, step);
            for (std::size_t il = 0; il < arch_.program.layers.size(); ++il)
                run(arch_.program.layers[il].ops, static_cast<std::int32_t>(il), layers_[il], step);
            run(arch_.program.output, -1, globals_, step);
        } catch (const DecodeFailure& failure) {
            return failed(failure.error);
        } catch (const std::exception& e) {
            // An op refused its operands: an error for the caller to report, never a crash.
            return failed(Error{ErrorCode::invalid_argument, 0, std::string("CPU forward pass: ") + e.what(), ""});
        }
        n_past_ += T;
        return Logits{T, n_vocab, std::move(a.logits)};
    }

private:
    // Undoes a call that failed part way: the KV caches drop its positions. Recurrent state cannot be
    // rolled back (the call advanced it in place), so a model with recurrent layers starts over instead.
    Error failed(Error error) {
        if (!recurrent_) {
            truncate_cache(n_past_);
            return error;
        }
        reset();
        error.message += " (the recurrent state was reset: the next call starts at position 0)";
        return error;
    }

    struct Step {
        std::span<const std::int32_t> tokens;
        std::span<const std::int64_t> positions;
        Activations& a;
        Trace* trace;
    };

    // Executes one section of the program; `layer` is -1 for the input and output sections.
    void run(const std::vector<Op>& ops, std::int32_t layer, CpuWeights& w, const Step& step) {
        Activations& a = step.a;
        const std::uint64_t T = a.T;
        for (const Op& op : ops)
            std::visit(Overloaded{
                           [&](const Embed& o) { embed(step.tokens, w.matrices[o.matrix], a(o.out, w.matrices[o.matrix].n_in())); },
                           [&](const RmsNorm& o) {
                               ops::rms_norm(a(o.in, o.width), w.vector(o.weight), o.group, o.eps, a(o.out, o.width));
                           },
                           [&](const Linear& o) {
                               WeightMatrix& m = w.matrices[o.matrix];
                               project(a(o.in, m.n_in()), m, w.vector(o.bias), a(o.out, m.n_out()));
                           },
                           [&](const Add& o) { ops::add(a(o.a, o.width), a(o.b, o.width), a(o.out, o.width)); },
                           [&](const Rope& o) {
                               ops::rope(a(o.x, o.n_heads * o.head_dim), o.n_heads, o.head_dim, step.positions,
                                         arch_.program.ropes[o.table]);
                           },
                           [&](const Attention& o) { attend(o, static_cast<std::size_t>(layer), w, a); },
                           [&](const Scale& o) {
                               for (float& x : a(o.x, o.width)) x *= o.factor;
                           },
                           [&](const SwiGlu& o) { ops::swiglu(a(o.gate, o.width), a(o.up, o.width), a(o.out, o.width)); },
                           [&](const GeGlu& o) {
                               ops::geglu(a(o.gate, o.width), a(o.up, o.width), a(o.out, o.width), ops::GeluEvaluation::ggml_cpu_table);
                           },
                           [&](const SoftCap& o) { ops::softcap(a(o.x, o.width), o.cap); },
                           [&](const RouteExperts& o) {
                               const std::uint64_t k = o.params.n_expert_used;
                               ops::write_routing(ops::route_experts(a(o.logits, o.n_expert), o.n_expert, o.params), k,
                                                  a(o.out, 2 * k));
                           },
                           [&](const MoeFfn& o) { mix_experts(o, w, a); },
                           [&](const SharedExpertGate& o) {
                               std::vector<float> gate(a(o.gate, 1).begin(), a(o.gate, 1).end());
                               if (o.plain_sigmoid) ops::shared_expert_sigmoid(gate);
                               else ops::shared_expert_gate(gate);
                               const auto x = a(o.x, o.width);
                               for (std::uint64_t t = 0; t < T; ++t)
                                   for (std::uint64_t i = 0; i < o.width; ++i) x[t * o.width + i] *= gate[t];
                           },
                           [&](const Record& o) {
                               if (step.trace) step.trace->record(layer, o.name, {T, o.width}, a(o.slot, o.width));
                           },
                           [&](const SplitHeads& o) { split_heads(o, a); },
                           [&](const RopeMulti& o) {
                               std::vector<ops::SectionPositions> sections(T);
                               for (std::size_t t = 0; t < T; ++t) sections[t] = ops::text_positions(step.positions[t]);
                               ops::rope_multi(a(o.x, o.n_heads * o.head_dim), o.n_heads, o.head_dim, sections,
                                               arch_.program.ropes[o.table], o.sections, o.interleaved);
                           },
                           [&](const SigmoidGate& o) { ops::sigmoid_gate(a(o.in, o.width), a(o.gate, o.width), a(o.out, o.width)); },
                           [&](const CausalConv& o) {
                               const auto out = a(o.out, o.channels);
                               ops::causal_conv1d(a(o.in, o.channels), w.vector(o.taps), o.d_conv, state_[static_cast<std::size_t>(layer)].conv, out);
                               for (float& x : out) x = x / (1.0f + std::exp(-x));  // ggml_silu
                           },
                           [&](const DeltaNet& o) { delta_net(o, w, state_[static_cast<std::size_t>(layer)].delta, a); },
                           [&](const GatedRmsNorm& o) {
                               ops::gated_rms_norm(a(o.in, o.width), w.vector(o.weight), a(o.gate, o.width), o.group, o.eps,
                                                   a(o.out, o.width));
                           },
                           [&](const Temperature& o) {
                               ops::scale_by_temperature(a(o.x, o.width), o.width, step.positions, o.scale, o.interval);
                           },
                           [&](const Slice& o) { slice(o, a); },
                       },
                       op);
    }

    // Appends the new keys and values to the layer's cache and attends over it (or over the cache of
    // o.kv_layer, which this call's positions are already in).
    void attend(const Attention& o, std::size_t layer, const CpuWeights& w, Activations& a) {
        const ops::AttentionShape& s = o.shape;
        KvCache& cache = cache_[o.kv_layer >= 0 ? static_cast<std::size_t>(o.kv_layer) : layer];
        if (o.kv_layer < 0) {
            const auto k = a(Slot::k, s.n_head_kv * s.head_dim), v = a(Slot::v, s.n_head_kv * s.head_dim_v);
            cache.k.insert(cache.k.end(), k.begin(), k.end());
            cache.v.insert(cache.v.end(), v.begin(), v.end());
        }
        const auto q = a(o.q, s.n_head * s.head_dim);
        const auto out = a(o.out, s.n_head * s.head_dim_v);
        if (o.window == 0 && o.softcap == 0.0f && o.sinks < 0)
            ops::causal_attention(q, cache.k, cache.v, n_past_ + a.T, n_past_, s, o.scale, out, threads_);
        else
            ops::causal_attention_ext(q, cache.k, cache.v, n_past_ + a.T, n_past_, s, o.scale,
                                      {.sliding_window = o.window, .softcap = o.softcap, .sinks = w.vector(o.sinks)},
                                      out);
    }

    static void slice(const Slice& o, Activations& a) {
        const auto in = a(o.in, o.in_width), out = a(o.out, o.width);
        for (std::uint64_t t = 0; t < a.T; ++t)
            std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(t * o.in_width + o.offset), o.width,
                        out.begin() + static_cast<std::ptrdiff_t>(t * o.width));
    }

    // first/second[t][h] = the first/second half of head h of in[t].
    static void split_heads(const SplitHeads& o, Activations& a) {
        const std::uint64_t d = o.head_dim, heads = o.n_heads;
        const auto in = a(o.in, 2 * heads * d), first = a(o.first, heads * d), second = a(o.second, heads * d);
        for (std::uint64_t t = 0; t < a.T; ++t)
            for (std::uint64_t h = 0; h < heads; ++h) {
                const float* head = in.data() + (t * heads + h) * 2 * d;
                std::copy_n(head, d, first.begin() + static_cast<std::ptrdiff_t>((t * heads + h) * d));
                std::copy_n(head + d, d, second.begin() + static_cast<std::ptrdiff_t>((t * heads + h) * d));
            }
    }

    // The delta-net's q, k and v out of the conv rows, L2-normalised q and k, the gates, and the rule.
    static void delta_net(const DeltaNet& o, const CpuWeights& w, std::span<float> state, Activations& a) {
        const ops::DeltaNetShape& s = o.shape;
        const std::uint64_t T = a.T, key = s.n_k_heads * s.head_dim, value = s.n_v_heads * s.head_dim;
        const std::uint64_t row = 2 * key + value;
        const auto qkv = a(o.qkv, row);
        std::vector<float> q(T * key), k(T * key), v(T * value);
        for (std::uint64_t t = 0; t < T; ++t) {
            const float* r = qkv.data() + t * row;
            std::copy_n(r, key, q.begin() + static_cast<std::ptrdiff_t>(t * key));
            std::copy_n(r + key, key, k.begin() + static_cast<std::ptrdiff_t>(t * key));
            std::copy_n(r + 2 * key, value, v.begin() + static_cast<std::ptrdiff_t>(t * value));
        }
        ops::l2_norm(q, s.head_dim, o.eps, q);
        ops::l2_norm(k, s.head_dim, o.eps, k);
        const auto alpha = a(o.alpha, s.n_v_heads), beta = a(o.beta, s.n_v_heads);
        std::vector<float> g(alpha.begin(), alpha.end()), strength(beta.begin(), beta.end());
        ops::delta_net_gates(g, strength, w.vector(o.dt_bias), w.vector(o.ssm_a));
        ops::gated_delta_net(q, k, v, g, strength, s, state, a(o.out, value));
    }

    // The routed experts of MoeFfn, each multiplying the tokens that chose it at once.
    void mix_experts(const MoeFfn& o, CpuWeights& w, Activations& a) {
        const ops::ExpertShape shape{o.n_expert, w.matrices[o.gate].n_in(), w.matrices[o.gate].n_out(),
                                     w.matrices[o.down].n_out(), o.swiglu_alpha, o.swiglu_limit};
        const ops::Routing routing = ops::read_routing(a(o.routing, 2 * o.n_expert_used), o.n_expert_used, o.n_expert);
        const std::array<int, 3> first{o.gate, o.up, o.down};  // indexed by ops::ExpertMatrix
        const std::array<int, 3> first_bias{o.gate_bias, o.up_bias, o.down_bias};
        ops::moe_ffn(a(o.in, shape.n_in), routing, shape,
                     [&](std::size_t e, ops::ExpertMatrix which, std::span<const float> in, std::span<float> out) {
                         const int bias = first_bias[static_cast<std::size_t>(which)];
                         project(in, w.matrices[first[static_cast<std::size_t>(which)] + e],
                                 w.vector(bias < 0 ? -1 : bias + static_cast<int>(e)), out);
                     },
                     a(o.out, shape.n_out));
    }

    // out = x W^T (+ bias when the file has one).
    void project(std::span<const float> x, WeightMatrix& w, std::span<const float> bias, std::span<float> out) {
        if (auto r = matmul(x, w, out, threads_); !r) throw DecodeFailure{r.error()};
        if (!bias.empty()) ops::add_bias(out, bias);
    }

    // x[t] = row tokens[t] of the table (ggml_get_rows).
    void embed(std::span<const std::int32_t> tokens, WeightMatrix& table, std::span<float> x) {
        std::vector<float> scratch;
        const std::uint64_t width = table.n_in();
        for (std::size_t t = 0; t < tokens.size(); ++t) {
            auto row = table.rows(static_cast<std::uint64_t>(tokens[t]), 1, scratch);
            if (!row) throw DecodeFailure{row.error()};
            std::copy_n(*row, width, x.begin() + static_cast<std::ptrdiff_t>(t * width));
        }
    }

    // Keeps decoded matrices that products read, in the order the pass uses them, until the budget is spent.
    void keep_decoded(std::uint64_t budget) {
        const auto keep = [&budget](const std::vector<Op>& ops, CpuWeights& w) {
            const auto keep_matrix = [&](int index) {
                WeightMatrix& m = w.matrices[index];
                if (m.keep_cost() <= budget) {
                    m.keep_decoded();
                    budget -= m.keep_cost();
                }
            };
            for (const Op& op : ops) {
                if (const auto* linear = std::get_if<Linear>(&op)) keep_matrix(linear->matrix);
                if (const auto* moe = std::get_if<MoeFfn>(&op))
                    for (const int first : {moe->gate, moe->up, moe->down})
                        for (std::uint64_t e = 0; e < moe->n_expert; ++e) keep_matrix(first + static_cast<int>(e));
            }
        };
        for (std::size_t il = 0; il < layers_.size(); ++il) keep(arch_.program.layers[il].ops, layers_[il]);
        keep(arch_.program.output, globals_);
    }

    void truncate_cache(std::uint64_t n_positions) {
        for (std::size_t il = 0; il < cache_.size(); ++il) {
            cache_[il].k.resize(n_positions * arch_.program.layers[il].k_width);
            cache_[il].v.resize(n_positions * arch_.program.layers[il].v_width);
        }
        n_past_ = n_positions;
    }

    model::ModelSpec spec_;
    Architecture arch_;
    CpuWeights globals_;
    std::vector<CpuWeights> layers_;
    int threads_;
    std::vector<KvCache> cache_;
    std::vector<RecurrentState> state_;  // per layer; empty vectors for layers without recurrent state
    bool recurrent_ = false;             // some layer carries recurrent state
    std::uint64_t n_past_ = 0;
};

}  // namespace

Result<std::unique_ptr<Forward>> make_cpu_forward(const Container& model, const CpuOptions& options) {
    auto spec = model::read_spec(model);
    if (!spec) return spec.error();
    auto arch = describe_architecture(model, *spec, options.context_length);
    if (!arch) return arch.error();
    const int threads = options.threads > 0 ? options.threads : omp_get_num_procs();
    return std::unique_ptr<Forward>(
        std::make_unique<CpuForward>(std::move(*spec), std::move(*arch), threads, options.keep_decoded_bytes));
}

}  // namespace gguf::forward
