// Files built to make a reader do unbounded work: a vocabulary of 10^7 tokens, tokens of 64 KB, a
// million BPE merges that can never apply, metadata arrays nested to the parser's depth limit and one
// level past it. Every command that reads them (info, check with its forward pass, tokenize, fit) must
// end with one of its own exit codes (0-3) within the bounds docs/hardening.md states: 120 s on the
// 2-core CI machine and 8 GB of address space (ulimit -v), which a command that tried to hold a
// quadratic structure or a copy per token would exceed.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using namespace gguf::test;

namespace {

constexpr int kSecondsBound = 120;
constexpr long kAddressSpaceKb = 8L * 1024 * 1024;

struct Ran {
    int status = -1;
    double seconds = 0;
    std::string out;
};

Ran run_bounded(const std::string& args) {
    const std::string binary = std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor";
    const auto start = std::chrono::steady_clock::now();
    // timeout's 124 (a hang), a signal's -1 (a crash, or an allocation past the limit that was not
    // handled) both fall outside 0-3.
    const CommandResult r = run_command("ulimit -v " + std::to_string(kAddressSpaceKb) + "; timeout " +
                                        std::to_string(kSecondsBound) + " " + binary + " " + args + " 2>&1");
    return {r.status, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), r.out};
}

// Runs every reading command on the file; each must end on its own terms within the bounds.
void every_command_ends(const std::filesystem::path& file, const std::string& prompt = "hello world, hello") {
    const std::string f = "'" + file.string() + "'";
    for (const std::string& args : {"info " + f, "check " + f + " --json", "tokenize " + f + " --text '" + prompt + "'",
                                    "fit " + f + " --json"}) {
        CAPTURE(args);
        const Ran r = run_bounded(args);
        CAPTURE(r.out.substr(0, 2000));
        CHECK((r.status >= 0 && r.status <= 3));
        CHECK(r.status != 3);  // the command lines are right: a usage error would mean the file was never read
        CHECK(r.seconds < kSecondsBound);
        MESSAGE(file.filename().string() << ": " << args.substr(0, args.find(' ')) << " exit " << r.status << " in "
                                         << r.seconds << " s");
    }
}

// The metadata array `key` of `w` with `extra` entries appended, made by `make(i)`.
template <class T, class Make>
void append(Writer& w, const std::string& key, std::size_t extra, Make make, std::vector<T> base) {
    for (std::size_t i = 0; i < extra; ++i) base.push_back(make(i));
    if constexpr (std::is_same_v<T, std::string>) w.set(key, Value::string_array(base));
    else w.set(key, Value::array<T>(std::is_same_v<T, float> ? ValueType::float32 : ValueType::int32, base));
}

std::vector<std::string> strings_of(const Writer& w, const std::string& key) {
    std::vector<std::string> out;
    for (const auto& [k, v] : w.metadata())
        if (k == key)
            for (std::uint64_t i = 0; i < v.size(); ++i) out.emplace_back(v.string_at(i));
    return out;
}

}  // namespace

TEST_CASE("a vocabulary of ten million tokens") {
    const TempDir dir;
    Writer w = build(config("tiny-llama", 2));
    const std::size_t n = 10'000'000;
    std::vector<std::string> tokens = strings_of(w, "tokenizer.ggml.tokens");
    const std::size_t extra = n - tokens.size();
    append<std::string>(w, "tokenizer.ggml.tokens", extra, [](std::size_t i) { return "w" + std::to_string(i); }, tokens);
    append<float>(w, "tokenizer.ggml.scores", extra, [](std::size_t i) { return -1.0f - static_cast<float>(i); },
                  std::vector<float>(tokens.size(), 0.0f));
    append<std::int32_t>(w, "tokenizer.ggml.token_type", extra, [](std::size_t) { return 1; },
                         std::vector<std::int32_t>(tokens.size(), 1));
    REQUIRE(w.write(dir / "huge-vocab.gguf").ok());
    every_command_ends(dir / "huge-vocab.gguf");
}

TEST_CASE("tokens of 64 KB") {
    const TempDir dir;
    Writer w = build(config("tiny-llama", 2));
    std::vector<std::string> tokens = strings_of(w, "tokenizer.ggml.tokens");
    // Every token from the 300th on (byte tokens and specials stay) becomes 64 KB of 'a' and its id.
    for (std::size_t i = 300; i < tokens.size(); ++i) tokens[i] = std::string(65536, 'a') + std::to_string(i);
    w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    REQUIRE(w.write(dir / "long-tokens.gguf").ok());
    // A prompt that matches the first 64 K bytes of every long token.
    every_command_ends(dir / "long-tokens.gguf", std::string(20000, 'a'));
}

TEST_CASE("a million BPE merges that can never apply") {
    const TempDir dir;
    Writer w = build(config("tiny-qwen2", 2));
    std::vector<std::string> merges = strings_of(w, "tokenizer.ggml.merges");
    REQUIRE(!merges.empty());
    for (std::size_t i = 0; i < 1'000'000; ++i)
        merges.push_back("\xc4\xa0zz" + std::to_string(i) + " q" + std::to_string(i));  // pieces no token has
    // A merge whose halves exist but whose result is not a token, before the real merges.
    merges.insert(merges.begin(), "h e");
    w.set("tokenizer.ggml.merges", Value::string_array(merges));
    REQUIRE(w.write(dir / "dead-merges.gguf").ok());
    every_command_ends(dir / "dead-merges.gguf");
}

TEST_CASE("metadata arrays nested to the parser's depth limit, and one level past it") {
    const TempDir dir;
    const Writer healthy = build(config("tiny-llama", 2));
    const std::uint32_t limit = OpenOptions{}.max_array_depth;
    for (const std::uint32_t depth : {limit, limit + 1}) {
        CAPTURE(depth);
        // Depth 1 is an array of integers; each further level wraps the previous one twice.
        const std::vector<std::int32_t> leaf{1, 2, 3};
        Value v = Value::array<std::int32_t>(ValueType::int32, leaf);
        for (std::uint32_t d = 1; d < depth; ++d) {
            const std::vector<Value> two{v, v};
            v = Value::array_of(ValueType::array, two);
        }
        Writer w = healthy;
        w.set("hostile.nested", v);
        REQUIRE(w.write(dir / "nested.gguf").ok());
        every_command_ends(dir / "nested.gguf");
        const Ran info = run_bounded("info '" + (dir / "nested.gguf").string() + "'");
        if (depth > limit) {
            CHECK(info.status == 2);  // unreadable, with the reason
            CHECK_MESSAGE(info.out.find("nest") != std::string::npos, info.out);
        } else {
            CHECK_MESSAGE(info.status == 0, info.out);
        }
    }
}
