#include "weights.hpp"

#include <cstring>
#include <fmt/format.h>

#include "gguf/dequant.hpp"

namespace gguf::forward {

WeightMatrix::WeightMatrix(TensorView view, std::uint64_t n_in, std::uint64_t n_out)
    : view_(view), n_in_(n_in), n_out_(n_out) {
    direct_ = view.info->type == static_cast<std::uint32_t>(TypeId::F32) && view.order == host_byte_order;
}

void WeightMatrix::prepare() {
    if (keep_ && !direct_ && kept_.empty()) kept_.resize(n_in_ * n_out_);
}

Result<const float*> WeightMatrix::rows(std::uint64_t first, std::uint64_t count, std::vector<float>& scratch) {
    if (direct_) return reinterpret_cast<const float*>(view_.bytes.data()) + first * n_in_;
    if (complete_) return kept_.data() + first * n_in_;
    std::span<float> out;
    if (!kept_.empty()) {
        out = {kept_.data() + first * n_in_, count * n_in_};
    } else {
        if (scratch.size() < count * n_in_) scratch.resize(count * n_in_);
        out = {scratch.data(), count * n_in_};
    }
    if (auto r = dequant::decode_rows(view_, first, count, out); !r) return r.error();
    return out.data();
}

namespace {

// Finds tensors and checks their shapes; remembers the first problem.
class TensorFinder {
public:
    TensorFinder(const Container& model) : model_(model) {}

    const TensorInfo* find(const std::string& name, std::vector<std::uint64_t> shape, bool required) {
        const TensorInfo* t = model_.find_tensor(name);
        if (!t) {
            if (required) fail(name, "is missing");
            return nullptr;
        }
        bool same = t->n_dims >= 1;
        for (std::size_t d = 0; d < max_dims; ++d) same = same && t->ne[d] == (d < shape.size() ? shape[d] : 1);
        if (!same) {
            fail(name, fmt::format("has shape [{}], expected [{}]", fmt::join(std::span(t->ne.data(), t->n_dims), ", "),
                                   fmt::join(shape, ", ")));
            return nullptr;
        }
        if (!t->data_valid) {
            fail(name, "has unreadable data (unknown type or out of the file)");
            return nullptr;
        }
        if (!dequant::is_supported(t->type)) {
            fail(name, "has type " + type_label(t->type) + ", which has no dequantizer here");
            return nullptr;
        }
        return t;
    }

    WeightMatrix matrix(const std::string& name, std::uint64_t n_in, std::uint64_t n_out) {
        const TensorInfo* t = find(name, {n_in, n_out}, true);
        if (!t) return {};
        auto view = model_.view(*t);
        if (!view) {
            fail(name, view.error().message);
            return {};
        }
        return WeightMatrix(*view, n_in, n_out);
    }

    std::vector<float> vector(const std::string& name, std::uint64_t n, bool required) {
        const TensorInfo* t = find(name, {n}, required);
        if (!t) return {};
        auto view = model_.view(*t);
        if (!view) {
            fail(name, view.error().message);
            return {};
        }
        auto values = dequant::to_float(*view, 1);
        if (!values) {
            fail(name, values.error().message);
            return {};
        }
        return std::move(*values);
    }

    const std::optional<Error>& error() const { return error_; }

private:
    void fail(const std::string& name, const std::string& what) {
        if (!error_) error_ = Error{ErrorCode::invalid_argument, 0, "tensor '" + name + "' " + what, ""};
    }

    const Container& model_;
    std::optional<Error> error_;
};

std::string layer_tensor(std::uint64_t layer, std::string_view suffix) {
    return fmt::format("blk.{}.{}", layer, suffix);
}

// Optional tensors beyond the q/k/v biases (which every modelled architecture may have) that
// llama.cpp's graph of the architecture reads (src/models/<arch>.cpp, load_arch_tensors). A tensor the
// graph does not read is not used here either.
struct OptionalTensors {
    bool output_bias = false;       // output.bias (qwen2)
    bool attn_output_bias = false;  // blk.N.attn_output.bias (llama)
    bool ffn_biases = false;        // blk.N.ffn_{gate,up,down}.bias (llama)
};

OptionalTensors optional_tensors(const std::string& architecture) {
    if (architecture == "llama") return {false, true, true};
    if (architecture == "qwen2") return {true, false, false};
    return {};
}

}  // namespace

Result<ModelWeights> load_weights(const Container& model, const model::ModelSpec& spec, std::uint64_t keep_budget_bytes) {
    if (model.find_tensor("blk.0.attn_qkv.weight"))
        return Error{ErrorCode::invalid_argument, 0, "fused attn_qkv tensors are not supported by the reference forward pass", ""};
    if (model.get_u64(spec.architecture + ".expert_count").value_or(0) > 0)
        return Error{ErrorCode::invalid_argument, 0, "mixture-of-experts models are not supported by the reference forward pass", ""};

    const TensorInfo* embd = model.find_tensor("token_embd.weight");
    if (!embd) return Error{ErrorCode::invalid_argument, 0, "tensor 'token_embd.weight' is missing", ""};
    ModelWeights w;
    w.n_vocab = embd->ne[1];
    if (spec.n_vocab != 0 && spec.n_vocab != w.n_vocab)
        return Error{ErrorCode::invalid_argument, 0,
                     fmt::format("token_embd.weight has {} rows but the vocabulary has {} tokens", w.n_vocab, spec.n_vocab), ""};

    const std::uint64_t n_embd = spec.n_embd, n_q = spec.n_head * spec.head_dim, n_kv = spec.n_head_kv * spec.head_dim,
                        n_v = spec.n_head_kv * spec.head_dim_v, n_attn_out = spec.n_head * spec.head_dim_v;
    TensorFinder find(model);
    w.token_embd = find.matrix("token_embd.weight", n_embd, w.n_vocab);
    w.output_norm = find.vector("output_norm.weight", n_embd, true);
    if (model.find_tensor("output.weight")) w.output = find.matrix("output.weight", n_embd, w.n_vocab);
    const OptionalTensors optional = optional_tensors(spec.architecture);
    if (optional.output_bias) w.output_bias = find.vector("output.bias", w.n_vocab, false);

    w.layers.resize(spec.n_layer);
    for (std::uint64_t i = 0; i < spec.n_layer; ++i) {
        LayerWeights& l = w.layers[i];
        const auto name = [i](std::string_view suffix) { return layer_tensor(i, suffix); };
        l.attn_norm = find.vector(name("attn_norm.weight"), n_embd, true);
        l.wq = find.matrix(name("attn_q.weight"), n_embd, n_q);
        l.wk = find.matrix(name("attn_k.weight"), n_embd, n_kv);
        l.wv = find.matrix(name("attn_v.weight"), n_embd, n_v);
        l.wo = find.matrix(name("attn_output.weight"), n_attn_out, n_embd);
        l.bq = find.vector(name("attn_q.bias"), n_q, false);
        l.bk = find.vector(name("attn_k.bias"), n_kv, false);
        l.bv = find.vector(name("attn_v.bias"), n_v, false);
        if (optional.attn_output_bias) l.bo = find.vector(name("attn_output.bias"), n_embd, false);
        if (spec.qk_norm) {
            l.q_norm = find.vector(name("attn_q_norm.weight"), spec.head_dim, true);
            l.k_norm = find.vector(name("attn_k_norm.weight"), spec.head_dim, true);
        }
        l.ffn_norm = find.vector(name("ffn_norm.weight"), n_embd, true);
        l.gate = find.matrix(name("ffn_gate.weight"), n_embd, spec.n_ff);
        l.up = find.matrix(name("ffn_up.weight"), n_embd, spec.n_ff);
        l.down = find.matrix(name("ffn_down.weight"), spec.n_ff, n_embd);
        if (optional.ffn_biases) {
            l.b_gate = find.vector(name("ffn_gate.bias"), spec.n_ff, false);
            l.b_up = find.vector(name("ffn_up.bias"), spec.n_ff, false);
            l.b_down = find.vector(name("ffn_down.bias"), n_embd, false);
        }
        if (find.error()) return *find.error();
    }
    if (find.error()) return *find.error();

    // Keep decoded matrices in the order the pass uses them until the budget is spent.
    std::uint64_t left = keep_budget_bytes;
    const auto keep = [&left](WeightMatrix& m) {
        if (m.keep_cost() <= left) {
            m.keep_decoded();
            left -= m.keep_cost();
        }
    };
    for (auto& l : w.layers)
        for (WeightMatrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down}) keep(*m);
    keep(w.lm_head());
    return w;
}

}  // namespace gguf::forward
