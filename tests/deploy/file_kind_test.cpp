// What a file is for, from its metadata: each kind on a hand-made variant of a sample model.
#include <doctest/doctest.h>

#include "deploy/lora_fixture.hpp"
#include "gguf/deploy/file_kind.hpp"
#include "rules/fixture.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

deploy::KindInfo kind_of(const Writer& w) {
    test::TempDir dir;
    REQUIRE(w.write(dir / "m.gguf").ok());
    auto model = open(dir / "m.gguf");
    REQUIRE(model.ok());
    return deploy::file_kind(*model);
}

}  // namespace

TEST_CASE("a sample model is a language model; a pooling type makes it an embedding or reranking model") {
    Writer w = test::build(test::config("tiny-qwen3", 2));
    CHECK(kind_of(w).kind == deploy::FileKind::language_model);
    w.set("qwen3.pooling_type", Value::u32(1));
    auto k = kind_of(w);
    CHECK(k.kind == deploy::FileKind::embedding_model);
    CHECK(k.detail == "pooling mean");
    w.set("qwen3.pooling_type", Value::u32(3));
    CHECK(kind_of(w).detail == "pooling last");
    w.set("qwen3.pooling_type", Value::u32(4));
    CHECK(kind_of(w).kind == deploy::FileKind::reranker);
    w.set("qwen3.pooling_type", Value::u32(0));
    CHECK(kind_of(w).kind == deploy::FileKind::language_model);
}

TEST_CASE("a LoRA adapter is recognised with its alpha, rank and pair count") {
    const Writer base = test::build(test::config("tiny-llama", 2));
    const auto k = kind_of(test::lora_adapter(base, 4, 8.f));
    CHECK(k.kind == deploy::FileKind::lora_adapter);
    CHECK(k.detail == "lora llama, alpha 8, rank 4, 4 pairs");  // attn_q and attn_v of 2 layers
}

TEST_CASE("a LoRA adapter without its base is judged on its own rules, and says the base is missing") {
    const Writer base = test::build(test::config("tiny-llama", 2));
    Writer w = test::lora_adapter(base);
    test::remove_tensor(w, "blk.0.attn_q.weight.lora_a");
    test::TempDir dir;
    REQUIRE(w.write(dir / "a.gguf").ok());
    auto adapter = open(dir / "a.gguf");
    REQUIRE(adapter.ok());
    const auto v = deploy::llama_cpp_verdict(*adapter);  // the adapter's own rules, not a model's
    REQUIRE(v.refusals.size() == 1);
    CHECK(v.refusals[0].subject == "blk.0.attn_q.weight");
    CHECK(v.refusals[0].message.find(".lora_a") != std::string::npos);
    REQUIRE(v.not_judged.size() == 1);
    CHECK(v.not_judged[0].find("--base") != std::string::npos);
}

TEST_CASE("a projector (clip) and a file without tensors are recognised") {
    Writer clip;
    clip.set("general.architecture", Value::string("clip"));
    clip.set("clip.projector_type", Value::string("mlp"));
    std::vector<std::byte> data(16 * 4 * 4);  // F32
    REQUIRE(clip.add_tensor({"mm.0.weight", 0, {16, 4}, data}).ok());
    const auto k = kind_of(clip);
    CHECK(k.kind == deploy::FileKind::projector);
    CHECK(k.detail == "mlp");
    Writer vocab;
    vocab.set("general.architecture", Value::string("llama"));
    vocab.set("tokenizer.ggml.model", Value::string("llama"));
    CHECK(kind_of(vocab).kind == deploy::FileKind::vocabulary_only);
}
