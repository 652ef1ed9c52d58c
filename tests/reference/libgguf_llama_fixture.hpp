// A tiny llama-architecture model written with libgguf's writer, complete enough for llama.cpp to load
// and quantize: the llama hyperparameters, a synthetic SentencePiece vocabulary (control tokens, the
// 256 byte-fallback tokens, a few word pieces) and every tensor of a 2-layer model with small random
// F32 weights. Sizes are multiples of 256 so K-quants apply to every matrix.
#pragma once

#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gguf/writer.hpp"

namespace gguf::reference {

struct TinyLlama {
    std::uint32_t n_embd = 256;
    std::uint32_t n_ff = 512;
    std::uint32_t n_layer = 2;
    std::uint32_t n_head = 4;
    std::uint32_t n_head_kv = 2;
};

inline Writer tiny_llama(const TinyLlama& h = {}, std::uint32_t seed = 1) {
    Writer w;
    // SentencePiece vocabulary: <unk>, <s>, </s>, <0x00>..<0xFF>, then word pieces.
    std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
    std::vector<std::int32_t> types{2, 3, 3};  // LLAMA_TOKEN_TYPE_UNKNOWN, CONTROL, CONTROL
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        tokens.push_back(name);
        types.push_back(6);  // LLAMA_TOKEN_TYPE_BYTE
    }
    for (const char* piece : {"▁", "▁the", "▁a", "e", "t", "a", "o", "n", "th", "he",
                              "▁of", "▁and", "in", "er", "▁to", "re"}) {
        tokens.push_back(piece);
        types.push_back(1);  // LLAMA_TOKEN_TYPE_NORMAL
    }
    std::vector<float> scores(tokens.size(), 0.f);
    for (std::size_t i = 259; i < tokens.size(); ++i) scores[i] = -static_cast<float>(i - 259);
    const auto n_vocab = static_cast<std::uint32_t>(tokens.size());

    w.set("general.architecture", Value::string("llama"));
    w.set("general.name", Value::string("gguf-doctor tiny llama"));
    w.set("general.file_type", Value::u32(0));  // all F32
    w.set("llama.context_length", Value::u32(256));
    w.set("llama.embedding_length", Value::u32(h.n_embd));
    w.set("llama.block_count", Value::u32(h.n_layer));
    w.set("llama.feed_forward_length", Value::u32(h.n_ff));
    w.set("llama.rope.dimension_count", Value::u32(h.n_embd / h.n_head));
    w.set("llama.attention.head_count", Value::u32(h.n_head));
    w.set("llama.attention.head_count_kv", Value::u32(h.n_head_kv));
    w.set("llama.attention.layer_norm_rms_epsilon", Value::f32(1e-5f));
    w.set("llama.vocab_size", Value::u32(n_vocab));
    w.set("tokenizer.ggml.model", Value::string("llama"));
    w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    w.set("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, scores));
    w.set("tokenizer.ggml.token_type", Value::array<std::int32_t>(ValueType::int32, types));
    w.set("tokenizer.ggml.unknown_token_id", Value::u32(0));
    w.set("tokenizer.ggml.bos_token_id", Value::u32(1));
    w.set("tokenizer.ggml.eos_token_id", Value::u32(2));

    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 0.02f);
    auto add = [&](const std::string& name, std::vector<std::uint64_t> ne, bool is_norm) {
        std::uint64_t n = 1;
        for (auto d : ne) n *= d;
        std::vector<std::byte> data(n * 4);
        for (std::uint64_t i = 0; i < n; ++i) store<float>(data.data() + 4 * i, is_norm ? 1.f : normal(rng), ByteOrder::little);
        auto r = w.add_tensor({name, 0, std::move(ne), std::move(data)});
        if (!r) throw std::runtime_error(r.error().describe());
    };
    const std::uint64_t head_dim = h.n_embd / h.n_head, kv = head_dim * h.n_head_kv;
    add("token_embd.weight", {h.n_embd, n_vocab}, false);
    for (std::uint32_t l = 0; l < h.n_layer; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        add(p + "attn_norm.weight", {h.n_embd}, true);
        add(p + "attn_q.weight", {h.n_embd, h.n_embd}, false);
        add(p + "attn_k.weight", {h.n_embd, kv}, false);
        add(p + "attn_v.weight", {h.n_embd, kv}, false);
        add(p + "attn_output.weight", {h.n_embd, h.n_embd}, false);
        add(p + "ffn_norm.weight", {h.n_embd}, true);
        add(p + "ffn_gate.weight", {h.n_embd, h.n_ff}, false);
        add(p + "ffn_up.weight", {h.n_embd, h.n_ff}, false);
        add(p + "ffn_down.weight", {h.n_ff, h.n_embd}, false);
    }
    add("output_norm.weight", {h.n_embd}, true);
    add("output.weight", {h.n_embd, n_vocab}, false);
    return w;
}

}  // namespace gguf::reference
