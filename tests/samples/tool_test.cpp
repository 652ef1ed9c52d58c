// The gguf-samples tool: flags reach the model, and errors give the documented exit codes.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <sys/wait.h>

#include "gguf/container.hpp"
#include "support/temp_dir.hpp"

namespace {

int run(const std::string& args) {
    const std::string command = std::string("'") + GGUF_DOCTOR_BINARY_DIR + "/gguf-samples' " + args + " > /dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("gguf-samples writes the preset with the flags applied") {
    gguf::test::TempDir dir;
    const auto out = dir / "m.gguf";
    REQUIRE(run("--preset tiny-qwen2 --n-layer 3 --n-ff 768 --type q8_0 --tensor-type blk.1.ffn_down.weight=q6_k "
                "--rope-base 5000 -o '" + out.string() + "'") == 0);
    auto m = gguf::open(out);
    REQUIRE(m.ok());
    CHECK(m->get_u64("qwen2.block_count") == 3);
    CHECK(m->get_u64("qwen2.feed_forward_length") == 768);
    CHECK(m->get_f64("qwen2.rope.freq_base") == 5000.0);
    CHECK(m->get_u64("general.file_type") == 7);
    CHECK(m->find_tensor("blk.2.ffn_up.weight")->ne[1] == 768);
    CHECK(gguf::type_label(m->find_tensor("blk.0.ffn_down.weight")->type) == "Q8_0");
    CHECK(gguf::type_label(m->find_tensor("blk.1.ffn_down.weight")->type) == "Q6_K");
    CHECK(m->find_tensor("output.weight") == nullptr);
}

TEST_CASE("gguf-samples exit codes: 0 for --list, 3 for usage and configuration errors, 2 for unreadable input") {
    gguf::test::TempDir dir;
    const std::string out = "-o '" + (dir / "m.gguf").string() + "'";
    CHECK(run("--list") == 0);
    CHECK(run("--preset no-such " + out) == 3);
    CHECK(run("--preset tiny-llama") == 3);                         // no output
    CHECK(run("--preset tiny-llama --type q9 " + out) == 3);
    CHECK(run("--preset tiny-qwen2 --head-dim 32 " + out) == 3);     // 4 x 32 != 256
    CHECK(run("--preset tiny-llama --vocab-from '" + (dir / "missing.gguf").string() + "' " + out) == 2);
    CHECK_FALSE(std::filesystem::exists(dir / "m.gguf"));
}
