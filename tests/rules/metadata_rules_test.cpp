// Hyperparameter, schema, vocabulary and tokenizer rules, each triggered by one metadata edit of a
// healthy fixture; and the --rules settings format.
#include <doctest/doctest.h>

#include "fixture.hpp"
#include "gguf/rules/codes.hpp"
#include "gguf/rules/settings.hpp"
#include "support/command.hpp"

using namespace gguf;
using namespace gguf::test;
using Codes = std::set<std::string>;

namespace {

Writer llama() { return build(config("tiny-llama", 3)); }
Writer qwen2() { return build(config("tiny-qwen2", 3)); }

// Metadata-only checks: the value rules are not what these tests are about.
Outcome check_metadata(const Writer& w) {
    rules::CheckOptions options;
    options.values = false;
    return check(w, options);
}

}  // namespace

TEST_CASE("hyperparameters that contradict each other are errors") {
    SUBCASE("n_head not divisible by n_head_kv") {
        Writer w = llama();
        w.set("llama.attention.head_count_kv", Value::u32(3));
        const Outcome o = check_metadata(w);
        CHECK(o.codes().contains("GD-A009"));
    }
    SUBCASE("n_embd not divisible by n_head without a key_length") {
        Writer w = llama();
        w.set("llama.attention.head_count", Value::u32(6));
        w.set("llama.attention.head_count_kv", Value::u32(6));
        const Outcome o = check_metadata(w);
        CHECK_MESSAGE(o.codes().contains("GD-A008"), o.describe());
    }
    SUBCASE("an epsilon of zero") {
        Writer w = llama();
        w.set("llama.attention.layer_norm_rms_epsilon", Value::f32(0.0f));
        const Outcome o = check_metadata(w);
        CHECK_MESSAGE((o.codes() == Codes{"GD-A010"}), o.describe());
    }
    SUBCASE("rope dimensions beyond the head size") {
        Writer w = llama();
        w.set("llama.rope.dimension_count", Value::u32(4096));
        const Outcome o = check_metadata(w);
        CHECK_MESSAGE(o.codes().contains("GD-A012"), o.describe());
    }
    SUBCASE("a negative rope base") {
        Writer w = llama();
        w.set("llama.rope.freq_base", Value::f32(-1.0f));
        const Outcome o = check_metadata(w);
        CHECK_MESSAGE((o.codes() == Codes{"GD-A013"}), o.describe());
    }
    SUBCASE("a zero block count") {
        Writer w = llama();
        w.set("llama.block_count", Value::u32(0));
        const Outcome o = check_metadata(w);
        CHECK(o.codes().contains("GD-A015"));
    }
}

TEST_CASE("an unusual epsilon and an unknown rope scaling are warnings") {
    Writer w = llama();
    w.set("llama.attention.layer_norm_rms_epsilon", Value::f32(0.1f));
    w.set("llama.rope.scaling.type", Value::string("banana"));
    const Outcome o = check_metadata(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-A011", "GD-A014"}), o.describe());
}

TEST_CASE("a missing hyperparameter key makes the spec unreadable") {
    Writer w = llama();
    w.erase("llama.embedding_length");
    const Outcome o = check_metadata(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-A002"}), o.describe());
}

TEST_CASE("a block count beyond the file's tensors makes the spec unreadable instead of a billion-layer schema") {
    Writer w = llama();
    w.set("llama.block_count", Value::u32(2147483647));  // a corrupt value seen in a fuzzed file: check hung
    const Outcome o = check_metadata(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-A002"}), o.describe());
    REQUIRE(o.find("GD-A002"));
    CHECK(o.find("GD-A002")->message.find("block_count 2147483647") != std::string::npos);
}

TEST_CASE("an architecture without a schema gets the generic checks and a note saying so") {
    Writer w = llama();
    // Rename every llama.* key to another architecture's prefix.
    std::vector<std::pair<std::string, Value>> renamed;
    for (const auto& [key, value] : w.metadata())
        if (key.starts_with("llama.")) renamed.emplace_back("gemma." + key.substr(6), value);
    for (const auto& [key, value] : renamed) {
        w.erase("llama." + key.substr(6));
        w.set(key, value);
    }
    w.set("general.architecture", Value::string("gemma"));
    const Outcome o = check(w);
    CHECK_MESSAGE(o.codes().empty(), o.describe());
    const auto* note = o.find("GD-A001");
    REQUIRE(note);
    CHECK(note->severity == Severity::info);
}

TEST_CASE("a mixture-of-experts llama is not modelled") {
    Writer w = llama();
    w.set("llama.expert_count", Value::u32(8));
    const Outcome o = check_metadata(w);
    CHECK(o.has("GD-A001"));
    CHECK_FALSE(o.has("GD-A006"));
}

TEST_CASE("a tensor the architecture does not have, and one past block_count, are errors") {
    Writer w = llama();
    WriterTensor extra = tensor(w, "blk.0.ffn_norm.weight");
    extra.name = "blk.0.mystery.weight";
    REQUIRE(w.add_tensor(extra).ok());
    extra.name = "blk.7.ffn_norm.weight";
    REQUIRE(w.add_tensor(extra).ok());
    const Outcome o = check_metadata(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-A006"}), o.describe());
    CHECK(o.find("GD-A006", "blk.0.mystery.weight"));
    const auto* past = o.find("GD-A006", "blk.7.ffn_norm.weight");
    REQUIRE(past);
    CHECK(past->message.find("block_count") != std::string::npos);
}

TEST_CASE("qwen2 without its q/k/v biases is a warning, not an error") {
    Writer w = qwen2();
    remove_tensor(w, "blk.1.attn_q.bias");
    const Outcome o = check_metadata(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-A004"}), o.describe());
}

TEST_CASE("special token ids out of range are reported, BOS/EOS as errors") {
    Writer w = llama();
    const auto n = w.find("tokenizer.ggml.tokens")->size();
    w.set("tokenizer.ggml.bos_token_id", Value::u32(static_cast<std::uint32_t>(n)));
    w.set("tokenizer.ggml.padding_token_id", Value::u32(static_cast<std::uint32_t>(n + 5)));
    const Outcome o = check_metadata(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-V005", "GD-V006"}), o.describe());
}

TEST_CASE("invalid token types and non-finite scores are errors") {
    Writer w = llama();
    const Value* types = w.find("tokenizer.ggml.token_type");
    const Value* scores = w.find("tokenizer.ggml.scores");
    std::vector<std::int32_t> t;
    std::vector<float> s;
    for (std::uint64_t i = 0; i < types->size(); ++i) {
        t.push_back(static_cast<std::int32_t>(types->integer_at(i)));
        s.push_back(static_cast<float>(scores->number_at(i)));
    }
    t[300] = 9;
    s[301] = std::numeric_limits<float>::quiet_NaN();
    w.set("tokenizer.ggml.token_type", Value::array<std::int32_t>(ValueType::int32, t));
    w.set("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, s));
    const Outcome o = check_metadata(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-V007", "GD-V008"}), o.describe());
}

TEST_CASE("tokenizer arrays of another length than the token list are errors") {
    Writer w = llama();
    const Value* scores = w.find("tokenizer.ggml.scores");
    std::vector<float> s;
    for (std::uint64_t i = 0; i + 1 < scores->size(); ++i) s.push_back(static_cast<float>(scores->number_at(i)));
    w.set("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, s));
    const Outcome o = check_metadata(w);
    CHECK(o.codes().contains("GD-V009"));
}

TEST_CASE("malformed BPE merges and merges of unknown tokens are reported") {
    Writer w = qwen2();
    const Value* merges = w.find("tokenizer.ggml.merges");
    REQUIRE(merges);
    std::vector<std::string> m;
    for (std::uint64_t i = 0; i < merges->size(); ++i) m.emplace_back(merges->string_at(i));
    REQUIRE(m.size() > 10);
    m[3] = "nospace";
    m[4] = "zzqq xxyy";
    w.set("tokenizer.ggml.merges", Value::string_array(m));
    const Outcome o = check_metadata(w);
    CHECK(o.codes().contains("GD-V010"));
    CHECK(o.codes().contains("GD-V011"));
}

TEST_CASE("tokenizers llama.cpp does not know are errors; a missing tokenizer is a warning") {
    SUBCASE("unknown model") {
        Writer w = llama();
        w.set("tokenizer.ggml.model", Value::string("banana"));
        CHECK(check_metadata(w).codes().contains("GD-T002"));
    }
    SUBCASE("unknown pre-tokenizer") {
        Writer w = qwen2();
        w.set("tokenizer.ggml.pre", Value::string("banana"));
        CHECK(check_metadata(w).codes().contains("GD-T004"));
    }
    SUBCASE("no tokenizer at all") {
        Writer w = llama();
        std::vector<std::string> keys;
        for (const auto& [key, value] : w.metadata())
            if (key.starts_with("tokenizer.")) keys.push_back(key);
        for (const auto& k : keys) w.erase(k);
        const Outcome o = check_metadata(w);
        CHECK_MESSAGE((o.codes() == Codes{"GD-T001"}), o.describe());
    }
}

TEST_CASE("rules settings: thresholds, disabled codes and severity overrides") {
    auto s = rules::parse_settings(R"({"thresholds": {"norm_outlier_ratio": 5, "duplicate_min_elements": 10,
                                                      "grid_usage_min": 0.2, "sign_fraction_margin": 0.25},
                                      "disable": ["GD-W009", "GD-F003"], "severity": {"GD-A007": "warning"}})");
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    CHECK(s->thresholds.norm_outlier_ratio == 5);
    CHECK(s->thresholds.duplicate_min_elements == 10);
    CHECK(s->thresholds.grid_usage_min == 0.2);
    CHECK(s->thresholds.sign_fraction_margin == 0.25);
    CHECK(s->is_disabled("GD-W009"));
    CHECK(s->is_disabled("GD-F003"));
    CHECK(s->severity.at("GD-A007") == Severity::warning);

    for (const char* bad : {R"({"thresholds": {"norm_outlier": 5}})", R"({"thresholds": {"eps_min": -1}})",
                            R"({"thresholds": {"grid_usage_min": 1.5}})", R"({"thresholds": {"sign_fraction_margin": 0.6}})",
                            R"({"disable": ["GD-W999"]})", R"({"disable": ["W001"]})", R"({"severity": {"GD-W001": "fatal"}})",
                            R"({"treshold": {}})", R"([1, 2])", "{not json"}) {
        auto r = rules::parse_settings(bad);
        CHECK_MESSAGE(!r.ok(), bad);
        if (!r.ok()) CHECK(r.error().code == ErrorCode::invalid_argument);
    }
}

TEST_CASE("disabled codes disappear and overridden severities apply") {
    Writer w = llama();
    remove_tensor(w, "output.weight");
    rules::CheckOptions options;
    options.values = false;
    options.settings.severity["GD-A007"] = Severity::error;
    CHECK(check(w, options).codes(Severity::error) == Codes{"GD-A007"});
    options.settings.disabled.insert("GD-A007");
    CHECK_FALSE(check(w, options).has("GD-A007"));
}

TEST_CASE("every code in the catalog is documented in docs/findings.md, and every documented code exists") {
    const std::string doc = read_file(std::string(GGUF_DOCTOR_SOURCE_DIR) + "/docs/findings.md");
    REQUIRE(!doc.empty());
    std::set<std::string> catalog;
    for (const auto& c : rules::codes()) {
        catalog.insert(std::string(c.code));
        CHECK_MESSAGE(doc.find("### " + std::string(c.code)) != std::string::npos, c.code << " is not documented");
    }
    // Headings of the families this library owns must name catalog codes (GD-F belongs to forward/).
    for (std::size_t at = doc.find("### GD-"); at != std::string::npos; at = doc.find("### GD-", at + 1)) {
        const std::string code = doc.substr(at + 4, 7);
        if (std::string_view("SAVTW").find(code[3]) != std::string_view::npos)
            CHECK_MESSAGE(catalog.contains(code), code << " is documented but not in the catalog");
    }
}
