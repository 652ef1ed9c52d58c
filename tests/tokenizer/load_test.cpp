// Building a tokenizer from metadata: which files are refused and why, and the defaults and flags
// llama.cpp derives from the metadata.
#include <doctest/doctest.h>

#include "tokenizer/vocab_fixture.hpp"

using namespace gguf;
using gguf::test::TempDir;
using gguf::test::VocabFixture;
using tokenizer::LoadErrorCode;

namespace {

VocabFixture spm() {
    VocabFixture f;
    f.tokens = {"<unk>", "<s>", "</s>", "▁", "a"};
    f.scores = {0, 0, 0, -1, -2};
    f.types = {2, 3, 3, 1, 1};
    return f;
}

VocabFixture bpe(const std::string& pre) {
    VocabFixture f;
    f.model = "gpt2";
    f.tokens = {"a", "b", "ab", "<|endoftext|>"};
    f.types = {1, 1, 1, 3};
    f.merges = {"a b"};
    if (!pre.empty()) f.extra.emplace_back("tokenizer.ggml.pre", Value::string(pre));
    return f;
}

LoadErrorCode error_of(const VocabFixture& f) {
    const TempDir dir;
    auto result = f.load(dir);
    REQUIRE_FALSE(result.ok());
    return result.error().code;
}

}  // namespace

TEST_CASE("a file without tokenizer.ggml.model has no tokenizer") {
    const TempDir dir;
    Writer w;
    w.set("general.architecture", Value::string("llama"));
    REQUIRE(w.write(dir / "none.gguf").ok());
    auto model = open(dir / "none.gguf");
    REQUIRE(model.ok());
    auto result = tokenizer::load_tokenizer(*model);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == LoadErrorCode::no_tokenizer);
    CHECK(result.error().key == "tokenizer.ggml.model");
}

TEST_CASE("tokenizer models are told apart: unknown to llama.cpp, known but not implemented, absent") {
    VocabFixture f = spm();
    f.model = "sentencepiece-v9";
    CHECK(error_of(f) == LoadErrorCode::unknown_model);
    f.model = "bert";
    CHECK(error_of(f) == LoadErrorCode::unsupported_model);
    f.model = "t5";
    CHECK(error_of(f) == LoadErrorCode::unsupported_model);
    f.model = "none";
    CHECK(error_of(f) == LoadErrorCode::no_tokenizer);
}

TEST_CASE("pre-tokenizers are told apart: unknown to llama.cpp, known but not implemented") {
    CHECK(error_of(bpe("my-own-regex")) == LoadErrorCode::unknown_pre_tokenizer);
    CHECK(error_of(bpe("tekken")) == LoadErrorCode::unsupported_pre_tokenizer);
    CHECK(error_of(bpe("kimi-k2")) == LoadErrorCode::unsupported_pre_tokenizer);
}

TEST_CASE("the error names the key and where it is in the file") {
    const TempDir dir;
    auto result = bpe("my-own-regex").load(dir);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().key == "tokenizer.ggml.pre");
    CHECK(result.error().offset > 0);
    CHECK(result.error().describe().find("my-own-regex") != std::string::npos);
}

TEST_CASE("malformed tokenizer metadata is invalid_metadata, not a crash") {
    VocabFixture no_merges = bpe("qwen2");
    no_merges.merges.clear();
    CHECK(error_of(no_merges) == LoadErrorCode::invalid_metadata);

    VocabFixture short_scores = spm();
    short_scores.scores.pop_back();
    CHECK(error_of(short_scores) == LoadErrorCode::invalid_metadata);

    VocabFixture short_types = spm();
    short_types.types.pop_back();
    CHECK(error_of(short_types) == LoadErrorCode::invalid_metadata);

    VocabFixture tokens_not_strings = spm();
    tokens_not_strings.extra.emplace_back("tokenizer.ggml.tokens", Value::u32(5));
    CHECK(error_of(tokens_not_strings) == LoadErrorCode::invalid_metadata);

    VocabFixture bos_wrong_type = spm();  // llama.cpp's get_key refuses a signed id
    bos_wrong_type.extra.emplace_back("tokenizer.ggml.bos_token_id", Value::i32(1));
    CHECK(error_of(bos_wrong_type) == LoadErrorCode::invalid_metadata);

    VocabFixture add_bos_wrong_type = spm();
    add_bos_wrong_type.extra.emplace_back("tokenizer.ggml.add_bos_token", Value::u8(1));
    CHECK(error_of(add_bos_wrong_type) == LoadErrorCode::invalid_metadata);
}

TEST_CASE("SPM defaults: BOS 1, EOS 2, UNK 0, BOS added, space prefix") {
    const TempDir dir;
    auto t = spm().tokenizer(dir);
    CHECK(t->kind() == tokenizer::Kind::spm);
    CHECK(t->model_name() == "llama");
    CHECK(t->n_tokens() == 5);
    CHECK(t->bos() == 1);
    CHECK(t->eos() == 2);
    CHECK(t->unk() == 0);
    CHECK(t->add_bos());
    CHECK_FALSE(t->add_eos());
    CHECK(t->add_space_prefix());
}

TEST_CASE("BPE defaults depend on the pre-tokenizer: llama3 adds BOS, qwen2 does not, no pre means default") {
    const TempDir dir;
    VocabFixture llama3 = bpe("llama-bpe");
    llama3.extra.emplace_back("tokenizer.ggml.bos_token_id", Value::u32(3));
    auto t = llama3.tokenizer(dir);
    CHECK(t->kind() == tokenizer::Kind::bpe);
    CHECK(t->pre_tokenizer_name() == "llama-bpe");
    CHECK(t->add_bos());
    CHECK(t->bos() == 3);
    CHECK_FALSE(t->add_space_prefix());

    auto q = bpe("qwen2").tokenizer(dir);
    CHECK_FALSE(q->add_bos());
    CHECK(q->bos() == tokenizer::no_token);  // the default BPE id 11 is past this 4-token vocabulary

    auto d = bpe("").tokenizer(dir);
    CHECK(d->pre_tokenizer_name() == "default");
}

TEST_CASE("ids in the metadata override the defaults; ids past the vocabulary are ignored") {
    const TempDir dir;
    VocabFixture f = spm();
    f.extra.emplace_back("tokenizer.ggml.eos_token_id", Value::u32(4));
    f.extra.emplace_back("tokenizer.ggml.bos_token_id", Value::u32(99));
    f.extra.emplace_back("tokenizer.ggml.add_bos_token", Value::boolean(false));
    f.extra.emplace_back("tokenizer.ggml.add_eos_token", Value::boolean(true));
    auto t = f.tokenizer(dir);
    CHECK(t->eos() == 4);
    CHECK(t->bos() == 1);  // 99 is ignored: the default stays
    CHECK_FALSE(t->add_bos());
    CHECK(t->add_eos());
    CHECK(t->encode("a", true, false).back() == 4);
}

TEST_CASE("end-of-generation tokens are recognized by text and by id") {
    const TempDir dir;
    VocabFixture f = bpe("qwen2");
    f.tokens.push_back("<|im_end|>");
    f.types.push_back(1);  // a normal-typed token llama.cpp still treats as control
    auto t = f.tokenizer(dir);
    const std::int32_t im_end = 4;
    CHECK(t->is_end_of_generation(im_end));
    CHECK(t->is_end_of_generation(3));  // <|endoftext|>
    CHECK(t->is_control(im_end));
    CHECK(t->eot() == 3);  // the first end-of-turn name in id order
    CHECK_FALSE(t->is_end_of_generation(0));
}

TEST_CASE("the tokenizer outlives the parsed file it was built from") {
    const TempDir dir;
    const VocabFixture f = spm();
    REQUIRE(f.writer().write(dir / "v.gguf").ok());
    std::unique_ptr<tokenizer::Tokenizer> t;
    {
        auto model = open(dir / "v.gguf");
        REQUIRE(model.ok());
        auto result = tokenizer::load_tokenizer(*model);
        REQUIRE(result.ok());
        t = std::move(result.value());
    }
    CHECK(t->token_text(4) == "a");
    CHECK(t->encode("a", false, false) == std::vector<std::int32_t>{3, 4});
}
