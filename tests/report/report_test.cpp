// Reports parsed back with independent parsers: the JSON must hold exactly the findings, the JUnit XML
// must be well formed with consistent counts, the SARIF must have the fields SARIF 2.1.0 requires.
// Strings from model files are hostile (markup characters, control bytes, invalid UTF-8).
#include <doctest/doctest.h>
#include <expat.h>

#include <map>
#include <set>
#include <memory>
#include <nlohmann/json.hpp>

#include "gguf/report/report.hpp"
#include "gguf/rules/codes.hpp"

using namespace gguf;
using nlohmann::json;

namespace {

report::Report sample_report() {
    report::Report r;
    r.tool_version = "0.1.0";
    r.path = "models/my model <v2>.gguf";
    r.model = report::ModelSummary{"qwen2", true, 24, 896, 151936, 290, 494032768, 988000000};
    r.fail_on = Severity::error;
    r.seconds = 1.25;
    for (const auto& c : rules::codes()) r.codes.push_back({std::string(c.code), std::string(c.title), c.severity});
    r.findings = {
        {"GD-S001", Severity::error, "blk.3.ffn_down.weight", "data ends past the end of the file & more",
         {{"byte_offset", "123456"}, {"issue", "tensor_out_of_bounds"}}, "download again"},
        {"GD-W005", Severity::error, "blk.0.attn_q.weight", "the bytes are F16 data, but the tensor type says BF16",
         {{"as_BF16", "median |x| 2^-57"}, {"as_F16", "median |x| 2^-6"}}, "fix the converter"},
        {"GD-W008", Severity::warning, "blk.5.ffn_norm.weight", "an outlier <\"quoted\"> 'x'", {{"ratio", "200"}}, ""},
        {"GD-V004", Severity::info, std::string("tok\x01\xff\xfe<end>"), "padding tokens", {{"padding_tokens", "13"}}, "harmless"},
        {"GD-F006", Severity::warning, "", "perplexity near uniform", {}, ""},  // a code from another library
    };
    r.steps = {{"structure", "ran", ""}, {"architecture", "ran", ""}, {"vocabulary", "ran", ""},
               {"tokenizer", "ran", ""}, {"weights", "ran", ""}, {"forward pass", "ran", "cpu"}};
    return r;
}

// A minimal DOM built from expat's callbacks.
struct Element {
    std::string name;
    std::map<std::string, std::string> attributes;
    std::vector<std::unique_ptr<Element>> children;
    std::string text;

    std::vector<const Element*> all(std::string_view n) const {
        std::vector<const Element*> out;
        for (const auto& c : children)
            if (c->name == n) out.push_back(c.get());
        return out;
    }
};

struct XmlParse {
    std::unique_ptr<Element> root;
    std::vector<Element*> stack;
    std::string error;
};

std::unique_ptr<Element> parse_xml(const std::string& text, std::string& error) {
    XmlParse p;
    XML_Parser parser = XML_ParserCreate("UTF-8");
    XML_SetUserData(parser, &p);
    XML_SetElementHandler(
        parser,
        [](void* data, const XML_Char* name, const XML_Char** attrs) {
            auto& state = *static_cast<XmlParse*>(data);
            auto e = std::make_unique<Element>();
            e->name = name;
            for (int i = 0; attrs[i]; i += 2) e->attributes[attrs[i]] = attrs[i + 1];
            Element* raw = e.get();
            if (state.stack.empty()) state.root = std::move(e);
            else state.stack.back()->children.push_back(std::move(e));
            state.stack.push_back(raw);
        },
        [](void* data, const XML_Char*) { static_cast<XmlParse*>(data)->stack.pop_back(); });
    XML_SetCharacterDataHandler(parser, [](void* data, const XML_Char* s, int len) {
        auto& state = *static_cast<XmlParse*>(data);
        if (!state.stack.empty()) state.stack.back()->text.append(s, static_cast<std::size_t>(len));
    });
    if (XML_Parse(parser, text.data(), static_cast<int>(text.size()), 1) == XML_STATUS_ERROR)
        error = std::string(XML_ErrorString(XML_GetErrorCode(parser))) + " at line " +
                std::to_string(XML_GetCurrentLineNumber(parser));
    XML_ParserFree(parser);
    return std::move(p.root);
}

}  // namespace

TEST_CASE("the verdict counts severities and fails at or above fail-on") {
    auto r = sample_report();
    auto v = report::verdict(r);
    CHECK(v.errors == 2);
    CHECK(v.warnings == 2);
    CHECK(v.infos == 1);
    CHECK_FALSE(v.passed);
    CHECK(report::verdict_line(r).starts_with("FAIL  2 errors, 2 warnings, 1 note"));
    std::erase_if(r.findings, [](const model::Finding& f) { return f.severity == Severity::error; });
    CHECK(report::verdict(r).passed);
    r.fail_on = Severity::warning;
    CHECK_FALSE(report::verdict(r).passed);
}

TEST_CASE("the JSON report parses and holds exactly the findings") {
    const auto r = sample_report();
    const json j = json::parse(report::render_json(r));
    CHECK(j["tool"]["name"] == "gguf-doctor");
    CHECK(j["file"] == r.path);
    CHECK(j["model"]["architecture"] == "qwen2");
    CHECK(j["model"]["n_vocab"] == 151936);
    CHECK(j["verdict"]["passed"] == false);
    CHECK(j["verdict"]["errors"] == 2);
    CHECK(j["verdict"]["fail_on"] == "error");
    REQUIRE(j["findings"].size() == r.findings.size());
    for (std::size_t i = 0; i < r.findings.size(); ++i) {
        const auto& f = r.findings[i];
        const auto& jf = j["findings"][i];
        CHECK(jf["code"] == f.code);
        CHECK(jf["severity"] == std::string(severity_name(f.severity)));
        CHECK(jf["message"] == f.message);
        CHECK(jf["hint"] == f.hint);
        CHECK(jf["category"] == report::category_of(f.code));
        CHECK(jf["evidence"].size() == f.evidence.size());
        for (const auto& e : f.evidence) CHECK(jf["evidence"][e.name] == e.value);
        if (i != 3) CHECK(jf["subject"] == f.subject);  // the invalid UTF-8 subject is replaced
    }
    CHECK(j["findings"][0]["title"] == std::string(rules::find_code("GD-S001")->title));
    CHECK(j["checks"].size() == r.steps.size());
}

TEST_CASE("the JUnit report is well-formed XML with one failing case per finding at fail-on") {
    const auto r = sample_report();
    std::string error;
    const auto root = parse_xml(report::render_junit(r), error);
    REQUIRE_MESSAGE(error.empty(), error);
    REQUIRE(root);
    CHECK(root->name == "testsuites");
    const auto suites = root->all("testsuite");
    REQUIRE(suites.size() == 1);
    const Element& suite = *suites[0];
    for (const char* attr : {"name", "tests", "failures", "errors", "time"}) CHECK_MESSAGE(suite.attributes.contains(attr), attr);
    const auto cases = suite.all("testcase");
    int failures = 0;
    std::vector<std::string> failed_names;
    for (const Element* c : cases) {
        CHECK(c->attributes.contains("name"));
        CHECK(c->attributes.contains("classname"));
        for (const Element* f : c->all("failure")) {
            ++failures;
            CHECK(f->attributes.contains("message"));
            failed_names.push_back(c->attributes.at("name"));
        }
    }
    CHECK(failures == 2);
    CHECK(std::stoi(suite.attributes.at("tests")) == static_cast<int>(cases.size()));
    CHECK(std::stoi(suite.attributes.at("failures")) == failures);
    CHECK(root->attributes.at("failures") == suite.attributes.at("failures"));
    CHECK(failed_names == std::vector<std::string>{"GD-S001 blk.3.ffn_down.weight", "GD-W005 blk.0.attn_q.weight"});
    // Categories without failures pass, so a clean run shows passing tests.
    bool tokenizer_case = false;
    for (const Element* c : cases) tokenizer_case |= c->attributes.at("name") == "tokenizer";
    CHECK(tokenizer_case);
}

TEST_CASE("a clean model gives a JUnit report of passing categories") {
    auto r = sample_report();
    r.findings.clear();
    std::string error;
    const auto root = parse_xml(report::render_junit(r), error);
    REQUIRE_MESSAGE(error.empty(), error);
    CHECK(root->attributes.at("failures") == "0");
    CHECK(root->attributes.at("tests") == "6");
}

TEST_CASE("the SARIF report has the fields SARIF 2.1.0 requires and one result per finding") {
    const auto r = sample_report();
    const json j = json::parse(report::render_sarif(r));
    CHECK(j["version"] == "2.1.0");
    CHECK(j["$schema"].get<std::string>().find("sarif") != std::string::npos);
    REQUIRE(j["runs"].size() == 1);
    const json& run = j["runs"][0];
    CHECK(run["tool"]["driver"]["name"] == "gguf-doctor");
    const json& rules = run["tool"]["driver"]["rules"];
    std::set<std::string> ids;
    for (const auto& rule : rules) {
        CHECK(rule.contains("id"));
        CHECK_MESSAGE(ids.insert(rule["id"].get<std::string>()).second, rule["id"]);
        CHECK(rule["shortDescription"]["text"].is_string());
        const std::string level = rule["defaultConfiguration"]["level"];
        CHECK((level == "error" || level == "warning" || level == "note"));
    }
    CHECK(ids.contains("GD-F006"));  // codes without a description still get a rule
    const json& results = run["results"];
    REQUIRE(results.size() == r.findings.size());
    const std::map<Severity, std::string> levels{{Severity::error, "error"}, {Severity::warning, "warning"}, {Severity::info, "note"}};
    for (std::size_t i = 0; i < results.size(); ++i) {
        const json& res = results[i];
        CHECK(res["ruleId"] == r.findings[i].code);
        CHECK(rules[res["ruleIndex"].get<std::size_t>()]["id"] == res["ruleId"]);
        CHECK(res["level"] == levels.at(r.findings[i].severity));
        CHECK_FALSE(res["message"]["text"].get<std::string>().empty());
        const json& loc = res["locations"][0]["physicalLocation"];
        CHECK(loc["artifactLocation"]["uri"] == "models/my%20model%20%3Cv2%3E.gguf");
        if (i == 0) CHECK(loc["region"]["byteOffset"] == 123456);
        else CHECK_FALSE(loc.contains("region"));
    }
    CHECK(run["artifacts"][0]["location"]["uri"] == "models/my%20model%20%3Cv2%3E.gguf");
}

TEST_CASE("the text report groups findings by severity and ends with the verdict") {
    const auto r = sample_report();
    const std::string plain = report::render_text(r, false);
    const auto errors = plain.find("ERRORS (2)"), warnings = plain.find("WARNINGS (2)"), notes = plain.find("NOTES (1)");
    REQUIRE(errors != std::string::npos);
    REQUIRE(warnings != std::string::npos);
    REQUIRE(notes != std::string::npos);
    CHECK(errors < warnings);
    CHECK(warnings < notes);
    CHECK(plain.find("GD-S001") < warnings);
    CHECK(plain.find("GD-W008") > warnings);
    CHECK(plain.find("FAIL  2 errors") != std::string::npos);
    CHECK(plain.find('\x1b') == std::string::npos);
    CHECK(report::render_text(r, true).find("\x1b[1;31m") != std::string::npos);
}
