// The loadability verdict on hand-made cases, each with the reason llama.cpp's loader gives (the
// differential test in tests/reference compares the verdict with llama.cpp itself), and `check`
// reporting it as GD-L001.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "deploy/lora_fixture.hpp"
#include "gguf/deploy/loadability.hpp"
#include "rules/fixture.hpp"
#include "support/command.hpp"
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

TEST_CASE("check reports the verdict as GD-L001 with each reason as evidence, and a step") {
    test::TempDir dir;
    Writer w = healthy();
    w.set("tokenizer.ggml.model", Value::string("sentencepiece"));
    w.set("llama.rope.freq_base", Value::f64(10000));
    REQUIRE(w.write(dir / "bad.gguf").ok());
    const auto r = test::run_command(std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor check '" +
                                     (dir / "bad.gguf").string() + "' --no-forward --no-values --json 2>/dev/null");
    CHECK(r.status == 1);
    const auto j = nlohmann::json::parse(r.out);
    const nlohmann::json* refusal = nullptr;
    for (const auto& f : j["findings"])
        if (f["code"] == "GD-L001") refusal = &f;
    REQUIRE(refusal != nullptr);
    CHECK((*refusal)["severity"] == "error");
    REQUIRE((*refusal)["evidence"].size() == 2);
    const std::string dumped = refusal->dump();
    CHECK(dumped.find("llama.rope.freq_base") != std::string::npos);
    CHECK(dumped.find("sentencepiece") != std::string::npos);
    bool step = false;
    for (const auto& s : j["checks"]) step = step || s.dump().find("llama.cpp") != std::string::npos;
    CHECK(step);
}

TEST_CASE("check --base judges a LoRA adapter against its base model") {
    test::TempDir dir;
    const Writer base = healthy();
    REQUIRE(base.write(dir / "base.gguf").ok());
    Writer adapter = test::lora_adapter(base);
    test::edit_tensor(adapter, "blk.1.attn_v.weight.lora_b", [](WriterTensor& t) {
        t.ne[1] /= 2;
        t.data.resize(t.ne[0] * t.ne[1] * 4);
    });
    REQUIRE(adapter.write(dir / "lora.gguf").ok());
    const std::string cmd = std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor check '" + (dir / "lora.gguf").string() +
                            "' --no-forward --no-values";
    const auto alone = test::run_command(cmd + " 2>&1");
    CHECK(alone.out.find("LoRA adapter") != std::string::npos);
    CHECK(alone.out.find("--base") != std::string::npos);  // what was not judged
    CHECK(alone.out.find("GD-L001") == std::string::npos);
    const auto with_base = test::run_command(cmd + " --base '" + (dir / "base.gguf").string() + "' 2>&1");
    CHECK(with_base.status == 1);
    CHECK(with_base.out.find("GD-L001") != std::string::npos);
    CHECK(with_base.out.find("blk.1.attn_v.weight") != std::string::npos);
}
