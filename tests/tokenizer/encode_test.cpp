// Encoding and decoding with hand-made vocabularies, each expected id sequence worked out by hand
// from the algorithms' rules (highest score / lowest rank first, leftmost on ties).
#include <doctest/doctest.h>

#include <algorithm>

#include "tokenizer/vocab_fixture.hpp"

using namespace gguf;
using gguf::test::TempDir;
using gguf::test::VocabFixture;
using Ids = std::vector<std::int32_t>;

namespace {

VocabFixture spm() {
    VocabFixture f;
    //          0        1      2       3         4      5    6    7    8    9     10    11     12
    f.tokens = {"<unk>", "<s>", "</s>", "<0x21>", "▁", "h", "e", "l", "o", "▁h", "ll", "▁he", "llo",
                // 13      14   15   16   17    18    19          20
                "▁hello", "a", "b", "c", "ab", "bc", "<|user|>", "<|ctl|>"};
    f.scores = {0, 0, 0, 0, -10, -10, -10, -10, -10, -1, -2, -3, -4, -5, -10, -10, -10, -3, -1, 0, 0};
    f.types = {2, 3, 3, 6, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 3};
    return f;
}

}  // namespace

TEST_CASE("SPM merges the highest-scoring pair first and adds BOS and the space prefix") {
    const TempDir dir;
    auto t = spm().tokenizer(dir);
    // ▁h(-1), ll(-2), ▁he(-3), llo(-4), ▁hello(-5)
    CHECK(t->encode("hello", false, false) == Ids{13});
    CHECK(t->encode("hello", true, false) == Ids{1, 13});
    // "bc" (-1) beats "ab" (-3), and "abc" is no token.
    CHECK(t->encode("abc", false, false) == Ids{4, 14, 18});
}

TEST_CASE("a big-endian file gives the same tokenizer") {
    const TempDir dir;
    VocabFixture f = spm();
    f.order = ByteOrder::big;
    auto t = f.tokenizer(dir);
    CHECK(t->encode("hello", true, false) == Ids{1, 13});
    CHECK(t->encode("abc", false, false) == Ids{4, 14, 18});  // the scores were read in the right byte order
}

TEST_CASE("SPM falls back to byte tokens, then to the unknown token") {
    const TempDir dir;
    auto t = spm().tokenizer(dir);
    CHECK(t->encode("hello!", false, false) == Ids{13, 3});
    CHECK(t->encode("x", false, false) == Ids{4, 0});
}

TEST_CASE("SPM without a space prefix") {
    const TempDir dir;
    VocabFixture f = spm();
    f.extra.emplace_back("tokenizer.ggml.add_space_prefix", Value::boolean(false));
    auto t = f.tokenizer(dir);
    CHECK(t->encode("hello", false, false) == Ids{5, 6, 12});
}

TEST_CASE("user-defined tokens are always matched, control tokens only with parse_special") {
    const TempDir dir;
    auto t = spm().tokenizer(dir);
    // The space prefix comes back after a special token.
    CHECK(t->encode("hello<|user|>hello", false, false) == Ids{13, 19, 13});
    CHECK(t->encode("hello<|ctl|>", false, true) == Ids{13, 20});
    const Ids plain = t->encode("hello<|ctl|>", false, false);
    CHECK(std::find(plain.begin(), plain.end(), 20) == plain.end());
}

TEST_CASE("SPM pieces and decoding") {
    const TempDir dir;
    auto t = spm().tokenizer(dir);
    CHECK(t->token_piece(13) == " hello");
    CHECK(t->token_piece(3) == "!");
    CHECK(t->token_piece(20, false).empty());
    CHECK(t->token_piece(20, true) == "<|ctl|>");
    CHECK(t->token_piece(19, false) == "<|user|>");
    CHECK(t->decode(Ids{13, 3}) == "hello!");       // the space prefix is removed
    CHECK(t->decode(Ids{1, 13}) == "<s> hello");    // ...but only from the first token
    CHECK(t->decode(Ids{1, 13}, false) == " hello");
    CHECK_THROWS_AS(t->token_piece(21), std::out_of_range);
    CHECK_THROWS_AS(t->token_piece(-1), std::out_of_range);
}

namespace {

VocabFixture bpe(const std::string& pre) {
    VocabFixture f;
    f.model = "gpt2";
    //          0    1    2    3    4    5    6     7      8     9     10            11   12
    f.tokens = {"a", "b", "c", "Ġ", "1", "2", "ab", "abc", "Ġa", "12", "<|im_end|>", "!", "Ġab"};
    f.types = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 1};
    // "Ġ a" would make "Ġa", but "a b" ranks first; "Ġ ab" is no merge.
    f.merges = {"a b", "ab c", "Ġ a", "1 2", "Ġa b"};
    f.extra.emplace_back("tokenizer.ggml.pre", Value::string(pre));
    return f;
}

}  // namespace

TEST_CASE("BPE merges the lowest-ranked pair first, inside each pre-tokenized word") {
    const TempDir dir;
    auto t = bpe("qwen2").tokenizer(dir);
    CHECK(t->encode("abc ab", false, false) == Ids{7, 3, 6});
    // qwen2 cuts numbers into single digits, so the merge "1 2" never applies.
    CHECK(t->encode("12", false, false) == Ids{4, 5});
}

TEST_CASE("llama3's pre-tokenizer keeps up to three digits and takes whole-word tokens without merging") {
    const TempDir dir;
    auto t = bpe("llama3").tokenizer(dir);
    CHECK(t->encode("12", false, false) == Ids{9});
    // "Ġab" is a token as a whole: ignore_merges takes it, where merging would give Ġ + ab.
    CHECK(t->encode(" ab", false, false) == Ids{12});
    auto q = bpe("qwen2").tokenizer(dir);
    CHECK(q->encode(" ab", false, false) == Ids{3, 6});
}

TEST_CASE("BPE control tokens are matched with parse_special; unknown bytes are dropped as in llama.cpp") {
    const TempDir dir;
    auto t = bpe("qwen2").tokenizer(dir);
    CHECK(t->encode("ab<|im_end|>", false, true) == Ids{6, 10});
    // Without parse_special the text is plain: '<', '|', '_' are no tokens and vanish; "im", "end" too.
    CHECK(t->encode("ab<|im_end|>", false, false) == Ids{6});
    CHECK(t->encode("!", false, false) == Ids{11});
}

TEST_CASE("BPE pieces map GPT-2's byte alphabet back to bytes; decoding cleans spaces where the vocabulary says so") {
    const TempDir dir;
    auto gpt2 = bpe("gpt-2").tokenizer(dir);
    CHECK(gpt2->token_piece(3) == " ");
    CHECK(gpt2->token_piece(12) == " ab");
    CHECK(gpt2->decode(Ids{6, 3, 11}) == "ab!");  // " !" loses its space (clean_up_tokenization_spaces)
    auto qwen = bpe("qwen2").tokenizer(dir);
    CHECK(qwen->decode(Ids{6, 3, 11}) == "ab !");  // qwen2 keeps spaces as they are
}
