// gguf::tokenizer against node-llama-cpp's model.tokenize (the reference as users call it), on the
// real vocabularies and the valid-UTF-8 texts of the corpus (JavaScript strings cannot hold invalid
// UTF-8), with and without special-token parsing. node-llama-cpp's tokenize never adds BOS/EOS.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/value.hpp"
#include "support/temp_dir.hpp"
#include "tokenizer/corpus.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path vocab_dir = fs::path(GGUF_DOCTOR_REFERENCE_DIR) / "vocab";

// Runs `node llama.mjs tokenize-raw`: the ids of every text, without and with special-token parsing.
nlohmann::json node_tokenize(const fs::path& model, const std::vector<std::string>& texts, const gguf::test::TempDir& dir) {
    const fs::path in = dir / "texts.json", out = dir / "ids.json";
    std::ofstream(in) << nlohmann::json(texts).dump();
    const std::string command = "'" + std::string(GGUF_DOCTOR_NODE) + "' '" + GGUF_DOCTOR_REFERENCE_SCRIPT +
                                "' tokenize-raw '" + model.string() + "' '" + in.string() + "' '" + out.string() +
                                "' 2>/dev/null";
    REQUIRE_MESSAGE(std::system(command.c_str()) == 0, command);
    std::ifstream result(out);
    return nlohmann::json::parse(result);
}

}  // namespace

TEST_CASE("token ids equal node-llama-cpp's model.tokenize on the real vocabularies") {
    if (!fs::exists(vocab_dir / "ggml-vocab-qwen2.gguf")) {
        std::printf("SKIPPED: no vocabularies in %s (run tests/reference/install.sh)\n", vocab_dir.c_str());
        std::exit(77);
    }
    std::vector<std::string> texts;
    for (auto& text : gguf::test::load_corpus(gguf::test::corpus_path()))
        if (gguf::is_valid_utf8(text) && !text.empty()) texts.push_back(text);
    const gguf::test::TempDir dir;
    for (const char* name : {"llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2", "deepseek-llm"}) {
        const fs::path path = vocab_dir / (std::string("ggml-vocab-") + name + ".gguf");
        auto model = gguf::open(path);
        REQUIRE(model.ok());
        auto tokenizer = gguf::tokenizer::load_tokenizer(*model);
        REQUIRE(tokenizer.ok());
        const nlohmann::json answers = node_tokenize(path, texts, dir);
        for (bool special : {false, true}) {
            const auto expected = answers[special ? "special" : "plain"].get<std::vector<std::vector<std::int32_t>>>();
            REQUIRE(expected.size() == texts.size());
            int mismatches = 0;
            for (std::size_t i = 0; i < texts.size(); ++i) {
                const auto got = tokenizer.value()->encode(texts[i], false, special);
                if (got != expected[i] && mismatches++ < 5)
                    FAIL_CHECK(std::string(name) << " special=" << special << ": text #" << i << " differs");
            }
            CHECK(mismatches == 0);
        }
        MESSAGE(std::string(name) << ": " << texts.size() << " texts x 2 compared with node-llama-cpp");
    }
}
