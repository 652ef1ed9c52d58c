// Logit sanity on models whose predictions are known by construction: random weights, a bigram model
// built from the text it is scored on, constant and degenerate outputs, non-finite logits; and the
// thresholds on hand-made measures.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "fixtures.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/value.hpp"

using namespace gguf;

namespace {

struct Checked {
    forward::SanityResult result;
    std::vector<std::string> codes;
    bool has(std::string_view code) const { return std::find(codes.begin(), codes.end(), code) != codes.end(); }
    bool has_error() const {
        return std::any_of(result.findings.begin(), result.findings.end(),
                           [](const auto& f) { return f.severity == Severity::error; });
    }
    const model::Finding& get(std::string_view code) const {
        return *std::find_if(result.findings.begin(), result.findings.end(), [&](const auto& f) { return f.code == code; });
    }
};

Checked run_sanity(const std::filesystem::path& path, bool with_tokenizer = true) {
    const Container model = test::open_model(path);
    auto pass = test::cpu_pass(model);
    auto tok = tokenizer::load_tokenizer(model);
    REQUIRE(tok.ok());
    forward::SanityOptions options;
    options.generated_tokens = 8;
    auto r = forward::logit_sanity(*pass, with_tokenizer ? tok.value().get() : nullptr, options);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().describe()));
    Checked c{std::move(*r), {}};
    for (const auto& f : c.result.findings) c.codes.push_back(f.code);
    CHECK(pass->position() == 0);  // reset afterwards
    return c;
}

std::vector<float> as_floats(const WriterTensor& t) {
    REQUIRE(t.type == static_cast<std::uint32_t>(TypeId::F32));
    std::vector<float> v(t.data.size() / 4);
    std::memcpy(v.data(), t.data.data(), t.data.size());
    return v;
}

void set_floats(WriterTensor& t, const std::vector<float>& v) {
    REQUIRE(t.data.size() == v.size() * 4);
    std::memcpy(t.data.data(), v.data(), t.data.size());
}

std::filesystem::path write(const test::TempDir& dir, const Writer& w, const std::string& name) {
    const auto path = dir / name;
    REQUIRE(w.write(path).ok());
    return path;
}

// tiny-llama with one weight of `tensor` (a float tensor) replaced by NaN.
Writer tiny_llama_with_nan(const std::string& tensor, std::size_t index) {
    return test::with_tensors(test::build_preset("tiny-llama"), [&](WriterTensor& t) {
        if (t.name == tensor) {
            auto v = as_floats(t);
            v[index] = NAN;
            set_floats(t, v);
        }
        return true;
    });
}

}  // namespace

TEST_CASE("a model with random weights is called what it is") {
    const test::TempDir dir;
    const auto c = run_sanity(test::write_preset(dir, "tiny-llama", "f32"));
    const auto& m = c.result.measures;
    MESSAGE("random tiny-llama: perplexity " << m.perplexity << " of " << m.n_vocab << ", normalized NLL "
                                             << m.normalized_nll << ", mean entropy " << m.mean_entropy);
    CHECK(m.perplexity_measured);
    CHECK(m.non_finite_logits == 0);
    CHECK(m.n_vocab == 512);
    CHECK(m.prompts.size() == forward::builtin_prompts().size());
    CHECK(c.has("GD-F006"));
    CHECK(c.get("GD-F006").severity == Severity::error);
    CHECK(c.has("GD-F009"));
    CHECK(std::count(c.codes.begin(), c.codes.end(), "GD-F010") == 4);
    CHECK_FALSE(c.has("GD-F001"));
    CHECK_FALSE(c.has("GD-F002"));
    CHECK_FALSE(c.has("GD-F003"));
}

TEST_CASE("without a tokenizer, id prompts are judged and perplexity is reported as not measured") {
    const test::TempDir dir;
    const auto c = run_sanity(test::write_preset(dir, "tiny-qwen2", "f32"), false);
    CHECK_FALSE(c.result.measures.perplexity_measured);
    CHECK(c.has("GD-F011"));
    CHECK(c.result.measures.prompts.size() == 4);
    CHECK(c.result.measures.prompts[0].tokens.size() == 8);
}

TEST_CASE("a bigram model of the built-in text passes: no false alarm on a model that predicts well") {
    // token_embd gives each token of the text its own axis (16 * unit vector, so RMSNorm leaves it as
    // is); attention and feed-forward outputs are zero, so the final hidden state is the embedding; the
    // output matrix holds smoothed log P(next | token) on those axes: logits = a bigram model of the text.
    const test::TempDir dir;
    const Writer base = test::build_preset("tiny-llama", "f32");
    const Container base_model = test::open_model(write(dir, base, "base.gguf"));
    auto tok = tokenizer::load_tokenizer(base_model);
    REQUIRE(tok.ok());
    const auto ids = tok.value()->encode(forward::builtin_text(), true, false);
    const std::size_t n_vocab = 512, n_embd = 256;
    std::map<std::int32_t, std::size_t> axis;
    for (const auto id : ids) axis.emplace(id, axis.size());
    REQUIRE(axis.size() <= n_embd);
    std::map<std::pair<std::int32_t, std::int32_t>, double> pairs;
    std::map<std::int32_t, double> firsts;
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
        pairs[{ids[i], ids[i + 1]}] += 1;
        firsts[ids[i]] += 1;
    }
    const double alpha = 0.01;
    const Writer bigram = test::with_tensors(base, [&](WriterTensor& t) {
        auto v = as_floats(t);
        if (t.name == "token_embd.weight") {
            for (const auto& [id, a] : axis) {
                std::fill_n(v.begin() + static_cast<std::ptrdiff_t>(id * n_embd), n_embd, 0.0f);
                v[id * n_embd + a] = 16.0f;
            }
        } else if (t.name == "output.weight") {  // [n_vocab][n_embd]
            std::fill(v.begin(), v.end(), 0.0f);
            for (const auto& [prev, a] : axis)
                for (std::size_t next = 0; next < n_vocab; ++next) {
                    const auto it = pairs.find({prev, static_cast<std::int32_t>(next)});
                    const double count = it == pairs.end() ? 0 : it->second;
                    const double p = (count + alpha) / (firsts[prev] + alpha * static_cast<double>(n_vocab));
                    v[next * n_embd + a] = static_cast<float>(std::log(p) / 16.0);
                }
        } else if (t.name.ends_with("attn_output.weight") || t.name.ends_with("ffn_down.weight")) {
            std::fill(v.begin(), v.end(), 0.0f);
        } else if (t.name == "output_norm.weight") {
            std::fill(v.begin(), v.end(), 1.0f);
        }
        set_floats(t, v);
        return true;
    });
    const auto c = run_sanity(write(dir, bigram, "bigram.gguf"));
    const auto& m = c.result.measures;
    MESSAGE("bigram model: perplexity " << m.perplexity << ", normalized NLL " << m.normalized_nll);
    CHECK(m.perplexity_measured);
    CHECK(m.normalized_nll < 0.5);
    CHECK_FALSE(c.has_error());
    CHECK_FALSE(c.has("GD-F007"));
    CHECK(c.has("GD-F009"));
}

TEST_CASE("an all-zero output matrix gives constant logits and the same argmax everywhere") {
    const test::TempDir dir;
    const Writer zero = test::with_tensors(test::build_preset("tiny-llama"), [](WriterTensor& t) {
        if (t.name == "output.weight") std::fill(t.data.begin(), t.data.end(), std::byte{0});
        return true;
    });
    const auto c = run_sanity(write(dir, zero, "zero.gguf"));
    CHECK(c.has("GD-F002"));
    CHECK(c.has("GD-F003"));
    CHECK(c.get("GD-F002").severity == Severity::error);
    CHECK(c.result.measures.max_spread == 0);
}

TEST_CASE("one token that always wins is degenerate, and greedy generation repeats it") {
    const test::TempDir dir;
    // qwen2 reads output.bias: a large bias on token 77 beats every other logit.
    Writer w = test::build_preset("tiny-qwen2");
    std::vector<float> bias(512, 0.0f);
    bias[77] = 1000.0f;
    WriterTensor t{"output.bias", static_cast<std::uint32_t>(TypeId::F32), {512}, std::vector<std::byte>(512 * 4)};
    set_floats(t, bias);
    REQUIRE(w.add_tensor(std::move(t)).ok());
    const auto c = run_sanity(write(dir, w, "degenerate.gguf"));
    CHECK(c.has("GD-F003"));
    CHECK(c.get("GD-F003").message.find("(77 ") != std::string::npos);
    CHECK(c.has("GD-F008"));
    CHECK(c.has("GD-F004"));  // logits near 1000
    CHECK(c.has("GD-F005"));  // and certainty everywhere
    CHECK(c.result.measures.prompts[0].repeat_period == 1);
}

TEST_CASE("a NaN in the weights shows as non-finite logits") {
    const test::TempDir dir;
    const auto c = run_sanity(write(dir, tiny_llama_with_nan("blk.1.ffn_norm.weight", 3), "nan.gguf"));
    CHECK(c.has("GD-F001"));
    CHECK(c.get("GD-F001").severity == Severity::error);
    CHECK(c.result.measures.non_finite_positions == c.result.measures.positions);
}

TEST_CASE("NaN scores in a later layer's attention do not stop the pass: the logits show them") {
    const test::TempDir dir;
    const auto c = run_sanity(write(dir, tiny_llama_with_nan("blk.0.ffn_down.weight", 5), "nan_attention.gguf"));
    CHECK(c.has("GD-F001"));
    CHECK(c.result.measures.non_finite_positions == c.result.measures.positions);
}

TEST_CASE("the thresholds of the findings") {
    forward::SanityMeasures m;
    m.n_vocab = 1000;
    m.uniform_entropy = std::log(1000.0);
    m.positions = m.scored_positions = 50;
    m.max_spread = 10;
    m.max_abs_logit = 20;
    m.mean_entropy = 3;
    m.min_entropy = 0.5;
    m.max_entropy = 6;
    m.distinct_argmax = 20;
    m.perplexity_measured = true;
    m.text_tokens = 100;
    const auto codes = [&](double normalized_nll) {
        m.normalized_nll = normalized_nll;
        m.mean_nll = normalized_nll * m.uniform_entropy;
        m.perplexity = std::exp(m.mean_nll);
        std::vector<std::string> out;
        for (const auto& f : forward::sanity_findings(m, nullptr)) out.push_back(f.code);
        return out;
    };
    CHECK(codes(0.3) == std::vector<std::string>{"GD-F009"});
    CHECK(codes(0.5) == std::vector<std::string>{"GD-F007", "GD-F009"});
    CHECK(codes(0.79) == std::vector<std::string>{"GD-F007", "GD-F009"});
    CHECK(codes(0.8) == std::vector<std::string>{"GD-F006", "GD-F009"});
    m.max_abs_logit = 1001;
    CHECK(codes(0.3) == std::vector<std::string>{"GD-F004", "GD-F009"});
    m.max_abs_logit = 20;
    m.max_entropy = 0.009;
    CHECK(codes(0.3) == std::vector<std::string>{"GD-F005", "GD-F009"});
    m.max_entropy = 6;
    m.distinct_argmax = 1;
    CHECK(codes(0.3) == std::vector<std::string>{"GD-F003", "GD-F009"});
    m.scored_positions = 7;  // too few positions to call it degenerate
    CHECK(codes(0.3) == std::vector<std::string>{"GD-F009"});
}

TEST_CASE("token texts in the findings are printable UTF-8") {
    const test::TempDir dir;
    const auto c = run_sanity(test::write_preset(dir, "tiny-qwen2", "f32"));
    for (const auto& f : c.result.findings) {
        CHECK(is_valid_utf8(f.message));
        for (const auto& e : f.evidence) {
            CHECK(is_valid_utf8(e.name));
            CHECK(is_valid_utf8(e.value));
            CHECK(e.value.find('\n') == std::string::npos);
        }
    }
}
