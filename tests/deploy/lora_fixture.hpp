// A LoRA adapter for a model built by the sample generator, as llama.cpp's convert_lora_to_gguf.py
// lays it out: general.type "adapter", adapter.type "lora", adapter.lora.alpha, and for each adapted
// weight W [n_in, n_out] (ggml order) a pair W.lora_a [n_in, rank] and W.lora_b [rank, n_out] in F32.
#pragma once

#include <random>
#include <string>

#include "gguf/writer.hpp"

namespace gguf::test {

inline Writer lora_adapter(const Writer& base, std::uint64_t rank = 8, float alpha = 16.f) {
    Writer w;
    w.set("general.architecture", *base.find("general.architecture"));
    w.set("general.type", Value::string("adapter"));
    w.set("adapter.type", Value::string("lora"));
    w.set("adapter.lora.alpha", Value::f32(alpha));
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 0.01f);
    const auto add = [&](const std::string& name, std::vector<std::uint64_t> ne) {
        std::vector<std::byte> data(ne[0] * ne[1] * 4);
        for (std::size_t i = 0; i < data.size(); i += 4) store<float>(data.data() + i, normal(rng), ByteOrder::little);
        if (!w.add_tensor({name, 0, std::move(ne), std::move(data)}).ok()) throw std::runtime_error(name);
    };
    for (const auto& t : base.tensors()) {
        if (!(t.name.ends_with("attn_q.weight") || t.name.ends_with("attn_v.weight"))) continue;
        add(t.name + ".lora_a", {t.ne[0], rank});
        add(t.name + ".lora_b", {rank, t.ne[1]});
    }
    return w;
}

}  // namespace gguf::test
