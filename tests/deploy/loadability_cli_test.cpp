// `check` reporting the loadability verdict as GD-L001, and judging a LoRA adapter against its base
// (the verdict itself is tested in loadability_test.cpp). These cases run the gguf-doctor program.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "deploy/lora_fixture.hpp"
#include "rules/fixture.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

Writer healthy() { return test::build(test::config("tiny-llama", 2)); }

}  // namespace

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
