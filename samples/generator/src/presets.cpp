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

// Qwen3.5-4B's shape as llama.cpp types it (32 blocks, n_embd 2560): 16 query and 4 KV heads of 256
// with a quarter of each head rotated in sections [11, 11, 10, 0], full attention every 4th block,
// a 248320-row vocabulary. The delta-net sizes (16 q/k heads and 32 v heads of 128, conv of 4 taps) and
// the FFN width follow Qwen3-Next's layout, which Qwen3.5 inherits.
ModelConfig qwen35_4b() {
    ModelConfig c = qwen_like(Architecture::qwen35);
    c.name = "Qwen3.5 4B shapes (gguf-doctor sample)";
    c.n_vocab = 248320;
    c.n_vocab_padding = 248320 - 248077;
    c.n_embd = 2560;
    c.n_layer = 32;
    c.n_head = 16;
    c.n_head_kv = 4;
    c.head_dim = 256;
    c.n_rot = 64;
    c.rope_sections = {11, 11, 10, 0};
    c.n_ff = 9216;
    c.n_ctx = 262144;
    c.rope_base = 10000000.0f;
    c.ssm_d_conv = 4;
    c.ssm_d_state = 128;
    c.ssm_n_group = 16;
    c.ssm_dt_rank = 32;
    c.full_attention_interval = 4;
    return c;
}

// Gemma 3 1B (google/gemma-3-1b-it, config.json): 4 query heads and 1 KV head of 256, sliding window
// 512 in five of every six blocks (RoPE base 10000 there, 1000000 in the global blocks).
ModelConfig gemma3_1b() {
    ModelConfig c;
    c.architecture = Architecture::gemma3;
    c.name = "Gemma 3 1B shapes (gguf-doctor sample)";
    c.tokenizer = TokenizerKind::spm;
    c.norms = NormStyle::gemma;
    c.rms_eps = 1e-6f;
    c.rope_base = 1000000.0f;
    c.rope_base_swa = 10000.0f;
    c.tied_output = true;
    c.n_vocab = 262144;
    c.n_embd = 1152;
    c.n_layer = 26;
    c.n_head = 4;
    c.n_head_kv = 1;
    c.head_dim = 256;
    c.n_ff = 6912;
    c.n_ctx = 32768;
    c.sliding_window = 512;
    c.sliding_window_pattern = 6;
    return c;
}

// Qwen3-30B-A3B (Qwen/Qwen3-30B-A3B, config.json): 128 experts of width 768, 8 per token, untied.
ModelConfig qwen3_30b_a3b() {
    ModelConfig c = qwen_like(Architecture::qwen3moe);
    c.name = "Qwen3 30B-A3B shapes (gguf-doctor sample)";
    c.tied_output = false;
    c.n_vocab = 151936;
    c.n_vocab_padding = 151936 - 151669;
    c.n_embd = 2048;
    c.n_layer = 48;
    c.n_head = 32;
    c.n_head_kv = 4;
    c.head_dim = 128;
    c.n_ff = 6144;
    c.n_ctx = 40960;
    c.n_expert = 128;
    c.n_expert_used = 8;
    c.n_ff_exp = 768;
    return c;
}

// Qwen1.5-MoE-A2.7B (Qwen/Qwen1.5-MoE-A2.7B, config.json): 60 experts of 1408, 4 per token, a shared
// expert of 5632 behind a sigmoid gate, q/k/v biases.
ModelConfig qwen2moe_a27b() {
    ModelConfig c = qwen_like(Architecture::qwen2moe);
    c.name = "Qwen1.5-MoE A2.7B shapes (gguf-doctor sample)";
    c.attn_bias = true;
    c.tied_output = false;
    c.n_vocab = 151936;
    c.n_vocab_padding = 151936 - 151646;
    c.n_embd = 2048;
    c.n_layer = 24;
    c.n_head = 16;
    c.n_head_kv = 16;
    c.head_dim = 128;
    c.n_ff = 5632;
    c.n_ctx = 8192;
    c.n_expert = 60;
    c.n_expert_used = 4;
    c.n_ff_exp = 1408;
    c.n_ff_shexp = 5632;
    return c;
}

// gpt-oss-20b (openai/gpt-oss-20b, config.json): 24 blocks alternating a 128-position sliding window
// and global attention, 64 query and 8 KV heads of 64, 32 experts of 2880 (4 per token), YaRN x32 over
// 4096 positions, a 201088-row vocabulary (o200k), untied.
ModelConfig gpt_oss_20b() {
    ModelConfig c;
    c.architecture = Architecture::gpt_oss;
    c.name = "gpt-oss 20B shapes (gguf-doctor sample)";
    c.tokenizer = TokenizerKind::bpe;
    c.bpe_pre = "gpt-4o";
    c.norms = NormStyle::llama;
    c.rms_eps = 1e-5f;
    c.rope_base = 150000.0f;
    c.rope_yarn_factor = 32.0f;
    c.rope_original_context = 4096;
    c.attn_bias = true;
    c.tied_output = false;
    c.n_vocab = 201088;
    c.n_vocab_padding = 201088 - 200019;
    c.n_embd = 2880;
    c.n_layer = 24;
    c.n_head = 64;
    c.n_head_kv = 8;
    c.head_dim = 64;
    c.n_ff = 2880;
    c.n_ctx = 131072;
    c.n_expert = 32;
    c.n_expert_used = 4;
    c.n_ff_exp = 2880;
    c.sliding_window = 128;
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
    if (name == "qwen3.5-4b") return qwen35_4b();
    if (name == "gemma3-1b") return gemma3_1b();
    if (name == "qwen3-30b-a3b") return qwen3_30b_a3b();
    if (name == "qwen1.5-moe-a2.7b") return qwen2moe_a27b();
    if (name == "gpt-oss-20b") return gpt_oss_20b();
    if (name == "tiny-gemma2") {
        // Gemma 2's structure: tied 256-wide heads, window 4 every other block (block 0 slides),
        // soft-capped attention (50) and logits (30).
        ModelConfig c = tiny(gemma3_1b(), "tiny gemma2 (gguf-doctor sample)");
        c.architecture = Architecture::gemma2;
        c.n_vocab = 512;
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 128;
        c.rope_base = 10000.0f;
        c.sliding_window = 4;
        return c;
    }
    if (name == "tiny-olmo2") {
        // OLMo 2's structure: norms after attention and FFN only, q/k norms over the whole projections,
        // an untied lm_head.
        ModelConfig c = tiny(qwen_like(Architecture::olmo2), "tiny olmo2 (gguf-doctor sample)");
        c.tied_output = false;
        c.norms = NormStyle::llama;
        c.rope_base = 500000.0f;
        c.n_vocab = 512;
        c.n_head = 4;
        c.n_head_kv = 4;
        c.head_dim = 64;
        return c;
    }
    if (name == "tiny-granite") {
        // Granite 3's structure: llama's block with the four multipliers (embedding 12, residual 0.22,
        // attention 1/64, logits / 8), tied.
        ModelConfig c = tiny(llama_like(), "tiny granite (gguf-doctor sample)");
        c.architecture = Architecture::granite;
        c.tied_output = true;
        c.n_vocab = 512;
        c.n_head = 8;
        c.n_head_kv = 2;
        c.head_dim = 32;
        return c;
    }
    if (name == "tiny-phi3") {
        // Phi-3-mini-128k's structure: fused q/k/v and gate/up, NeoX RoPE divided by LongRoPE's short
        // factors with magnitude 1.19, untied. llama.cpp pads a context to 256 positions and takes the
        // short factors up to the original context, so that is 256 here.
        // (A general.name containing "phi3" or "phi-3" makes llama.cpp look up Phi-3's special tokens,
        // which the synthetic vocabulary does not have.)
        ModelConfig c = tiny(llama_like(), "tiny Phi 3 (gguf-doctor sample)");
        c.architecture = Architecture::phi3;
        c.n_vocab = 512;
        c.n_head = 8;
        c.n_head_kv = 4;
        c.head_dim = 32;
        c.longrope_attn_factor = 1.19f;
        c.rope_original_context = 256;
        return c;
    }
    if (name == "tiny-mistral3") {
        // Ministral 3's structure: llama's block with YaRN (x4 over 8 positions, betas 32/1, log multiplier
        // 1) and llama 4's query temperature 0.1, whose steps of 8 positions the test prompts cross.
        ModelConfig c = tiny(llama_like(), "tiny mistral3 (gguf-doctor sample)");
        c.architecture = Architecture::mistral3;
        c.n_vocab = 512;
        c.n_head = 8;
        c.n_head_kv = 2;
        c.head_dim = 32;
        c.rope_base = 1000000.0f;
        c.rope_yarn_factor = 4.0f;
        c.rope_original_context = 8;
        c.rope_yarn_beta_fast = 32.0f;
        c.rope_yarn_beta_slow = 1.0f;
        c.rope_yarn_log_mul = 1.0f;
        c.attn_temperature_scale = 0.1f;
        return c;
    }
    if (name == "tiny-gpt-oss") {
        // Sliding window 4 (block 0 slides, block 1 is global), shorter than the test prompts.
        ModelConfig c = tiny(gpt_oss_20b(), "tiny gpt-oss (gguf-doctor sample)");
        c.n_vocab = 512;
        c.n_vocab_padding = 7;
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 64;
        c.n_expert = 8;
        c.n_expert_used = 2;
        c.n_ff_exp = 256;
        c.sliding_window = 4;
        c.rope_original_context = 64;
        return c;
    }
    if (name == "tiny-qwen35" || name == "tiny-qwen35moe") {
        // Two delta-net blocks and one full-attention block (interval 3), so both kinds and their order
        // are exercised; v heads twice the q/k heads, as in the real model.
        ModelConfig c = tiny(qwen35_4b(), "tiny " + std::string(name.substr(5)) + " (gguf-doctor sample)");
        c.n_layer = 3;
        c.full_attention_interval = 3;
        c.n_vocab = 512;
        c.n_vocab_padding = 11;
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 64;
        c.n_rot = 16;
        c.rope_sections = {3, 3, 2, 0};
        c.ssm_d_state = 32;
        c.ssm_n_group = 2;
        c.ssm_dt_rank = 4;
        if (name == "tiny-qwen35moe") {
            c.architecture = Architecture::qwen35moe;
            c.n_expert = 8;
            c.n_expert_used = 2;
            c.n_ff_exp = 256;
            c.n_ff_shexp = 256;
        }
        return c;
    }
    if (name == "tiny-gemma3") {
        // Sliding window 4 with period 2 (block 0 slides, block 1 is global), shorter than the test prompts.
        ModelConfig c = tiny(gemma3_1b(), "tiny gemma3 (gguf-doctor sample)");
        c.n_vocab = 512;
        c.n_head = 4;
        c.n_head_kv = 1;
        c.head_dim = 128;
        c.sliding_window = 4;
        c.sliding_window_pattern = 2;
        return c;
    }
    if (name == "tiny-gemma4") {
        // Gemma 4's E2B/E4B structure in four blocks: sliding (window 4, head 64, base 10000) and global
        // (head 128, a quarter of each head rotated, base 1000000) in turn; blocks 2 and 3 reuse the KV
        // cache of blocks 0 and 1 and have a twice-wide FFN (E2B's use_double_wide_mlp); per-layer inputs
        // of 64 values; logits soft-capped at 30.
        ModelConfig c = tiny(gemma3_1b(), "tiny gemma4 (gguf-doctor sample)");
        c.architecture = Architecture::gemma4;
        c.n_vocab = 512;
        c.n_layer = 4;
        c.n_head = 4;
        c.n_head_kv = 1;
        c.head_dim = 128;
        c.head_dim_swa = 64;
        c.rope_rotated_global = 32;
        c.n_embd_per_layer = 64;
        c.n_layer_kv_shared = 2;
        c.double_wide_shared_mlp = true;
        c.sliding_window = 4;
        c.sliding_window_pattern = 2;
        c.final_softcap = 30.0f;
        return c;
    }
    if (name == "tiny-qwen3moe") {
        ModelConfig c = tiny(qwen3_30b_a3b(), "tiny qwen3moe (gguf-doctor sample)");
        c.n_vocab = 512;
        c.n_vocab_padding = 9;
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 128;
        c.n_expert = 8;
        c.n_expert_used = 2;
        c.n_ff_exp = 256;
        return c;
    }
    if (name == "tiny-qwen2moe") {
        ModelConfig c = tiny(qwen2moe_a27b(), "tiny qwen2moe (gguf-doctor sample)");
        c.n_vocab = 512;
        c.n_vocab_padding = 13;
        c.n_head = 4;
        c.n_head_kv = 2;
        c.head_dim = 64;
        c.n_expert = 8;
        c.n_expert_used = 2;
        c.n_ff_exp = 256;
        c.n_ff_shexp = 512;
        return c;
    }
    return Error{ErrorCode::invalid_argument, 0, "unknown preset '" + std::string(name) + "'", ""};
}

std::vector<std::string_view> preset_names() {
    return {"tinyllama-1.1b", "llama2-7b",  "qwen2.5-0.5b", "qwen3-0.6b", "qwen3.5-4b",     "gemma3-1b",
            "qwen3-30b-a3b",  "qwen1.5-moe-a2.7b", "tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-qwen35",
            "tiny-qwen35moe", "tiny-gemma3", "tiny-qwen3moe", "tiny-qwen2moe", "gpt-oss-20b", "tiny-gpt-oss",
            "tiny-gemma2",    "tiny-olmo2",  "tiny-granite", "tiny-phi3", "tiny-mistral3",
            "tiny-gemma4"};
}

}  // namespace gguf::samples
