// The verdicts on the trained sample: every damage class fails with the finding that names its mistake,
// every healthy rewrite and quantization passes. The damaged models are overlays of the sample's
// weights (damage_classes.cpp); the verdicts see them as they would see a file.
#include <doctest/doctest.h>

#include <algorithm>
#include <fmt/format.h>

#include "damage_classes.hpp"
#include "gguf/forward/cpu.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/verdict/counterfactual.hpp"
#include "gguf/verdict/weight_evidence.hpp"

namespace gguf {
namespace {

struct Sample {
    Container model;
    model::ModelSpec spec;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
    std::vector<std::int32_t> tokens;
};

const Sample& sample() {
    static const Sample s = [] {
        auto c = open(std::string(GGUF_DOCTOR_SOURCE_DIR) + "/samples/trained/tiny-english-f16.gguf");
        REQUIRE(c.ok());
        auto spec = model::read_spec(*c);
        REQUIRE(spec.ok());
        auto tok = tokenizer::load_tokenizer(*c);
        REQUIRE(tok.ok());
        auto tokens = tok.value()->encode(forward::builtin_text(), true, false);
        tokens.resize(verdict::counterfactual_tokens);
        return Sample{std::move(*c), *spec, std::move(tok.value()), tokens};
    }();
    return s;
}

Result<std::unique_ptr<forward::Forward>> cpu(const Container& m) { return forward::make_cpu_forward(m); }

struct Verdict {
    verdict::CounterfactualResult counterfactual;
    std::vector<model::Finding> findings;  // counterfactual and weight-only
};

Verdict judge(const Container& m) {
    const Sample& s = sample();
    auto result = verdict::run_counterfactuals(m, verdict::hypotheses(m, s.spec), cpu, s.tokens);
    REQUIRE_MESSAGE(result.ok(), (result.ok() ? std::string() : result.error().describe()));
    Verdict v{*result, verdict::counterfactual_findings(*result, "English text")};
    for (auto& f : verdict::identical_blocks(m, s.spec)) v.findings.push_back(f);
    return v;
}

const model::Finding* find(const std::vector<model::Finding>& findings, std::string_view code) {
    auto it = std::find_if(findings.begin(), findings.end(), [&](const auto& f) { return f.code == code; });
    return it == findings.end() ? nullptr : &*it;
}

std::string evidence(const model::Finding& f, std::string_view name) {
    for (const auto& e : f.evidence)
        if (e.name == name) return e.value;
    return "";
}

Container variant(const test::Variant& apply) {
    const Sample& s = sample();
    auto replacements = apply(s.model, s.spec);
    REQUIRE_MESSAGE(replacements.ok(), (replacements.ok() ? std::string() : replacements.error().describe()));
    auto over = make_overlay(s.model, std::move(*replacements));
    REQUIRE(over.ok());
    return std::move(*over);
}

TEST_CASE("the intact trained sample: no hypothesis improves it, no weight verdict fires") {
    const Verdict v = judge(sample().model);
    CHECK(find(v.findings, "GD-F012") == nullptr);
    CHECK(find(v.findings, "GD-F013") != nullptr);
    CHECK(find(v.findings, "GD-W020") == nullptr);
    CHECK(v.counterfactual.trials.size() > 15);
    // Every hypothesis makes the intact model worse or leaves it as it is: it has none of the mistakes.
    for (const auto& t : v.counterfactual.trials) CHECK_MESSAGE(t.nll > v.counterfactual.nll - 0.05, t.id << " block " << t.layer);
    // Logit sanity has nothing to say about it either, so that its warnings on a damaged copy mean something.
    auto pass = cpu(sample().model);
    REQUIRE(pass.ok());
    auto sanity = forward::logit_sanity(**pass, sample().tokenizer.get());
    REQUIRE(sanity.ok());
    for (const auto& f : sanity->findings) CHECK_MESSAGE(f.severity == Severity::info, f.code << ": " << f.message);
}

TEST_CASE("each damage class of the trained sample fails with the finding that names its mistake") {
    static const double intact = judge(sample().model).counterfactual.perplexity;  // subcases rerun the case
    for (const auto& damage : test::damage_classes()) {
        SUBCASE(damage.name.c_str()) {
            const Container damaged = variant(damage.apply);
            const Verdict v = judge(damaged);
            const model::Finding* f = find(v.findings, "GD-F012");
            std::string named = f ? evidence(*f, "hypothesis") : "";
            MESSAGE(fmt::format("{}: perplexity intact {:.4g}, damaged {:.4g}, after the fix {}: {}", damage.name, intact,
                                v.counterfactual.perplexity, f ? evidence(*f, "perplexity_after") : "-", f ? f->message : "no GD-F012"));
            if (damage.expected.starts_with("GD-")) {
                CHECK_MESSAGE(find(v.findings, damage.expected) != nullptr, damage.name);
            } else if (!damage.expected.empty()) {
                CHECK_MESSAGE(named == damage.expected, damage.name);
                CHECK((f && f->severity == Severity::error));
            } else {
                // Not a named mistake: something must still say the model is worse than it should be.
                auto pass = cpu(damaged);
                REQUIRE(pass.ok());
                auto sanity = forward::logit_sanity(**pass, sample().tokenizer.get());
                REQUIRE(sanity.ok());
                const bool said = f || std::any_of(sanity->findings.begin(), sanity->findings.end(),
                                                   [](const auto& x) { return x.severity != Severity::info; });
                CHECK_MESSAGE(said, damage.name);
            }
        }
    }
}

TEST_CASE("function-preserving rewrites and quantizations of the trained sample pass") {
    for (const auto& healthy : test::healthy_rewrites(false)) {
        SUBCASE(healthy.name.c_str()) {
            const Verdict v = judge(variant(healthy.apply));
            MESSAGE(fmt::format("{}: perplexity {:.4g}", healthy.name, v.counterfactual.perplexity));
            for (const auto& f : v.findings) CHECK_MESSAGE(f.severity == Severity::info, healthy.name << ": " << f.message);
        }
    }
}

}  // namespace
}  // namespace gguf

