// The experts of a 3-D expert stack, one damaged at a time in a tiny-qwen3moe copy: an all-zero expert
// (GD-W021) and an expert stored with another expert's bytes (GD-W022), in a float and a quantized file.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "fixture.hpp"
#include "gguf/rules/codes.hpp"

using namespace gguf;
using namespace gguf::test;
using Codes = std::set<std::string>;

namespace {

Writer qwen3moe(std::string_view mix) {
    auto c = config("tiny-qwen3moe", 3);
    REQUIRE(samples::apply_mix(c, mix).ok());
    return build(c);
}

// The bytes of expert e of a stack: the experts are its outermost dimension.
std::span<std::byte> expert_bytes(WriterTensor& t, std::uint64_t e) {
    REQUIRE(t.ne.size() == 3);
    const std::size_t size = t.data.size() / t.ne[2];
    return std::span(t.data).subspan(e * size, size);
}

std::string evidence(const model::Finding& f, std::string_view name) {
    for (const auto& e : f.evidence)
        if (e.name == name) return e.value;
    return "";
}

}  // namespace

TEST_CASE("a dead expert and a duplicated expert are reported on their stacks, naming the experts") {
    for (const char* mix : {"f32", "q4_k_m"}) {
        CAPTURE(mix);
        Writer w = qwen3moe(mix);
        const Outcome healthy = check(w);
        REQUIRE_MESSAGE(healthy.codes().empty(), healthy.describe());

        edit_tensor(w, "blk.1.ffn_up_exps.weight", [](WriterTensor& t) {
            const auto bytes = expert_bytes(t, 3);
            std::fill(bytes.begin(), bytes.end(), std::byte{0});
        });
        edit_tensor(w, "blk.0.ffn_gate_exps.weight", [](WriterTensor& t) {
            const auto from = expert_bytes(t, 2), to = expert_bytes(t, 5);
            std::copy(from.begin(), from.end(), to.begin());
        });
        const Outcome o = check(w);
        // The zeroed expert's rows are also all-zero rows of the stack (GD-W010).
        CHECK_MESSAGE((o.codes() == Codes{"GD-W010", "GD-W021", "GD-W022"}), o.describe());
        const model::Finding* dead = o.find("GD-W021", "blk.1.ffn_up_exps.weight");
        REQUIRE_MESSAGE(dead, o.describe());
        CHECK(dead->severity == Severity::error);
        CHECK(evidence(*dead, "dead_experts") == "3");
        CHECK(evidence(*dead, "n_expert") == "8");
        CHECK(evidence(*dead, "expert_rms_min") == "0");
        const model::Finding* copy = o.find("GD-W022", "blk.0.ffn_gate_exps.weight");
        REQUIRE_MESSAGE(copy, o.describe());
        CHECK(copy->severity == Severity::warning);
        CHECK(evidence(*copy, "duplicates") == "5=2");
        // Only the damaged stacks.
        CHECK(std::count_if(o.findings.begin(), o.findings.end(), [](const model::Finding& f) {
                  return f.code == "GD-W021" || f.code == "GD-W022";
              }) == 2);
    }
}

TEST_CASE("a stack that is zero as a whole is GD-W003 alone, not one dead expert per expert") {
    Writer w = qwen3moe("f32");
    edit_tensor(w, "blk.2.ffn_down_exps.weight", [](WriterTensor& t) { std::fill(t.data.begin(), t.data.end(), std::byte{0}); });
    const Outcome o = check(w);
    CHECK(o.find("GD-W003", "blk.2.ffn_down_exps.weight"));
    CHECK_FALSE(o.has("GD-W021"));
    CHECK_FALSE(o.has("GD-W022"));
}
