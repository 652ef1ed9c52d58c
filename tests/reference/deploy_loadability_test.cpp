// Our verdict "llama.cpp will refuse this file" against what the reference llama.cpp does with the
// file (llama_model_load_from_file in a child process): healthy fixtures of every tiny preset and mix,
// split and re-aligned copies, and each kind of damage the rule and reader tests make (layout, types,
// names, keys and their types, vocabulary, tensors, hyperparameters llama.cpp asserts on).
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "gguf/deploy/loadability.hpp"
#include "gguf/samples/generator.hpp"
#include "gguf/writer.hpp"
#include "libgguf/raw_gguf.hpp"
#include "reference/libgguf_llama_fixture.hpp"
#include "reference/llama_load_probe.hpp"
#include "rules/fixture.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
namespace fs = std::filesystem;

namespace {

Writer tiny(std::string_view preset, std::string_view mix = "f32") {
    auto c = test::config(preset, 2);
    REQUIRE(samples::apply_mix(c, mix).ok());
    return test::build(c);
}

std::vector<std::byte> bytes_of(const Writer& w) { return test::serialize(w); }

// The position of a length-prefixed string (a key or tensor name) in a serialized little-endian file.
std::size_t find_name(const std::vector<std::byte>& file, std::string_view name) {
    std::string needle(8, '\0');
    const std::uint64_t n = name.size();
    std::memcpy(needle.data(), &n, 8);
    needle += name;
    const std::string_view hay(reinterpret_cast<const char*>(file.data()), file.size());
    const auto at = hay.find(needle);
    REQUIRE_MESSAGE(at != std::string_view::npos, name);
    return at + 8;
}

void rename_in_place(std::vector<std::byte>& file, std::string_view from, std::string_view to) {
    REQUIRE(from.size() == to.size());
    std::memcpy(file.data() + find_name(file, from), to.data(), to.size());
}

// The type id field of a tensor info: after the name, n_dims and the dims.
void set_type_id(std::vector<std::byte>& file, std::string_view tensor, std::uint32_t type) {
    const std::size_t at = find_name(file, tensor) + tensor.size();
    std::uint32_t n_dims;
    std::memcpy(&n_dims, file.data() + at, 4);
    std::memcpy(file.data() + at + 4 + 8 * n_dims, &type, 4);
}

std::vector<std::string> strings(const Value& v) {
    std::vector<std::string> out;
    for (std::uint64_t i = 0; i < v.size(); ++i) out.emplace_back(v.string_at(i));
    return out;
}

struct Case {
    std::string name;
    std::vector<std::byte> file;
    bool external = false;  // `file` is unused; `write` writes the file (or names one) and returns its path
    std::function<fs::path(const fs::path& dir)> write;
};

std::vector<Case> cases() {
    std::vector<Case> out;
    const auto add = [&](std::string name, const Writer& w) { out.push_back({std::move(name), bytes_of(w)}); };
    const auto add_bytes = [&](std::string name, std::vector<std::byte> b) { out.push_back({std::move(name), std::move(b)}); };

    // Healthy fixtures.
    for (std::string_view preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"})
        for (std::string_view mix : {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q6_k"}) {
            auto c = test::config(preset, 2);
            REQUIRE(samples::apply_mix(c, mix).ok());
            if (!samples::validate(c).ok()) continue;  // a type this build cannot encode
            add(std::string(preset) + " " + std::string(mix), test::build(c));
        }
    add("libgguf's tiny llama", reference::tiny_llama());
    {
        const Writer base = reference::tiny_llama();
        for (std::uint64_t alignment : {16u, 64u, 8u}) {
            Writer aligned(ByteOrder::little, alignment);
            for (const auto& [k, v] : base.metadata()) aligned.set(k, v);
            for (const auto& t : base.tensors()) REQUIRE(aligned.add_tensor(t).ok());
            add("alignment " + std::to_string(alignment), aligned);
        }
        Writer big(ByteOrder::big);
        for (const auto& [k, v] : base.metadata()) big.set(k, v);
        for (const auto& t : base.tensors()) REQUIRE(big.add_tensor(t).ok());
        add("big-endian", big);
        Case split{"split into 3 shards", {}, true, nullptr};
        split.write = [base](const fs::path& dir) {
            auto shards = write_split(base, dir / "split", 8);
            REQUIRE(shards.ok());
            return shards->front();
        };
        out.push_back(std::move(split));
    }
    // Files on disk: the trained sample, and llama.cpp's vocabulary-only test files (no tensors).
    const auto existing = [&](std::string name, fs::path path) {
        if (fs::exists(path)) out.push_back({std::move(name), {}, true, [path](const fs::path&) { return path; }});
    };
    existing("trained sample", fs::path(GGUF_DOCTOR_SOURCE_DIR) / "samples/trained/tiny-english-f16.gguf");
    for (const char* vocab : {"llama-spm", "qwen2", "gpt-2", "phi-3", "deepseek-llm", "llama-bpe"})
        existing(std::string("vocabulary only: ") + vocab,
                 fs::path(GGUF_DOCTOR_REFERENCE_DIR) / "vocab" / (std::string("ggml-vocab-") + vocab + ".gguf"));

    // Tensors.
    { Writer w = tiny("tiny-llama"); test::remove_tensor(w, "blk.0.attn_k.weight"); add("missing attn_k", w); }
    { Writer w = tiny("tiny-llama"); test::remove_tensor(w, "output.weight"); add("no output.weight (tied)", w); }
    { Writer w = tiny("tiny-llama"); test::remove_tensor(w, "output_norm.weight"); add("missing output_norm", w); }
    { Writer w = tiny("tiny-qwen2"); test::remove_tensor(w, "blk.0.attn_q.bias"); add("qwen2 without attn_q.bias", w); }
    { Writer w = tiny("tiny-qwen3"); test::remove_tensor(w, "blk.1.attn_k_norm.weight"); add("qwen3 without attn_k_norm", w); }
    {
        Writer w = tiny("tiny-llama");
        WriterTensor extra = test::tensor(w, "blk.0.attn_norm.weight");
        extra.name = "blk.0.extra_norm.weight";
        REQUIRE(w.add_tensor(extra).ok());
        add("a tensor llama does not have", w);
    }
    {
        Writer w = tiny("tiny-llama");
        test::edit_tensor(w, "output.weight", [](WriterTensor& t) { std::swap(t.ne[0], t.ne[1]); });
        add("transposed lm_head", w);
    }
    {
        Writer w = tiny("tiny-llama");
        test::edit_tensor(w, "blk.1.ffn_norm.weight", [](WriterTensor& t) {
            t.ne = {t.ne[0] / 2, 2};
        });
        add("norm of shape [n/2, 2]", w);
    }

    // Layout and type ids (byte patches of a healthy file).
    {
        const auto healthy = bytes_of(tiny("tiny-llama"));
        auto b = healthy;
        test::write_u64(b, test::offset_field_position(b, "blk.1.attn_q.weight"),
                        [&] { std::uint64_t o; std::memcpy(&o, b.data() + test::offset_field_position(b, "blk.1.attn_q.weight"), 8); return o + 32; }());
        add_bytes("offset moved by one alignment", b);
        b = healthy;
        test::write_u64(b, test::offset_field_position(b, "blk.1.attn_q.weight"),
                        [&] { std::uint64_t o; std::memcpy(&o, b.data() + test::offset_field_position(b, "blk.1.attn_q.weight"), 8); return o + 4; }());
        add_bytes("offset off the alignment", b);
        b = healthy;
        b.resize(b.size() - 4096);
        add_bytes("truncated in the data", b);
        b = healthy;
        b.resize(200);
        add_bytes("truncated in the header", b);
        b = healthy;
        set_type_id(b, "blk.0.ffn_norm.weight", 99);
        add_bytes("unknown type id", b);
        b = healthy;
        set_type_id(b, "blk.0.ffn_norm.weight", 4);  // Q4_2, removed
        add_bytes("removed type id", b);
        b = healthy;
        rename_in_place(b, "blk.1.attn_norm.weight", "blk.0.attn_norm.weight");
        add_bytes("duplicate tensor name", b);
        b = healthy;
        rename_in_place(b, "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id");
        add_bytes("duplicate key", b);
    }
    {
        test::RawGguf v1(test::RawGguf::little, 1);
        v1.counts(0, 1).kv_str("general.architecture", "llama");
        add_bytes("GGUF version 1", v1.bytes());
    }

    // Hyperparameter keys.
    const auto edited = [&](std::string name, std::string_view preset, const std::function<void(Writer&)>& edit) {
        Writer w = tiny(preset);
        edit(w);
        add(std::move(name), w);
    };
    edited("context_length as uint64", "tiny-llama", [](Writer& w) { w.set("llama.context_length", Value::u64(256)); });
    edited("embedding_length missing", "tiny-llama", [](Writer& w) { w.erase("llama.embedding_length"); });
    edited("rms epsilon as float64", "tiny-qwen2", [](Writer& w) { w.set("qwen2.attention.layer_norm_rms_epsilon", Value::f64(1e-6)); });
    edited("rms epsilon missing", "tiny-qwen3", [](Writer& w) { w.erase("qwen3.attention.layer_norm_rms_epsilon"); });
    edited("architecture unknown", "tiny-llama", [](Writer& w) { w.set("general.architecture", Value::string("llamax")); });
    edited("architecture missing", "tiny-llama", [](Writer& w) { w.erase("general.architecture"); });
    edited("general.name as uint32", "tiny-llama", [](Writer& w) { w.set("general.name", Value::u32(7)); });
    edited("block_count 0", "tiny-llama", [](Writer& w) { w.set("llama.block_count", Value::u32(0)); });
    edited("block_count 3 of 2 layers", "tiny-llama", [](Writer& w) { w.set("llama.block_count", Value::u32(3)); });
    edited("block_count 1 of 2 layers", "tiny-llama", [](Writer& w) { w.set("llama.block_count", Value::u32(1)); });
    edited("llama n_rot of half the head", "tiny-llama", [](Writer& w) {
        w.set("llama.rope.dimension_count", Value::u32(static_cast<std::uint32_t>(w.find("llama.rope.dimension_count")->as_u64() / 2)));
    });
    edited("head_count_kv per layer", "tiny-qwen2", [](Writer& w) {
        const auto kv = static_cast<std::int32_t>(w.find("qwen2.attention.head_count_kv")->as_u64());
        const std::vector<std::int32_t> per_layer{kv, kv};
        w.set("qwen2.attention.head_count_kv", Value::array<std::int32_t>(ValueType::int32, per_layer));
    });
    edited("head_count_kv per layer, wrong length", "tiny-qwen2", [](Writer& w) {
        const auto kv = static_cast<std::int32_t>(w.find("qwen2.attention.head_count_kv")->as_u64());
        const std::vector<std::int32_t> per_layer{kv, kv, kv};
        w.set("qwen2.attention.head_count_kv", Value::array<std::int32_t>(ValueType::int32, per_layer));
    });
    edited("rope scaling 'foo'", "tiny-llama", [](Writer& w) { w.set("llama.rope.scaling.type", Value::string("foo")); });
    edited("rope scaling 'yarn'", "tiny-llama", [](Writer& w) { w.set("llama.rope.scaling.type", Value::string("yarn")); });
    edited("rope freq_base as float64", "tiny-llama", [](Writer& w) { w.set("llama.rope.freq_base", Value::f64(10000)); });
    edited("attention.causal as uint8", "tiny-llama", [](Writer& w) { w.set("llama.attention.causal", Value::u8(1)); });
    edited("8 experts used of 4", "tiny-llama", [](Writer& w) {
        w.set("llama.expert_count", Value::u32(4));
        w.set("llama.expert_used_count", Value::u32(8));
    });

    // Other kinds of file llama.cpp loads as a model: embedding and reranking models (pooling).
    edited("qwen3 embedding model (pooling last, no lm_head)", "tiny-qwen3", [](Writer& w) {
        w.set("qwen3.pooling_type", Value::u32(3));
        if (w.find("general.type")) w.set("general.type", Value::string("model"));
    });
    edited("llama embedding model (pooling mean)", "tiny-llama", [](Writer& w) { w.set("llama.pooling_type", Value::u32(1)); });
    edited("qwen3 reranker (pooling rank)", "tiny-qwen3", [](Writer& w) { w.set("qwen3.pooling_type", Value::u32(4)); });
    edited("pooling type as int32", "tiny-qwen3", [](Writer& w) { w.set("qwen3.pooling_type", Value::i32(1)); });

    // Vocabulary.
    edited("tokenizer model unknown", "tiny-llama", [](Writer& w) { w.set("tokenizer.ggml.model", Value::string("sentencepiece")); });
    edited("tokenizer model missing", "tiny-llama", [](Writer& w) { w.erase("tokenizer.ggml.model"); });
    edited("token list missing", "tiny-llama", [](Writer& w) { w.erase("tokenizer.ggml.tokens"); });
    edited("pre-tokenizer unknown", "tiny-qwen2", [](Writer& w) { w.set("tokenizer.ggml.pre", Value::string("qwen2-custom")); });
    edited("pre-tokenizer missing", "tiny-qwen2", [](Writer& w) { w.erase("tokenizer.ggml.pre"); });
    edited("BPE merges missing", "tiny-qwen2", [](Writer& w) { w.erase("tokenizer.ggml.merges"); });
    edited("bos id as int32", "tiny-llama", [](Writer& w) { w.set("tokenizer.ggml.bos_token_id", Value::i32(1)); });
    edited("bos id past the vocabulary", "tiny-llama", [](Writer& w) { w.set("tokenizer.ggml.bos_token_id", Value::u32(1u << 30)); });
    edited("add_bos_token as uint8", "tiny-qwen2", [](Writer& w) { w.set("tokenizer.ggml.add_bos_token", Value::u8(0)); });
    edited("duplicate token text", "tiny-llama", [](Writer& w) {
        auto tokens = strings(*w.find("tokenizer.ggml.tokens"));
        tokens[tokens.size() - 1] = tokens[tokens.size() - 2];
        w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    });
    edited("empty token texts", "tiny-llama", [](Writer& w) {
        auto tokens = strings(*w.find("tokenizer.ggml.tokens"));
        tokens[tokens.size() - 1] = "";
        tokens[tokens.size() - 2] = "";
        w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    });
    edited("one token fewer than embedding rows", "tiny-llama", [](Writer& w) {
        auto tokens = strings(*w.find("tokenizer.ggml.tokens"));
        tokens.pop_back();
        w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    });
    edited("scores shorter than the tokens", "tiny-llama", [](Writer& w) {
        const Value* s = w.find("tokenizer.ggml.scores");
        std::vector<float> scores(s->size() - 1, 0.f);
        w.set("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, scores));
    });
    edited("scores as int32", "tiny-llama", [](Writer& w) {
        std::vector<std::int32_t> scores(w.find("tokenizer.ggml.scores")->size(), 0);
        w.set("tokenizer.ggml.scores", Value::array<std::int32_t>(ValueType::int32, scores));
    });
    edited("scores as float64", "tiny-llama", [](Writer& w) {
        std::vector<double> scores(w.find("tokenizer.ggml.scores")->size(), 0.0);
        w.set("tokenizer.ggml.scores", Value::array<double>(ValueType::float64, scores));
    });
    edited("token types as uint32", "tiny-llama", [](Writer& w) {
        const Value* t = w.find("tokenizer.ggml.token_type");
        std::vector<std::uint32_t> types;
        for (std::uint64_t i = 0; i < t->size(); ++i) types.push_back(static_cast<std::uint32_t>(t->integer_at(i)));
        w.set("tokenizer.ggml.token_type", Value::array<std::uint32_t>(ValueType::uint32, types));
    });
    edited("token type 99", "tiny-llama", [](Writer& w) {
        const Value* t = w.find("tokenizer.ggml.token_type");
        std::vector<std::int32_t> types;
        for (std::uint64_t i = 0; i < t->size(); ++i) types.push_back(static_cast<std::int32_t>(t->integer_at(i)));
        types.back() = 99;
        w.set("tokenizer.ggml.token_type", Value::array<std::int32_t>(ValueType::int32, types));
    });
    return out;
}

}  // namespace

TEST_CASE("the verdict 'llama.cpp will refuse this file' equals what llama.cpp does, file by file") {
    test::TempDir dir;
    int agreed = 0, refused_by_llama = 0, n = 0;
    std::string table;
    for (const Case& c : cases()) {
        const std::string stem = "case" + std::to_string(n++);
        fs::path path = dir / (stem + ".gguf");
        if (c.external) {
            path = c.write(dir.path());
        } else {
            std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(c.file.data()),
                                                        static_cast<std::streamsize>(c.file.size()));
        }
        auto opened = open(path);
        const deploy::LoadVerdict ours = opened ? deploy::llama_cpp_verdict(*opened) : deploy::llama_cpp_verdict(opened.error());
        const reference::LoadOutcome llama = reference::llama_load_in_child(path, dir / (stem + ".log"));
        refused_by_llama += !llama.loaded;
        std::string reasons;
        for (const auto& r : ours.refusals) reasons += "\n    ours: " + r.subject + ": " + r.message;
        table += "\n  " + c.name + ": llama.cpp " + (llama.loaded ? "loads" : llama.aborted ? "aborts" : "refuses") +
                 ", ours " + (ours.refuses() ? "refuses" : "loads");
        CHECK_MESSAGE(ours.refuses() == !llama.loaded,
                      c.name << ": llama.cpp " << std::string(llama.loaded ? "loads it" : "refuses it")
                             << ", we say " << std::string(ours.refuses() ? "it refuses" : "it loads") << reasons << "\n  llama.cpp's log:\n"
                             << llama.log);
        if (ours.refuses() == !llama.loaded) ++agreed;
    }
    MESSAGE(agreed << " of " << n << " files agree (llama.cpp refuses " << refused_by_llama << ")" << table);
    CHECK(refused_by_llama > 20);  // the damage really reaches llama.cpp
    CHECK(n - refused_by_llama > 20);
}
