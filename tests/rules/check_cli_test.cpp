// gguf-doctor check end to end: exit codes, --fail-on, --disable, --rules, and the report files a
// pipeline reads. The forward pass is skipped (--no-forward): its own tests cover it.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "fixture.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using namespace gguf::test;

namespace {

using Run = CommandResult;

// `streams`: which output `out` holds; by default stdout (stderr discarded).
Run run(const std::string& args, const std::string& streams = "2>/dev/null") {
    return run_command(std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor check " + args + " " + streams);
}

std::string write(const TempDir& dir, const std::string& name, const Writer& w) {
    const auto path = (dir / name).string();
    REQUIRE(w.write(path).ok());
    return "'" + path + "'";
}

Writer healthy() { return build(config("tiny-qwen2", 3)); }

}  // namespace

TEST_CASE("a healthy model passes with exit code 0") {
    TempDir dir;
    const auto model = write(dir, "ok.gguf", healthy());
    const Run r = run(model + " --no-forward --json");
    CHECK(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["verdict"]["passed"] == true);
    CHECK(j["verdict"]["errors"] == 0);
    CHECK(j["verdict"]["warnings"] == 0);
}

TEST_CASE("an error exits 1 unless its code is disabled") {
    TempDir dir;
    Writer w = healthy();
    remove_tensor(w, "blk.1.ffn_up.weight");  // GD-A003, an error
    const auto model = write(dir, "bad.gguf", w);
    const Run r = run(model + " --no-forward --json");
    CHECK(r.status == 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["verdict"]["passed"] == false);
    std::set<std::string> errors;
    for (const auto& f : j["findings"])
        if (f["severity"] == "error") errors.insert(f["code"]);
    // The missing tensor, and llama.cpp's refusal of the file because of it.
    CHECK(errors == std::set<std::string>{"GD-A003", "GD-L001"});
    CHECK(run(model + " --no-forward --disable GD-A003").status == 1);
    CHECK(run(model + " --no-forward --disable GD-A003 --disable GD-L001").status == 0);
}

TEST_CASE("--fail-on and --rules severity overrides decide what fails") {
    TempDir dir;
    Writer w = healthy();
    const auto copy = tensor(w, "blk.0.ffn_up.weight").data;
    edit_tensor(w, "blk.2.ffn_up.weight", [&](WriterTensor& t) { t.data = copy; });  // GD-W009, a warning
    const auto model = write(dir, "dup.gguf", w);
    CHECK(run(model + " --no-forward").status == 0);
    CHECK(run(model + " --no-forward --fail-on warning").status == 1);
    const auto rules = dir / "rules.json";
    std::ofstream(rules) << R"({"severity": {"GD-W009": "error"}})";
    CHECK(run(model + " --no-forward --rules '" + rules.string() + "'").status == 1);
    std::ofstream(rules) << R"({"disable": ["GD-W009"]})";
    CHECK(run(model + " --no-forward --fail-on warning --rules '" + rules.string() + "'").status == 0);
}

TEST_CASE("JUnit and SARIF files are written, also for a file that cannot be parsed (exit 2)") {
    TempDir dir;
    const auto junk = dir / "junk.gguf";
    std::ofstream(junk) << "this is not a model";
    const auto junit = dir / "report.xml", sarif = dir / "report.sarif";
    const Run r = run("'" + junk.string() + "' --junit '" + junit.string() + "' --sarif '" + sarif.string() + "'");
    CHECK(r.status == 2);
    CHECK(read_file(junit).find("GD-S015") != std::string::npos);
    const auto j = nlohmann::json::parse(read_file(sarif));
    REQUIRE(j["runs"][0]["results"].size() == 1);
    CHECK(j["runs"][0]["results"][0]["ruleId"] == "GD-S015");
    CHECK(j["runs"][0]["results"][0]["level"] == "error");

    // The reason is said once: in the text report, or on stderr beside a JSON report.
    const Run text = run("'" + junk.string() + "'", "2>&1");
    CHECK(text.status == 2);
    CHECK(text.out.find("bad_magic") != std::string::npos);
    CHECK(text.out.find("bad_magic") == text.out.rfind("bad_magic"));
    const Run json_stderr = run("'" + junk.string() + "' --json", "2>&1 >/dev/null");
    CHECK(json_stderr.out.find("bad_magic") != std::string::npos);
}

TEST_CASE("bad options are usage errors (exit 3)") {
    TempDir dir;
    const auto model = write(dir, "ok.gguf", healthy());
    CHECK(run(model + " --fail-on fatal").status == 3);
    CHECK(run(model + " --disable GD-W999").status == 3);
    CHECK(run(model + " --rules /nonexistent/rules.json").status == 3);
    const auto rules = dir / "rules.json";
    std::ofstream(rules) << R"({"thresholds": {"no_such_threshold": 1}})";
    CHECK(run(model + " --rules '" + rules.string() + "'").status == 3);
    CHECK(run("").status == 3);
}

TEST_CASE("a missing FILE is named as the usage line names it, not as Boost's hidden option") {
    const Run r = run("", "2>&1 >/dev/null");  // stderr only
    CHECK(r.status == 3);
    CHECK(r.out.find("missing FILE") != std::string::npos);
    CHECK(r.out.find("--file") == std::string::npos);
}

TEST_CASE("the text report names the model and ends with the verdict") {
    TempDir dir;
    const auto model = write(dir, "ok.gguf", healthy());
    const Run r = run(model + " --no-forward --color never");
    CHECK(r.status == 0);
    CHECK(r.out.find("qwen2, 3 layers") != std::string::npos);
    CHECK(r.out.find("PASS  0 errors, 0 warnings") != std::string::npos);
    CHECK(r.out.find("forward pass   skipped (--no-forward)") != std::string::npos);
    CHECK(r.out.find('\x1b') == std::string::npos);
}

TEST_CASE("--text measures perplexity on the given file, cut to --text-tokens; unreadable text exits 2") {
    TempDir dir;
    const auto text = dir / "text.txt";
    std::ofstream(text) << "The file was written to a temporary name and renamed over the old one, so a reader "
                           "never sees half of it. Then the program checked the size, read the header again and "
                           "compared every tensor with the copy it had kept.";
    const std::string sample = "'" + std::string(GGUF_DOCTOR_SOURCE_DIR) + "/samples/trained/tiny-english-f16.gguf'";
    const auto perplexity_finding = [](const Run& r) {
        const auto report = nlohmann::json::parse(r.out);
        for (const auto& f : report["findings"])
            if (f["code"] == "GD-F009") return f;
        return nlohmann::json();
    };
    const Run builtin = run(sample + " --json");
    const Run given = run(sample + " --json --text '" + text.string() + "' --text-tokens 20");
    REQUIRE(builtin.status == 0);
    REQUIRE(given.status == 0);
    const auto a = perplexity_finding(builtin), b = perplexity_finding(given);
    REQUIRE(a.is_object());
    REQUIRE(b.is_object());
    const std::string message = b["message"];
    CHECK(message.find("on 20 tokens of " + text.string()) != std::string::npos);
    CHECK(std::string(a["message"]).find("tokens of English text") != std::string::npos);
    CHECK(a["evidence"]["perplexity"] != b["evidence"]["perplexity"]);

    CHECK(run(sample + " --text '" + (dir / "missing.txt").string() + "'").status == 2);
    CHECK(run(sample + " --text-tokens 1").status == 3);
}
