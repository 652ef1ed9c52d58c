#include "qwen_shaped_fixture.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"

namespace gguf::bench {
namespace {

constexpr std::uint64_t n_embd = 896, n_ff = 4864, n_layer = 24, n_head = 14, n_head_kv = 2, head_dim = 64;
constexpr std::uint32_t F32 = 0, Q8_0 = 8;

void check(const Result<void>& r) {
    if (!r) throw std::runtime_error(r.error().describe());
}

}  // namespace

std::filesystem::path qwen_shaped_file(const std::filesystem::path& cache_dir, const std::filesystem::path& vocab_file) {
    const auto path = cache_dir / "qwen2.5-0.5b-shaped-q8_0.gguf";
    if (std::filesystem::exists(path)) return path;
    std::filesystem::create_directories(cache_dir);

    auto vocab = gguf::open(vocab_file);
    if (!vocab) throw std::runtime_error(vocab.error().describe());
    const Value* tokens = vocab->find("tokenizer.ggml.tokens");
    if (!tokens) throw std::runtime_error(vocab_file.string() + " has no tokenizer.ggml.tokens");
    const std::uint64_t n_vocab = tokens->size();

    Writer w;
    w.set("general.architecture", Value::string("qwen2"));
    w.set("general.type", Value::string("model"));
    w.set("general.name", Value::string("Qwen2.5 0.5B Instruct (shape only, zero weights)"));
    w.set("general.size_label", Value::string("0.5B"));
    w.set("qwen2.block_count", Value::u32(n_layer));
    w.set("qwen2.context_length", Value::u32(32768));
    w.set("qwen2.embedding_length", Value::u32(n_embd));
    w.set("qwen2.feed_forward_length", Value::u32(n_ff));
    w.set("qwen2.attention.head_count", Value::u32(n_head));
    w.set("qwen2.attention.head_count_kv", Value::u32(n_head_kv));
    w.set("qwen2.rope.freq_base", Value::f32(1000000.f));
    w.set("qwen2.attention.layer_norm_rms_epsilon", Value::f32(1e-6f));
    w.set("general.file_type", Value::u32(7));  // LLAMA_FTYPE_MOSTLY_Q8_0
    for (const auto& e : vocab->metadata())
        if (e.key.starts_with("tokenizer.")) w.set(e.key, e.value);
    w.set("general.quantization_version", Value::u32(2));

    // One zero buffer, borrowed by every tensor: the largest tensor is the token embedding.
    const std::vector<std::byte> zeros(*byte_size(Q8_0, n_embd * n_vocab));
    auto add = [&](const std::string& name, std::uint32_t type, std::vector<std::uint64_t> ne) {
        std::uint64_t n = 1;
        for (auto d : ne) n *= d;
        WriterTensor t{name, type, std::move(ne), {}};
        t.borrowed = std::span(zeros).first(*byte_size(type, n));
        check(w.add_tensor(std::move(t)));
    };
    const std::uint64_t kv = n_head_kv * head_dim;
    add("token_embd.weight", Q8_0, {n_embd, n_vocab});
    for (std::uint64_t l = 0; l < n_layer; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        add(p + "attn_norm.weight", F32, {n_embd});
        add(p + "attn_q.weight", Q8_0, {n_embd, n_head * head_dim});
        add(p + "attn_q.bias", F32, {n_head * head_dim});
        add(p + "attn_k.weight", Q8_0, {n_embd, kv});
        add(p + "attn_k.bias", F32, {kv});
        add(p + "attn_v.weight", Q8_0, {n_embd, kv});
        add(p + "attn_v.bias", F32, {kv});
        add(p + "attn_output.weight", Q8_0, {n_head * head_dim, n_embd});
        add(p + "ffn_norm.weight", F32, {n_embd});
        add(p + "ffn_gate.weight", Q8_0, {n_embd, n_ff});
        add(p + "ffn_up.weight", Q8_0, {n_embd, n_ff});
        add(p + "ffn_down.weight", Q8_0, {n_ff, n_embd});
    }
    add("output_norm.weight", F32, {n_embd});
    check(w.write(path));
    return path;
}

}  // namespace gguf::bench
