// gguf-doctor tokenize end to end: ids with llama-tokenize's defaults, the flags, the JSON form, and
// the exit codes for a file without a usable tokenizer and for a bad command line.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/command.hpp"
#include "tokenizer/vocab_fixture.hpp"

using namespace gguf;
using gguf::test::TempDir;
using gguf::test::VocabFixture;

namespace {

using Run = test::CommandResult;

Run run(const std::string& arguments) {
    return test::run_command(std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor tokenize " + arguments +
                             " 2>/dev/null");
}

// The SPM vocabulary of encode_test.cpp, cut down: "hello" is one token after the space prefix.
VocabFixture spm() {
    VocabFixture f;
    f.tokens = {"<unk>", "<s>", "</s>", "▁", "h", "e", "l", "o", "▁h", "ll", "▁he", "llo", "▁hello", "<|ctl|>"};
    f.scores = {0, 0, 0, -10, -10, -10, -10, -10, -1, -2, -3, -4, -5, 0};
    f.types = {2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3};
    return f;
}

}  // namespace

TEST_CASE("tokenize prints ids with BOS and the space prefix by default, like llama-tokenize") {
    const TempDir dir;
    REQUIRE(spm().writer().write(dir / "spm.gguf").ok());
    const std::string file = (dir / "spm.gguf").string();

    const Run ids = run(file + " --text hello --ids");
    CHECK(ids.status == 0);
    CHECK(ids.out == "[1, 12]\n");
    CHECK(run(file + " --text hello --ids --no-bos").out == "[12]\n");
    CHECK(run(file + " --text 'hello<|ctl|>' --ids --no-bos --parse-special").out == "[12, 13]\n");

    const Run text = run(file + " --text hello");
    CHECK(text.status == 0);
    CHECK(text.out == "     1 -> '<s>'\n    12 -> ' hello'\n");
}

TEST_CASE("tokenize --json gives the settings, the ids and each piece") {
    const TempDir dir;
    REQUIRE(spm().writer().write(dir / "spm.gguf").ok());
    const Run r = run((dir / "spm.gguf").string() + " --text hello --json");
    REQUIRE(r.status == 0);
    const auto json = nlohmann::json::parse(r.out);
    CHECK(json["model"] == "llama");
    CHECK(json["add_bos"] == true);
    CHECK(json["ids"] == nlohmann::json::array({1, 12}));
    CHECK(json["tokens"][1]["piece"] == " hello");
    CHECK(json["tokens"][1]["hex"] == "2068656c6c6f");
}

TEST_CASE("tokenize reports a file without a usable tokenizer and a bad command line") {
    const TempDir dir;
    VocabFixture bert = spm();
    bert.model = "bert";
    REQUIRE(bert.writer().write(dir / "bert.gguf").ok());
    CHECK(run((dir / "bert.gguf").string() + " --text hi").status == 2);
    CHECK(run((dir / "missing.gguf").string() + " --text hi").status == 2);
    CHECK(run((dir / "bert.gguf").string()).status == 3);  // no text
}
