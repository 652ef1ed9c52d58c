// A small llama-keyed model for edit tests: a vocabulary, a few typed keys and two tensors whose bytes
// the tests compare after every edit.
#pragma once

#include <string>
#include <vector>

#include "gguf/writer.hpp"

namespace gguf::test {

inline Writer edit_fixture(ByteOrder order = ByteOrder::little) {
    Writer w(order);
    w.set("general.architecture", Value::string("llama"));
    w.set("general.name", Value::string("edit fixture"));
    w.set("llama.context_length", Value::u32(2048));
    w.set("llama.block_count", Value::u32(2));
    w.set("llama.attention.head_count_kv", Value::u32(2));
    const std::vector<std::string> tokens{"<unk>", "<s>", "</s>", "hello", "<|end|>"};
    w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    w.set("tokenizer.ggml.bos_token_id", Value::u32(1));
    w.set("tokenizer.ggml.eos_token_id", Value::u32(2));
    w.set("custom.note", Value::string("kept"));
    std::vector<std::byte> a(4 * 8), b(2 * 16);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::byte>(i * 7 + 1);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::byte>(255 - i);
    (void)w.add_tensor({"blk.0.attn_norm.weight", 0, {8}, a});        // F32
    (void)w.add_tensor({"token_embd.weight", 1, {16}, b});            // F16
    return w;
}

}  // namespace gguf::test
