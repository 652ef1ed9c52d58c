// llama.cpp (through node-llama-cpp) loads what `gguf-doctor edit`, `split`, `merge` and `fix` write,
// and sees an edited value: the context length it reports is the one written by edit. (The tiny llama
// has 21 tensors: 8 a shard makes 3 shards.) A file fixed by `fix` gives llama.cpp's logits of the
// intact model bit for bit.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "gguf/container.hpp"
#include "gguf/model/spec.hpp"
#include "gguf/repair/rewrite.hpp"
#include "gguf/writer.hpp"
#include "reference/libgguf_llama_fixture.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "verdict/damage_classes.hpp"

using namespace gguf;

namespace {

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::string llama_load(const std::filesystem::path& model) {
    return test::run_command(std::string("'") + GGUF_DOCTOR_NODE + "' '" + GGUF_DOCTOR_REFERENCE_SCRIPT + "' load " +
                             q(model) + " 2>&1").out;
}

test::CommandResult doctor(const std::string& args) {
    return test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' " + args + " 2>&1");
}

bool loaded(const std::string& out) { return out.find("\"loaded\":true") != std::string::npos; }

}  // namespace

TEST_CASE("llama.cpp loads edited, split and merged files") {
    test::TempDir dir;
    REQUIRE(reference::tiny_llama().write(dir / "tiny.gguf").ok());
    REQUIRE(loaded(llama_load(dir / "tiny.gguf")));

    auto r = doctor("edit " + q(dir / "tiny.gguf") + " -o " + q(dir / "edited.gguf") +
                    " --set llama.context_length=512 --set general.name=edited --special-token eos='</s>'"
                    " --set llama.rope.freq_base=500000 --chat-template '{{ messages }}'");
    REQUIRE_MESSAGE(r.status == 0, r.out);
    std::string out = llama_load(dir / "edited.gguf");
    CHECK_MESSAGE(loaded(out), out);
    CHECK_MESSAGE(out.find("\"train_context_size\":512") != std::string::npos, out);

    r = doctor("split " + q(dir / "tiny.gguf") + " --max-tensors 8 -o " + q(dir / "part"));
    REQUIRE_MESSAGE(r.status == 0, r.out);
    out = llama_load(dir / "part-00001-of-00003.gguf");
    CHECK_MESSAGE(loaded(out), (r.out + out));

    r = doctor("merge " + q(dir / "part-00001-of-00003.gguf") + " -o " + q(dir / "merged.gguf"));
    REQUIRE_MESSAGE(r.status == 0, r.out);
    out = llama_load(dir / "merged.gguf");
    CHECK_MESSAGE(loaded(out), out);
    CHECK(test::read_file(dir / "merged.gguf") == test::read_file(dir / "tiny.gguf"));
}

TEST_CASE("llama.cpp loads what fix writes, and computes the intact model's logits from it") {
    const std::string sample = std::string(GGUF_DOCTOR_SOURCE_DIR) + "/samples/trained/tiny-english-f16.gguf";
    auto intact = open(sample);
    REQUIRE(intact.ok());
    auto spec = model::read_spec(*intact);
    REQUIRE(spec.ok());
    test::TempDir dir;
    const auto ids = dir / "ids.json";
    std::ofstream(ids) << "[1, 450, 996, 1354, 1701, 12, 300, 29, 77, 1024]";
    const auto llama_logits = [&](const std::filesystem::path& model, const std::string& name) {
        const auto out = dir / (name + ".f32");
        const auto r = test::run_command("GGUF_DOCTOR_KV_TYPE=F32 GGUF_DOCTOR_FLASH_ATTENTION=off '" + std::string(GGUF_DOCTOR_NODE) +
                                         "' '" + GGUF_DOCTOR_REFERENCE_SCRIPT + "' logits " + q(model) + " " + q(ids) + " " +
                                         q(out) + " 2>&1");
        REQUIRE_MESSAGE(r.status == 0, r.out);
        return test::read_file(out);
    };
    const std::string reference = llama_logits(sample, "intact");
    REQUIRE(!reference.empty());
    int tried = 0;
    for (const auto& damage : test::damage_classes()) {
        if (damage.expected != "qk_hf_order" && damage.expected != "gate_up_swapped" && damage.expected != "byte_order" &&
            damage.expected != "transposed_attn_output")
            continue;
        CAPTURE(damage.name);
        ++tried;
        auto replacements = damage.apply(*intact, *spec);
        REQUIRE(replacements.ok());
        auto damaged = repair::rewrite_with(*intact, *replacements);
        REQUIRE(damaged.ok());
        const auto damaged_path = dir / (damage.expected + ".gguf"), fixed_path = dir / (damage.expected + "-fixed.gguf");
        REQUIRE(damaged->writer.write(damaged_path).ok());
        const auto r = doctor("fix " + q(damaged_path) + " -o " + q(fixed_path));
        REQUIRE_MESSAGE(r.status == 0, r.out);
        const std::string out = llama_load(fixed_path);
        CHECK_MESSAGE(loaded(out), out);
        // Same tensor bytes, same metadata meaning: llama.cpp's own logits are bit-identical.
        CHECK(llama_logits(fixed_path, damage.expected) == reference);
    }
    CHECK(tried == 4);
}
