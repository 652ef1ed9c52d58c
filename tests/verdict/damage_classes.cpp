#include "damage_classes.hpp"

#include <cstring>
#include <fmt/format.h>
#include <numeric>
#include <random>

#include "gguf/quantize.hpp"
#include "gguf/verdict/hypotheses.hpp"
#include "gguf/verdict/transforms.hpp"

namespace gguf::test {
namespace {

using Replacements = std::vector<TensorReplacement>;
using verdict::f32_replacement;
using verdict::tensor_values;

std::string blk(std::uint64_t l, std::string_view suffix) { return fmt::format("blk.{}.{}", l, suffix); }

// Collects replacements, stopping at the first failure.
struct Collector {
    Replacements out;
    std::optional<Error> error;
    void add(Result<TensorReplacement> r) {
        if (error) return;
        if (!r) error = r.error();
        else out.push_back(std::move(*r));
    }
    Result<Replacements> done() {
        if (error) return *error;
        return std::move(out);
    }
};

std::vector<std::string> norm_names(const Container& m) {
    std::vector<std::string> out;
    for (const auto& t : m.tensors())
        if (t.name.ends_with("_norm.weight")) out.push_back(t.name);
    return out;
}

// The tensor's own bytes with every element's bytes reversed (F16/BF16/F32 only).
Result<TensorReplacement> byte_swapped(const Container& m, const std::string& name) {
    const TensorInfo* t = m.find_tensor(name);
    auto view = m.view(*t);
    if (!view) return view.error();
    const std::size_t width = t->type_info()->type_size;
    TensorReplacement r{name, t->type, std::vector<std::byte>(view->bytes.begin(), view->bytes.end())};
    for (std::size_t i = 0; i + width <= r.bytes.size(); i += width) std::reverse(r.bytes.begin() + i, r.bytes.begin() + i + width);
    return r;
}

// The matrix written as its transpose: flat position i * n_rows + o holds element (o, i).
Result<TensorReplacement> transposed(const Container& m, const std::string& name) {
    auto v = tensor_values(m, name);
    if (!v) return v.error();
    const TensorInfo* t = m.find_tensor(name);
    const std::uint64_t n_in = t->ne[0], n_out = t->n_rows();
    std::vector<float> out(v->size());
    for (std::uint64_t o = 0; o < n_out; ++o)
        for (std::uint64_t i = 0; i < n_in; ++i) out[i * n_out + o] = (*v)[o * n_in + i];
    return f32_replacement(name, out);
}

Variant rope_order(bool to_gguf) {
    return [to_gguf](const Container& m, const model::ModelSpec& s) {
        Collector c;
        for (std::uint64_t l = 0; l < s.n_layer; ++l) {
            c.add(verdict::reorder_rows(m, blk(l, "attn_q.weight"), verdict::rope_row_order(s.n_head, s.head_dim, to_gguf)));
            c.add(verdict::reorder_rows(m, blk(l, "attn_k.weight"), verdict::rope_row_order(s.n_head_kv, s.head_dim, to_gguf)));
        }
        return c.done();
    };
}

Variant on_norms(std::function<float(float)> f) {
    return [f](const Container& m, const model::ModelSpec&) {
        Collector c;
        for (const auto& n : norm_names(m)) c.add(verdict::map_values(m, n, f));
        return c.done();
    };
}

Variant gate_up_swap(std::vector<std::uint64_t> layers) {
    return [layers](const Container& m, const model::ModelSpec&) {
        Collector c;
        for (const auto l : layers) {
            c.add(verdict::take_data(m, blk(l, "ffn_gate.weight"), blk(l, "ffn_up.weight")));
            c.add(verdict::take_data(m, blk(l, "ffn_up.weight"), blk(l, "ffn_gate.weight")));
        }
        return c.done();
    };
}

Variant transpose(std::string suffix, std::vector<std::uint64_t> layers) {
    return [suffix, layers](const Container& m, const model::ModelSpec&) {
        Collector c;
        for (const auto l : layers) c.add(transposed(m, blk(l, suffix)));
        return c.done();
    };
}

std::vector<std::uint64_t> all_layers(std::uint64_t n) {
    std::vector<std::uint64_t> v(n);
    std::iota(v.begin(), v.end(), 0);
    return v;
}

Variant every_layer(std::function<Variant(std::vector<std::uint64_t>)> make) {
    return [make](const Container& m, const model::ModelSpec& s) { return make(all_layers(s.n_layer))(m, s); };
}

// Every tensor of the given types quantized to `type` (the vocabulary matrices to `vocab_type`).
Variant quantized(std::uint32_t type, std::uint32_t vocab_type) {
    return [type, vocab_type](const Container& m, const model::ModelSpec&) {
        Collector c;
        for (const auto& t : m.tensors()) {
            if (t.n_dims < 2) continue;
            const bool vocab = t.name == "token_embd.weight" || t.name == "output.weight";
            const std::uint32_t to = vocab ? vocab_type : type;
            auto v = tensor_values(m, t.name);
            if (!v) {
                c.add(v.error());
                continue;
            }
            auto bytes = dequant::quantize(to, *v, t.ne[0]);
            if (!bytes) c.add(bytes.error());
            else c.add(TensorReplacement{t.name, to, std::move(*bytes)});
        }
        return c.done();
    };
}

constexpr auto id(TypeId t) { return static_cast<std::uint32_t>(t); }

}  // namespace

std::vector<DamageClass> damage_classes() {
    std::vector<DamageClass> out;
    out.push_back({"Q/K rows in Hugging Face order", "qk_hf_order", rope_order(false)});
    out.push_back({"Q/K rows permuted twice", "qk_double_permuted", rope_order(true)});
    out.push_back({"norms scaled by 5", "norms_scaled", on_norms([](float x) { return 5 * x; })});
    out.push_back({"norms stored as 1 + w", "norms_plus_one", on_norms([](float x) { return x + 1; })});
    out.push_back({"ffn_gate and ffn_up swapped", "gate_up_swapped", every_layer(gate_up_swap)});
    out.push_back({"attn_output transposed", "transposed_attn_output", every_layer([](auto l) { return transpose("attn_output.weight", l); })});
    out.push_back({"attn_q transposed in block 2", "transposed_attn_q", transpose("attn_q.weight", {2})});
    out.push_back({"output transposed", "transposed_output", [](const Container& m, const model::ModelSpec&) {
                       Collector c;
                       c.add(transposed(m, "output.weight"));
                       return c.done();
                   }});
    out.push_back({"block 2 written with block 1's tensors", "GD-W020", [](const Container& m, const model::ModelSpec&) {
                       Collector c;
                       for (const auto& t : m.tensors())
                           if (t.name.starts_with("blk.2.")) c.add(verdict::take_data(m, t.name, "blk.1." + t.name.substr(6)));
                       return c.done();
                   }});
    out.push_back({"token_embd rows one token late", "embd_rows_late", [](const Container& m, const model::ModelSpec&) {
                       const std::uint64_t n = m.find_tensor("token_embd.weight")->n_rows();
                       std::vector<std::uint64_t> source(n);
                       for (std::uint64_t k = 0; k < n; ++k) source[k] = (k + n - 1) % n;
                       Collector c;
                       c.add(verdict::reorder_rows(m, "token_embd.weight", source));
                       return c.done();
                   }});
    out.push_back({"float data byte-swapped", "byte_order", [](const Container& m, const model::ModelSpec&) {
                       Collector c;
                       for (const auto& t : m.tensors())
                           if (t.type == id(TypeId::F16) || t.type == id(TypeId::F32)) c.add(byte_swapped(m, t.name));
                       return c.done();
                   }});
    out.push_back({"F16 data labelled BF16", "half_type_mislabelled", [](const Container& m, const model::ModelSpec&) {
                       Collector c;
                       for (const auto& t : m.tensors())
                           if (t.type == id(TypeId::F16)) c.add(verdict::relabel(m, t.name, id(TypeId::BF16)));
                       return c.done();
                   }});
    // Not one of the named mistakes: the verdicts must still not stay silent.
    out.push_back({"ffn_down rows reversed in block 1", "", [](const Container& m, const model::ModelSpec&) {
                       const std::uint64_t n = m.find_tensor("blk.1.ffn_down.weight")->n_rows();
                       std::vector<std::uint64_t> source(n);
                       for (std::uint64_t k = 0; k < n; ++k) source[k] = n - 1 - k;
                       Collector c;
                       c.add(verdict::reorder_rows(m, "blk.1.ffn_down.weight", source));
                       return c.done();
                   }});
    return out;
}

std::vector<HealthyRewrite> healthy_rewrites(bool all_types) {
    std::vector<HealthyRewrite> out;
    out.push_back({"FFN units permuted", [](const Container& m, const model::ModelSpec& s) {
                       Collector c;
                       std::mt19937 rng(7);
                       for (std::uint64_t l = 0; l < s.n_layer; ++l) {
                           std::vector<std::uint64_t> units(s.n_ff);
                           std::iota(units.begin(), units.end(), 0);
                           std::shuffle(units.begin(), units.end(), rng);
                           c.add(verdict::reorder_rows(m, blk(l, "ffn_gate.weight"), units));
                           c.add(verdict::reorder_rows(m, blk(l, "ffn_up.weight"), units));
                           // ffn_down's columns follow: element u of each row moves with unit u.
                           auto down = tensor_values(m, blk(l, "ffn_down.weight"));
                           if (!down) {
                               c.add(down.error());
                               continue;
                           }
                           std::vector<float> out_values(down->size());
                           for (std::uint64_t r = 0; r < down->size() / s.n_ff; ++r)
                               for (std::uint64_t u = 0; u < s.n_ff; ++u) out_values[r * s.n_ff + u] = (*down)[r * s.n_ff + units[u]];
                           c.add(f32_replacement(blk(l, "ffn_down.weight"), out_values));
                       }
                       return c.done();
                   }});
    out.push_back({"V scaled by 4, O by 1/4", [](const Container& m, const model::ModelSpec& s) {
                       Collector c;
                       for (std::uint64_t l = 0; l < s.n_layer; ++l) {
                           c.add(verdict::map_values(m, blk(l, "attn_v.weight"), [](float x) { return 4 * x; }));
                           c.add(verdict::map_values(m, blk(l, "attn_output.weight"), [](float x) { return x / 4; }));
                       }
                       return c.done();
                   }});
    out.push_back({"Q8_0", quantized(id(TypeId::Q8_0), id(TypeId::Q8_0))});
    out.push_back({"Q4_0", quantized(id(TypeId::Q4_0), id(TypeId::Q4_0))});
    out.push_back({"Q4_K (Q6_K vocabulary)", quantized(id(TypeId::Q4_K), id(TypeId::Q6_K))});
    if (!all_types) return out;
    out.push_back({"BF16", quantized(id(TypeId::BF16), id(TypeId::BF16))});
    out.push_back({"Q6_K", quantized(id(TypeId::Q6_K), id(TypeId::Q6_K))});
    out.push_back({"Q5_K (Q6_K vocabulary)", quantized(id(TypeId::Q5_K), id(TypeId::Q6_K))});
    out.push_back({"Q3_K (Q6_K vocabulary)", quantized(id(TypeId::Q3_K), id(TypeId::Q6_K))});
    out.push_back({"Q2_K (Q6_K vocabulary)", quantized(id(TypeId::Q2_K), id(TypeId::Q6_K))});
    return out;
}

}  // namespace gguf::test
