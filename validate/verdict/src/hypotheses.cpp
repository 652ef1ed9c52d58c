#include "gguf/verdict/hypotheses.hpp"

#include <fmt/format.h>
#include <numeric>

#include "gguf/verdict/transforms.hpp"

namespace gguf::verdict {
namespace {

using Replacements = std::vector<TensorReplacement>;
using Make = std::function<Result<TensorReplacement>(const Container&, const std::string&)>;

std::string layer_tensor(std::uint64_t layer, std::string_view suffix) {
    return fmt::format("blk.{}.{}", layer, suffix);
}

bool has(const Container& model, const std::string& name) { return model.find_tensor(name) != nullptr; }

// The same transformation of every tensor in `names`.
std::function<Result<Replacements>(const Container&)> each(std::vector<std::string> names, Make make) {
    return [names = std::move(names), make = std::move(make)](const Container& model) -> Result<Replacements> {
        Replacements out;
        for (const auto& n : names) {
            auto r = make(model, n);
            if (!r) return r.error();
            out.push_back(std::move(*r));
        }
        return out;
    };
}

// Layers [first, last] of a hypothesis: every_layer means all of them.
std::vector<std::uint64_t> layers_of(std::int64_t layer, std::uint64_t n_layer) {
    if (layer != every_layer) return {static_cast<std::uint64_t>(layer)};
    std::vector<std::uint64_t> all(n_layer);
    std::iota(all.begin(), all.end(), 0);
    return all;
}

// The per-block hypotheses, for one block or (every_layer) all of them.
void block_hypotheses(const Container& model, const model::ModelSpec& spec, std::int64_t layer, std::vector<Hypothesis>& out) {
    const auto layers = layers_of(layer, spec.n_layer);
    const auto names = [&](std::initializer_list<std::string_view> suffixes) {
        std::vector<std::string> n;
        for (const auto l : layers)
            for (const auto s : suffixes)
                if (has(model, layer_tensor(l, s))) n.push_back(layer_tensor(l, s));
        return n;
    };

    // Q/K rows in the other RoPE order, both directions. Biases follow their rows. A converter does
    // this to every block, so it is tried on all of them at once only.
    for (const bool to_gguf : {true, false}) {
        if (layer != every_layer) break;
        std::vector<std::string> tensors;
        for (const auto l : layers)
            for (const auto s : {"attn_q.weight", "attn_q.bias", "attn_k.weight", "attn_k.bias"})
                if (has(model, layer_tensor(l, s))) tensors.push_back(layer_tensor(l, s));
        if (tensors.empty() || spec.head_dim < 2 || spec.head_dim % 2 != 0) continue;
        const auto order_q = rope_row_order(spec.n_head, spec.head_dim, to_gguf);
        const auto order_k = rope_row_order(spec.n_head_kv, spec.head_dim, to_gguf);
        Hypothesis h;
        h.id = to_gguf ? "qk_hf_order" : "qk_double_permuted";
        h.mistake = to_gguf ? "attn_q/attn_k rows left in Hugging Face order (rotate-half RoPE) instead of GGUF's interleaved pairs"
                            : "attn_q/attn_k rows permuted into GGUF's RoPE order once too often";
        h.undo = to_gguf ? "rows of each head permuted into GGUF's RoPE order" : "rows of each head permuted back into Hugging Face order";
        h.layer = layer;
        h.tensors = tensors;
        h.make = each(tensors, [order_q, order_k](const Container& m, const std::string& n) {
            return reorder_rows(m, n, n.find("attn_q") != std::string::npos ? order_q : order_k);
        });
        out.push_back(std::move(h));
    }

    // Norm vectors rescaled or shifted by a converter: to every block at once, so tried that way only.
    std::vector<std::string> norms;
    if (layer == every_layer) norms = names({"attn_norm.weight", "ffn_norm.weight", "attn_q_norm.weight", "attn_k_norm.weight"});
    if (layer == every_layer && has(model, "output_norm.weight")) norms.push_back("output_norm.weight");
    if (!norms.empty()) {
        Hypothesis by_mean{"norms_scaled", "norm vectors scaled by a constant", "each norm vector divided by its mean", layer, norms, {}};
        by_mean.make = each(norms, [](const Container& m, const std::string& n) {
            return map_values_with(m, n, [](std::vector<float> v) {
                double sum = 0;
                for (const float x : v) sum += x;
                const double mean = v.empty() ? 1.0 : sum / static_cast<double>(v.size());
                if (mean != 0)
                    for (auto& x : v) x = static_cast<float>(x / mean);
                return v;
            });
        });
        out.push_back(std::move(by_mean));
        for (const float shift : {-1.0f, 1.0f}) {
            Hypothesis h{shift < 0 ? "norms_plus_one" : "norms_minus_one",
                         shift < 0 ? "norm vectors stored as 1 + weight (a converter added 1)"
                                   : "norm vectors stored as weight - 1 (the 1 + weight convention left unapplied)",
                         shift < 0 ? "1 subtracted from every norm value" : "1 added to every norm value", layer, norms, {}};
            h.make = each(norms, [shift](const Container& m, const std::string& n) {
                return map_values(m, n, [shift](float x) { return x + shift; });
            });
            out.push_back(std::move(h));
        }
    }

    // ffn_gate and ffn_up exchanged.
    {
        std::vector<std::string> tensors;
        for (const auto l : layers) {
            const auto gate = layer_tensor(l, "ffn_gate.weight"), up = layer_tensor(l, "ffn_up.weight");
            const TensorInfo* g = model.find_tensor(gate);
            const TensorInfo* u = model.find_tensor(up);
            if (g && u && g->ne == u->ne) {
                tensors.push_back(gate);
                tensors.push_back(up);
            }
        }
        if (!tensors.empty()) {
            Hypothesis h{"gate_up_swapped", "ffn_gate and ffn_up exchanged", "ffn_gate and ffn_up swapped back", layer, tensors, {}};
            h.make = [tensors](const Container& m) -> Result<Replacements> {
                Replacements swapped;
                for (std::size_t k = 0; k + 1 < tensors.size(); k += 2) {
                    auto a = take_data(m, tensors[k], tensors[k + 1]);
                    if (!a) return a.error();
                    auto b = take_data(m, tensors[k + 1], tensors[k]);
                    if (!b) return b.error();
                    swapped.push_back(std::move(*a));
                    swapped.push_back(std::move(*b));
                }
                return swapped;
            };
            out.push_back(std::move(h));
        }
    }

    // Square projections stored transposed.
    for (const auto* kind : {"attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight"}) {
        std::vector<std::string> tensors;
        for (const auto& n : names({kind})) {
            const TensorInfo* t = model.find_tensor(n);
            if (t->n_dims == 2 && t->ne[0] == t->ne[1]) tensors.push_back(n);
        }
        if (tensors.empty()) continue;
        const std::string short_name(std::string_view(kind).substr(0, std::string_view(kind).find('.')));
        Hypothesis h{"transposed_" + short_name, short_name + " stored transposed", short_name + " transposed back", layer, tensors, {}};
        h.make = each(tensors, [](const Container& m, const std::string& n) { return untranspose(m, n); });
        out.push_back(std::move(h));
    }

    // The block left out: its attention and FFN add nothing to the residual stream. When that helps
    // decisively, the block makes the prediction worse (tensors of another block, damaged data).
    if (layer != every_layer) {
        std::vector<std::string> outputs = names({"attn_output.weight", "attn_output.bias", "ffn_down.weight", "ffn_down.bias"});
        if (!outputs.empty()) {
            Hypothesis h{"block_harmful", "the block makes the prediction worse", "the block skipped (its attn_output and ffn_down zeroed)",
                         layer, outputs, {}};
            h.make = each(outputs, [](const Container& m, const std::string& n) { return zeros(m, n); });
            out.push_back(std::move(h));
        }
    }


}

// Hypotheses about the whole file.
void model_hypotheses(const Container& model, const model::ModelSpec& spec, std::vector<Hypothesis>& out) {
    // Embedding rows off by one token.
    if (const TensorInfo* embd = model.find_tensor("token_embd.weight"); embd && embd->n_rows() > 1) {
        const std::uint64_t n = embd->n_rows();
        for (const int step : {1, -1}) {
            std::vector<std::uint64_t> source(n);
            for (std::uint64_t k = 0; k < n; ++k) source[k] = step > 0 ? (k + 1) % n : (k + n - 1) % n;
            Hypothesis h{step > 0 ? "embd_rows_late" : "embd_rows_early",
                         step > 0 ? "token_embd rows one token late (row k holds token k-1)"
                                  : "token_embd rows one token early (row k holds token k+1)",
                         step > 0 ? "token_embd rows moved up by one" : "token_embd rows moved down by one",
                         every_layer, {"token_embd.weight"}, {}};
            h.make = each({"token_embd.weight"}, [source](const Container& m, const std::string& name) {
                return reorder_rows(m, name, source);
            });
            out.push_back(std::move(h));
        }
    }

    // The output matrix written transposed (any shape: its data read as the transposed matrix's).
    if (const TensorInfo* output = model.find_tensor("output.weight"); output && output->n_dims == 2) {
        Hypothesis h{"transposed_output", "output (lm_head) stored transposed", "output read as the transposed matrix",
                     every_layer, {"output.weight"}, {}};
        h.make = each({"output.weight"}, [](const Container& m, const std::string& n) { return untranspose(m, n); });
        out.push_back(std::move(h));
    }

    // Float data in the other byte order.
    std::vector<std::string> floats;
    std::vector<std::string> halves;
    for (const auto& t : model.tensors()) {
        const auto type = static_cast<TypeId>(t.type);
        if (type == TypeId::F32 || type == TypeId::F16 || type == TypeId::BF16) floats.push_back(t.name);
        if (type == TypeId::F16 || type == TypeId::BF16) halves.push_back(t.name);
    }
    if (!floats.empty()) {
        Hypothesis h{"byte_order", "F32/F16/BF16 data in the other byte order than the header's",
                     "the float tensors read with their bytes swapped", every_layer, floats, {}};
        h.make = each(floats, [](const Container& m, const std::string& n) { return swap_byte_order(m, n); });
        out.push_back(std::move(h));
    }
    if (!halves.empty()) {
        Hypothesis h{"half_type_mislabelled", "F16 data labelled BF16 or BF16 data labelled F16",
                     "the 16-bit float tensors read as the other 16-bit type", every_layer, halves, {}};
        h.make = each(halves, [](const Container& m, const std::string& n) {
            const auto type = static_cast<TypeId>(m.find_tensor(n)->type);
            return relabel(m, n, static_cast<std::uint32_t>(type == TypeId::F16 ? TypeId::BF16 : TypeId::F16));
        });
        out.push_back(std::move(h));
    }
    (void)spec;
}

}  // namespace

std::vector<std::uint64_t> rope_row_order(std::uint64_t n_heads, std::uint64_t head_dim, bool to_gguf) {
    // Within a head, GGUF row 2i + j holds Hugging Face row j * head_dim/2 + i (j = 0, 1).
    const std::uint64_t half = head_dim / 2;
    std::vector<std::uint64_t> source(n_heads * head_dim);
    for (std::uint64_t h = 0; h < n_heads; ++h)
        for (std::uint64_t i = 0; i < half; ++i)
            for (std::uint64_t j = 0; j < 2; ++j) {
                const std::uint64_t gguf = h * head_dim + 2 * i + j, hf = h * head_dim + j * half + i;
                if (to_gguf) source[gguf] = hf;
                else source[hf] = gguf;
            }
    return source;
}

std::vector<Hypothesis> hypotheses(const Container& model, const model::ModelSpec& spec) {
    std::vector<Hypothesis> out;
    block_hypotheses(model, spec, every_layer, out);
    model_hypotheses(model, spec, out);
    if (spec.n_layer > 1)
        for (std::uint64_t l = 0; l < spec.n_layer; ++l) block_hypotheses(model, spec, static_cast<std::int64_t>(l), out);
    return out;
}

}  // namespace gguf::verdict
