// gguf-doctor logits and trace end to end: outputs equal the library's, and the exit codes.
#include <doctest/doctest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "gguf/forward/trace_io.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "support/command.hpp"

using namespace gguf;

namespace {

using Run = test::CommandResult;

Run run(const std::string& arguments) {
    return test::run_command(std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor " + arguments + " 2>/dev/null");
}

std::vector<float> npy_values(const std::filesystem::path& path, const std::string& expected_shape) {
    const std::string bytes = test::read_file(path);
    REQUIRE(bytes.size() > 10);
    const std::size_t header = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    CHECK(bytes.substr(10, header).find("'shape': (" + expected_shape + ")") != std::string::npos);
    std::vector<float> values((bytes.size() - 10 - header) / 4);
    std::memcpy(values.data(), bytes.data() + 10 + header, values.size() * 4);
    return values;
}

}  // namespace

TEST_CASE("logits --tokens writes every position's logits as the library computes them") {
    const test::TempDir dir;
    const auto model_path = test::write_preset(dir, "tiny-qwen2", "f16");
    const auto npy = dir / "logits.npy";
    const Run r = run("logits " + model_path.string() + " --tokens 5,6,7,8 --threads 1 --out " + npy.string());
    CHECK(r.status == 0);
    CHECK(r.out.find("position 3: input 8") != std::string::npos);

    const Container model = test::open_model(model_path);
    auto pass = test::cpu_pass(model);
    auto expected = pass->evaluate(std::vector<std::int32_t>{5, 6, 7, 8});
    REQUIRE(expected.ok());
    const auto values = npy_values(npy, "4, 512");
    REQUIRE(values.size() == expected->values.size());
    for (std::size_t i = 0; i < values.size(); ++i) REQUIRE(values[i] == doctest::Approx(expected->values[i]).epsilon(1e-5));
}

TEST_CASE("logits --prompt tokenizes with the model's tokenizer, BOS included when it asks for one") {
    const test::TempDir dir;
    const auto model_path = test::write_preset(dir, "tiny-llama", "f32");
    const Run r = run("logits " + model_path.string() + " --prompt 'the cat' --top 2 --last --json");
    REQUIRE(r.status == 0);
    const auto doc = nlohmann::json::parse(r.out);
    const Container model = test::open_model(model_path);
    auto tok = tokenizer::load_tokenizer(model);
    REQUIRE(tok.ok());
    const auto ids = tok.value()->encode("the cat", true, true);
    CHECK(doc["tokens"].get<std::vector<std::int32_t>>() == ids);
    CHECK(ids.front() == tok.value()->bos());
    REQUIRE(doc["positions"].size() == 1);
    CHECK(doc["positions"][0]["position"] == ids.size() - 1);
    CHECK(doc["positions"][0]["top"].size() == 2);
    const double p0 = doc["positions"][0]["top"][0]["probability"], p1 = doc["positions"][0]["top"][1]["probability"];
    CHECK(p0 >= p1);
}

TEST_CASE("logits and trace exit codes: usage 3, unreadable or unsupported model 2") {
    const test::TempDir dir;
    const std::string model = test::write_preset(dir, "tiny-llama", "f32").string();
    CHECK(run("logits " + model).status == 3);                                   // no input
    CHECK(run("logits " + model + " --tokens 1 --prompt hi").status == 3);       // both
    CHECK(run("logits " + model + " --tokens 1,x").status == 3);
    CHECK(run("logits " + model + " --tokens 1,512").status == 3);               // past the vocabulary
#ifndef GGUF_DOCTOR_TEST_HAS_CUDA
    CHECK(run("logits " + model + " --tokens 1 --gpu").status == 3);            // no CUDA in this build
#endif
    CHECK(run("logits " + model + " --tokens 1 --gpu --gpu-precision fp16").status == 3);  // not a choice
    CHECK(run("logits " + model + " --tokens 1 --gpu-precision tf32").status == 3);         // without --gpu
    CHECK(run("logits " + (dir / "absent.gguf").string() + " --tokens 1").status == 2);
    CHECK(run("trace " + model + " --tokens 1").status == 3);                    // no --out
    Writer gpt2 = test::build_preset("tiny-llama");
    gpt2.set("general.architecture", Value::string("gpt2"));
    REQUIRE(gpt2.write(dir / "gpt2.gguf").ok());
    CHECK(run("logits " + (dir / "gpt2.gguf").string() + " --tokens 1").status == 2);
}

TEST_CASE("trace writes the documented JSON and one .npy per record") {
    const test::TempDir dir;
    const auto model_path = test::write_preset(dir, "tiny-qwen3", "f32");
    const auto json = dir / "trace.json";
    const auto npy_dir = dir / "npy";
    const Run r = run("trace " + model_path.string() + " --tokens 3,1,4,1,5 --out " + json.string() + " --npy-dir " +
                      npy_dir.string() + " --first 4");
    REQUIRE(r.status == 0);
    CHECK(r.out.find("ffn_residual") != std::string::npos);
    auto trace = forward::read_trace(json);
    REQUIRE(trace.ok());
    CHECK(trace->header.tokens == std::vector<std::int32_t>{3, 1, 4, 1, 5});
    CHECK(trace->header.backend == "cpu");
    CHECK(trace->records.size() == 1 + 2 * 15 + 2);
    for (std::size_t i = 0; i < trace->records.size(); ++i) {
        CHECK(trace->records[i].first.size() == 4);
        CHECK(std::filesystem::exists(trace->npy[i]));
    }
    const auto logits = npy_values(npy_dir / "logits.npy", "5, 512");
    CHECK(logits.size() == 5 * 512);
    CHECK(std::filesystem::exists(npy_dir / "blk.1.attn_residual.npy"));
}
