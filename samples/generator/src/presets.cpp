// The shapes of models people ship, and small models of the same structure for fast tests.
#include <array>

#include "gguf/samples/generator.hpp"

namespace gguf::samples {
namespace {

ModelConfig llama_like() {
    ModelConfig c;
    c.architecture = Architecture::llama;
    c.tokenizer = TokenizerKind::spm;
    c.norms = NormStyle::llama;
    c.rms_eps = 1e-5f;
    c.rope_base = 10000.0f;
    return c;
}

ModelConfig qwen_like(Architecture a) {
    ModelConfig c;
    c.architecture = a;
    c.tokenizer = TokenizerKind::bpe;
    c.bpe_pre = "qwen2";
    c.norms = NormStyle::qwen;
    c.rms_eps = 1e-6f;
    c.rope_base = 1000000.0f;
    c.tied_output = true;
    c.attn_bias = a == Architecture::qwen2;
    return c;
}

// TinyLlama-1.1B (TinyLlama/TinyLlama-1.1B-Chat-v1.0, config.json).
ModelConfig tinyllama() {
    ModelConfig c = llama_like();
    c.name = "TinyLlama 1.1B (gguf-doctor sample)";
    c.n_vocab = 32000;
    c.n_embd = 2048;
    c.n_layer = 22;
    c.n_head = 32;
    c.n_head_kv = 4;
    c.head_dim = 64;
    c.n_ff = 5632;
    c.n_ctx = 2048;
    return c;
}

// Llama-2-7B (meta-llama/Llama-2-7b-hf, config.json): the size of the models users validate most.
ModelConfig llama2_7b() {
    ModelConfig c = tinyllama();
    c.name = "Llama-2 7B shapes (gguf-doctor sample)";
    c.n_embd = 4096;
    c.n_layer = 32;
    c.n_head = 32;
    c.n_head_kv = 32;
    c.head_dim = 128;
    c.n_ff = 11008;
    c.n_ctx = 4096;
    return c;
}

// Qwen2.5-0.5B: 151936 embedding rows, of which 151665 are tokens (151643 BPE + 22 special).
ModelConfig qwen25() {
    ModelConfig c = qwen_like(Architecture::qwen2);
    c.name = "Qwen2.5 0.5B (gguf-doctor sample)";
    c.n_vocab = 151936;
    c.n_vocab_padding = 151936 - 151665;
    c.n_embd = 896;
    c.n_layer = 24;
    c.n_head = 14;
    c.n_head_kv = 2;
    c.head_dim = 64;
    c.n_ff = 4864;
    c.n_ctx = 32768;
    return c;
}

// Qwen3-0.6B: head size 128 with n_embd 1024 and 16 heads (the q projection is wider than n_embd).
ModelConfig qwen3() {
    ModelConfig c = qwen_like(Architecture::qwen3);
    c.name = "Qwen3 0.6B (gguf-doctor sample)";
    c.n_vocab = 151936;
    c.n_vocab_padding = 151936 - 151669;
    c.n_embd = 1024;
    c.n_layer = 28;
    c.n_head = 16;
    c.n_head_kv = 8;
    c.head_dim = 128;
    c.n_ff = 3072;
    c.n_ctx = 40960;
    return c;
}

// The tiny variants keep each structural trait (GQA ratio above 1, biases, tied and padded
// vocabulary, head size unlike n_embd / n_head for qwen3) and are 256 wide so every K-quant fits.
ModelConfig tiny(ModelConfig c, std::string name) {
    c.name = std::move(name);
    c.n_embd = 256;
    c.n_layer = 2;
    c.n_ff = 512;
    c.n_ctx = 256;
    return c;
}

}  // namespace

Result<ModelConfig> preset(std::string_view name) {
    if (name == "tinyllama-1.1b") return tinyllama();
    if (name == "llama2-7b") return llama2_7b();
    if (name == "qwen2.5-0.5b") return qwen25();
    if (name == "qwen3-0.6b") return qwen3();
    if (name == "tiny-llama") {
        ModelConfig c = tiny(tinyllama(), "tiny llama (gguf-doctor sample)");
        c.n_vocab = 512;
        c.n_head = 8;
        c.n_head_kv = 2;
        c.head_dim = 32;
        return c;
    }
    if (name == "tiny-qwen2") {
        ModelConfig c = tiny(qwen25(), "tiny qwen2 (gguf-doctor sample)");
        c.n_vocab = 512;
        c.n_vocab_padding = 13;
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 64;
        return c;
    }
    if (name == "tiny-qwen3") {
        ModelConfig c = tiny(qwen3(), "tiny qwen3 (gguf-doctor sample)");
        c.n_vocab = 512;
        c.n_vocab_padding = 9;
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 128;
        return c;
    }
    return Error{ErrorCode::invalid_argument, 0, "unknown preset '" + std::string(name) + "'", ""};
}

std::vector<std::string_view> preset_names() {
    return {"tinyllama-1.1b", "llama2-7b", "qwen2.5-0.5b", "qwen3-0.6b", "tiny-llama", "tiny-qwen2", "tiny-qwen3"};
}

}  // namespace gguf::samples
