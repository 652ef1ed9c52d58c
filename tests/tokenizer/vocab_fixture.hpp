// Small hand-made vocabularies written to temporary GGUF files, so each expectation in the unit tests
// can be worked out by hand.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/writer.hpp"
#include "support/temp_dir.hpp"

namespace gguf::test {

struct VocabFixture {
    std::vector<std::string> tokens;
    std::vector<float> scores;               // empty: no scores key
    std::vector<std::int32_t> types;         // empty: no token_type key
    std::vector<std::string> merges;         // gpt2 only
    std::vector<std::pair<std::string, Value>> extra;  // further metadata, written last
    std::string model = "llama";
    ByteOrder order = ByteOrder::little;

    Writer writer() const {
        Writer w(order);
        w.set("general.architecture", Value::string("llama"));
        w.set("tokenizer.ggml.model", Value::string(model));
        w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
        if (!scores.empty()) w.set("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, scores));
        if (!types.empty()) w.set("tokenizer.ggml.token_type", Value::array<std::int32_t>(ValueType::int32, types));
        if (!merges.empty()) w.set("tokenizer.ggml.merges", Value::string_array(merges));
        for (const auto& [key, value] : extra) w.set(key, value);
        return w;
    }

    tokenizer::LoadResult load(const TempDir& dir) const {
        const auto path = dir / "vocab.gguf";
        REQUIRE(writer().write(path).ok());
        auto model_file = open(path);
        REQUIRE(model_file.ok());
        return tokenizer::load_tokenizer(*model_file);
    }

    std::unique_ptr<tokenizer::Tokenizer> tokenizer(const TempDir& dir) const {
        auto result = load(dir);
        REQUIRE_MESSAGE(result.ok(), result.error().describe());
        return std::move(result.value());
    }

    std::int32_t id(const std::string& text) const {
        for (std::size_t i = 0; i < tokens.size(); ++i)
            if (tokens[i] == text) return static_cast<std::int32_t>(i);
        FAIL("no token " << text);
        return -1;
    }
};

}  // namespace gguf::test
