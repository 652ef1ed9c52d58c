// gguf-doctor audit, hash and diff end to end: exit codes, text, JSON and JUnit output (parsed back
// with nlohmann-json and expat, which rejects malformed XML).
#include <doctest/doctest.h>

#include <expat.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "fixture.hpp"
#include "gguf/audit/names.hpp"
#include "support/command.hpp"

using namespace gguf;

namespace {

using Run = test::CommandResult;

Run run(const std::string& arguments) {
    return test::run_command(std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor " + arguments + " 2>/dev/null");
}

struct JUnit {
    std::uint64_t testcases = 0, failures = 0;
    std::vector<std::string> failing;  // names of failing test cases
    std::string current;
};

// Parses a JUnit file with expat; counts test cases and failures.
JUnit parse_junit(const std::filesystem::path& path) {
    const std::string text = test::read_file(path);
    JUnit j;
    XML_Parser parser = XML_ParserCreate("UTF-8");
    XML_SetUserData(parser, &j);
    XML_SetStartElementHandler(parser, [](void* data, const XML_Char* name, const XML_Char** attributes) {
        auto& junit = *static_cast<JUnit*>(data);
        if (std::string(name) == "testcase") {
            ++junit.testcases;
            for (int i = 0; attributes[i]; i += 2)
                if (std::string(attributes[i]) == "name") junit.current = attributes[i + 1];
        } else if (std::string(name) == "failure") {
            ++junit.failures;
            junit.failing.push_back(junit.current);
        }
    });
    const bool ok = XML_Parse(parser, text.data(), static_cast<int>(text.size()), 1) != XML_STATUS_ERROR;
    XML_ParserFree(parser);
    REQUIRE_MESSAGE(ok, "malformed JUnit XML");
    return j;
}

}  // namespace

TEST_CASE("audit --dump: exit 0 with PASS on a clean dump, 1 with the diagnosis in text, JSON and JUnit") {
    const test::TempDir dir;
    const auto model_path = test::write_model(dir, "tiny-llama", test::type_id(TypeId::F16));
    const Container model = test::open_model(model_path);
    test::dump_reference(model, dir / "dump");
    const std::string base = "audit " + model_path.string() + " --dump " + (dir / "dump").string() + " --threads 2";
    const Run clean = run(base + " --junit " + (dir / "clean.xml").string());
    CHECK(clean.status == 0);
    CHECK(clean.out.find("PASS") != std::string::npos);
    const JUnit ok = parse_junit(dir / "clean.xml");
    CHECK(ok.testcases == model.tensors().size());
    CHECK(ok.failures == 0);

    auto v = test::reference_values(model, "blk.1.ffn_up.weight");
    for (float& x : v) x *= 0.05f;
    test::write_npy(dir / "dump" / "blk.1.ffn_up.weight.npy", test::numpy_shape(*model.find_tensor("blk.1.ffn_up.weight")), v);
    const Run text = run(base);
    CHECK(text.status == 1);
    CHECK(text.out.find("MISMATCH   blk.1.ffn_up.weight") != std::string::npos);
    CHECK(text.out.find("20x too small") != std::string::npos);
    CHECK(text.out.find("FAIL  1 tensors differ") != std::string::npos);

    const Run json = run(base + " --json --junit " + (dir / "bad.xml").string());
    CHECK(json.status == 1);
    const auto doc = nlohmann::json::parse(json.out);
    CHECK(doc["passed"] == false);
    CHECK(doc["dump"]["counts"]["mismatch"] == 1);
    bool found = false;
    for (const auto& t : doc["dump"]["tensors"])
        if (t["name"] == "blk.1.ffn_up.weight") {
            found = true;
            CHECK(t["status"] == "mismatch");
            CHECK(t["diagnoses"][0]["kind"] == "scaled");
            CHECK(std::stod(t["diagnoses"][0]["evidence"]["factor"].get<std::string>()) == doctest::Approx(0.05));
        }
    CHECK(found);
    const JUnit bad = parse_junit(dir / "bad.xml");
    CHECK(bad.failures == 1);
    CHECK(bad.failing == std::vector<std::string>{"blk.1.ffn_up.weight"});
}

TEST_CASE("audit --names hf and --only, --allow-missing") {
    const test::TempDir dir;
    const auto model_path = test::write_model(dir, "tiny-qwen2", test::type_id(TypeId::F32));
    const Container model = test::open_model(model_path);
    const auto hf = audit::NameMap::hugging_face();
    test::dump_reference(model, dir / "dump", true, [&](const std::string& n) { return hf.to_theirs(n); });
    const std::string base = "audit " + model_path.string() + " --dump " + (dir / "dump").string();
    CHECK(run(base).status == 1);  // HF names are extra files and every tensor is missing
    CHECK(run(base + " --names hf").status == 0);
    std::filesystem::remove(dir / "dump" / "model.norm.weight.npy");
    CHECK(run(base + " --names hf").status == 1);
    CHECK(run(base + " --names hf --allow-missing").status == 0);
    CHECK(run(base + " --names hf --only 'blk.0.*'").status == 0);
}

TEST_CASE("audit --trace: the reference's own trace passes; a perturbed op is reported in JSON and JUnit") {
    const test::TempDir dir;
    const auto model_path = test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32));
    const Run traced = run("trace " + model_path.string() + " --tokens 1,5,9,300 --threads 2 -q --out " + (dir / "t.json").string());
    REQUIRE(traced.status == 0);
    const std::string base = "audit " + model_path.string() + " --threads 2 --trace ";
    CHECK(run(base + (dir / "t.json").string()).status == 0);

    auto doc = nlohmann::json::parse(test::read_file(dir / "t.json"));
    for (auto& r : doc["records"])
        if (r["layer"] == 1 && r["op"] == "down") {
            r["rms"] = r["rms"].get<double>() * 2;
            r["mean"] = r["mean"].get<double>() * 2;
            r["min"] = r["min"].get<double>() * 2;
            r["max"] = r["max"].get<double>() * 2;
            for (auto& f : r["first"]) f = f.get<double>() * 2;
        }
    std::ofstream(dir / "t2.json") << doc.dump();
    const Run json = run(base + (dir / "t2.json").string() + " --json --junit " + (dir / "t.xml").string());
    CHECK(json.status == 1);
    const auto out = nlohmann::json::parse(json.out);
    CHECK(out["trace"]["first_divergence"]["layer"] == 1);
    CHECK(out["trace"]["first_divergence"]["op"] == "down");
    CHECK(out["trace"]["first_divergence"]["explanations"][0]["kind"] == "scaled");
    const JUnit junit = parse_junit(dir / "t.xml");
    CHECK(junit.testcases == 33);
    CHECK(junit.failures == 1);
    CHECK(junit.failing == std::vector<std::string>{"blk.1.down"});
}

TEST_CASE("audit: usage and unreadable inputs") {
    const test::TempDir dir;
    const auto model_path = test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32));
    CHECK(run("audit " + model_path.string()).status == 3);
    CHECK(run("audit " + model_path.string() + " --dump " + (dir / "nope").string()).status == 2);
    CHECK(run("audit " + (dir / "nope.gguf").string() + " --dump " + dir.path().string()).status == 2);
    CHECK(run("audit " + model_path.string() + " --trace " + (dir / "nope.json").string()).status == 2);
    CHECK(run("audit " + model_path.string() + " --dump x --qk-order sideways").status == 3);
}

TEST_CASE("hash: manifest round trip passes --check; a flipped byte fails it naming the tensor") {
    const test::TempDir dir;
    const auto model_path = test::write_model(dir, "tiny-llama", test::type_id(TypeId::Q8_0));
    const auto manifest = dir / "manifest.json";
    REQUIRE(run("hash " + model_path.string() + " --sha256 --manifest " + manifest.string()).status == 0);
    const Run ok = run("hash " + model_path.string() + " --check " + manifest.string());
    CHECK(ok.status == 0);
    CHECK(ok.out.find("OK  21 tensors") != std::string::npos);

    const Container model = test::open_model(model_path);
    std::string bytes = test::read_file(model_path);
    bytes[model.find_tensor("blk.0.attn_v.weight")->file_offset + 7] ^= 0x40;
    std::ofstream(dir / "flipped.gguf", std::ios::binary) << bytes;
    const Run bad = run("hash " + (dir / "flipped.gguf").string() + " --check " + manifest.string());
    CHECK(bad.status == 1);
    CHECK(bad.out.find("tensor_changed     blk.0.attn_v.weight") != std::string::npos);
    const Run json = run("hash " + (dir / "flipped.gguf").string() + " --check " + manifest.string() + " --json");
    const auto doc = nlohmann::json::parse(json.out);
    CHECK(doc["passed"] == false);
    CHECK(doc["differences"][0]["subject"] == "blk.0.attn_v.weight");
    CHECK(run("hash " + model_path.string() + " --check " + (dir / "nope.json").string()).status == 2);
    CHECK(run("hash " + model_path.string() + " --values-only").status == 3);
}

TEST_CASE("diff: identical models exit 0; a quantization exits 1 with relative errors; --forward reports KL") {
    const test::TempDir dir;
    const auto f16 = test::write_model(dir, test::build_model("tiny-llama", test::type_id(TypeId::F16)), "f16.gguf");
    const auto q8 = test::write_model(dir, test::build_model("tiny-llama", test::type_id(TypeId::Q8_0)), "q8.gguf");
    const Run same = run("diff " + f16.string() + " " + f16.string());
    CHECK(same.status == 0);
    CHECK(same.out.find("IDENTICAL") != std::string::npos);
    const Run differ = run("diff " + f16.string() + " " + q8.string() + " --json --forward --max-tokens 24 --threads 2");
    CHECK(differ.status == 1);
    const auto doc = nlohmann::json::parse(differ.out);
    CHECK(doc["identical"] == false);
    const auto& worst = doc["tensors"][0];
    CHECK(worst["a"]["type"] == "F16");
    CHECK(worst["b"]["type"] == "Q8_0");
    CHECK(worst["values"]["relative_error"].get<double>() < 0.01);
    CHECK(doc["forward"]["tokens"] == 24);
    CHECK(doc["forward"]["mean_kl"].get<double>() < 1e-3);
    CHECK(run("diff " + f16.string()).status == 3);
    CHECK(run("diff " + f16.string() + " " + (dir / "nope.gguf").string()).status == 2);
}
