// llama.cpp (through node-llama-cpp) loads what `gguf-doctor edit`, `split` and `merge` write, and sees
// an edited value: the context length it reports is the one written by edit. (The tiny llama has 21
// tensors: 8 a shard makes 3 shards.)
#include <doctest/doctest.h>

#include <string>

#include "gguf/writer.hpp"
#include "reference/libgguf_llama_fixture.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

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
