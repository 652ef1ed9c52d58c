// llama.cpp (through node-llama-cpp) loads the files our writer produces: a tiny llama model as one
// file, with a non-default alignment, and as split shards opened from the first one.
#include <doctest/doctest.h>

#include <string>

#include "gguf/writer.hpp"
#include "reference/libgguf_llama_fixture.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

// Runs `node llama.mjs load MODEL` and returns what it printed (stdout and stderr).
std::string llama_load(const std::filesystem::path& model) {
    const std::string cmd = std::string("'") + GGUF_DOCTOR_NODE + "' '" + GGUF_DOCTOR_REFERENCE_SCRIPT + "' load '" +
                            model.string() + "' 2>&1";
    return test::run_command(cmd).out;
}

}  // namespace

TEST_CASE("llama.cpp loads a model written by libgguf, also with another alignment and as split shards") {
    test::TempDir dir;
    const Writer model = reference::tiny_llama();
    REQUIRE(model.write(dir / "tiny.gguf").ok());
    std::string out = llama_load(dir / "tiny.gguf");
    CHECK_MESSAGE(out.find("\"loaded\":true") != std::string::npos, out);

    Writer aligned(ByteOrder::little, 64);
    for (const auto& [k, v] : model.metadata()) aligned.set(k, v);
    for (const auto& t : model.tensors()) REQUIRE(aligned.add_tensor(t).ok());
    REQUIRE(aligned.write(dir / "aligned.gguf").ok());
    out = llama_load(dir / "aligned.gguf");
    CHECK_MESSAGE(out.find("\"loaded\":true") != std::string::npos, out);

    auto shards = write_split(model, dir / "split", 8);
    REQUIRE(shards.ok());
    REQUIRE(shards->size() == 3);
    out = llama_load(shards->front());
    CHECK_MESSAGE(out.find("\"loaded\":true") != std::string::npos, out);
}
