// The loadability verdict on hand-made cases, each with the reason llama.cpp's loader gives (the
// differential test in tests/reference compares the verdict with llama.cpp itself). `check` reporting
// it is tested in loadability_cli_test.cpp.
#include <doctest/doctest.h>

#include "gguf/deploy/loadability.hpp"
#include "rules/fixture.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

deploy::LoadVerdict verdict_of(const Writer& w) {
    const auto bytes = test::serialize(w);
    test::TempDir dir;
    const auto path = dir / "m.gguf";
    REQUIRE(w.write(path).ok());
    auto model = open(path);
    REQUIRE(model.ok());
    return deploy::llama_cpp_verdict(*model);
}

Writer healthy() { return test::build(test::config("tiny-llama", 2)); }

bool names(const deploy::LoadVerdict& v, deploy::LoadStage stage, std::string_view subject) {
    for (const auto& r : v.refusals)
        if (r.stage == stage && r.subject == subject) return true;
    return false;
}

}  // namespace

TEST_CASE("a healthy model has no reason to be refused, and all of it is judged") {
    const auto v = verdict_of(healthy());
    CHECK_FALSE(v.refuses());
    CHECK(v.not_judged.empty());
    CHECK(deploy::verdict_findings(v).empty());
}

TEST_CASE("a key of another integer type than llama.cpp reads is a refusal naming the key") {
    Writer w = healthy();
    w.set("llama.context_length", Value::u64(256));
    const auto v = verdict_of(w);
    REQUIRE(v.refusals.size() == 1);
    CHECK(v.refusals[0].stage == deploy::LoadStage::hparams);
    CHECK(v.refusals[0].subject == "llama.context_length");
    CHECK(v.refusals[0].message.find("uint64") != std::string::npos);
    CHECK(v.refusals[0].offset > 0);
}

TEST_CASE("assertions llama.cpp stops on are marked as aborting") {
    Writer w = healthy();
    w.set("llama.block_count", Value::u32(0));
    const auto v = verdict_of(w);
    REQUIRE(v.refuses());
    CHECK(v.refusals[0].aborts);
    const auto findings = deploy::verdict_findings(v);
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].code == "GD-L001");
    CHECK(findings[0].hint.find("stops the whole process") != std::string::npos);
}

TEST_CASE("a missing tensor, an extra tensor and a wrong shape are each a reason") {
    Writer w = healthy();
    test::remove_tensor(w, "blk.1.ffn_up.weight");
    WriterTensor extra = test::tensor(w, "blk.0.attn_norm.weight");
    extra.name = "blk.0.extra_norm.weight";
    REQUIRE(w.add_tensor(extra).ok());
    test::edit_tensor(w, "output.weight", [](WriterTensor& t) { std::swap(t.ne[0], t.ne[1]); });
    const auto v = verdict_of(w);
    CHECK(names(v, deploy::LoadStage::tensors, "blk.1.ffn_up.weight"));
    CHECK(names(v, deploy::LoadStage::tensors, "blk.0.extra_norm.weight"));
    CHECK(names(v, deploy::LoadStage::tensors, "output.weight"));
    CHECK(v.refusals.size() == 3);
}

TEST_CASE("an architecture without a schema is judged without its tensors, and says so") {
    Writer w = healthy();
    std::vector<std::pair<std::string, Value>> renamed;
    for (const auto& [k, value] : w.metadata())
        if (k.starts_with("llama.")) renamed.emplace_back("gemma." + k.substr(6), value);
    for (const auto& [k, value] : renamed) w.set(k, value);
    w.set("general.architecture", Value::string("gemma"));
    const auto v = verdict_of(w);
    CHECK_FALSE(v.refuses());
    REQUIRE(v.not_judged.size() >= 1);
    CHECK(v.not_judged.back().find("no schema") != std::string::npos);
}

TEST_CASE("a file that cannot be parsed is refused with the parser's reason") {
    const auto v = deploy::llama_cpp_verdict(Error{ErrorCode::truncated, 120, "cut", "m.gguf"});
    REQUIRE(v.refuses());
    CHECK(v.refusals[0].message.find("truncated") != std::string::npos);
    CHECK(v.refusals[0].offset == 120);
}
