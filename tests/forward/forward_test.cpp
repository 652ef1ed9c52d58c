// The CPU forward pass on generated models: KV cache, memory and byte-order paths, threads, errors.
// Agreement with llama.cpp itself is tests/reference/forward_agreement_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "fixtures.hpp"
#include "gguf/forward/compare.hpp"

using namespace gguf;

namespace {

const std::vector<std::int32_t> kTokens{1, 17, 300, 42, 42, 5, 99, 260, 7, 480, 3, 64};

forward::Logits evaluate(forward::Forward& pass, std::span<const std::int32_t> tokens) {
    auto logits = pass.evaluate(tokens);
    REQUIRE_MESSAGE(logits.ok(), (logits.ok() ? std::string() : logits.error().describe()));
    return std::move(*logits);
}

// Logits of the same positions from separate calls, concatenated.
forward::Logits concatenate(const std::vector<forward::Logits>& parts) {
    forward::Logits all{0, parts.front().n_vocab, {}};
    for (const auto& p : parts) {
        all.n_tokens += p.n_tokens;
        all.values.insert(all.values.end(), p.values.begin(), p.values.end());
    }
    return all;
}

}  // namespace

// tiny-qwen35's recurrent layers carry a conv window and delta-net state from call to call instead;
// tiny-gemma4's last blocks read the caches of earlier ones.
TEST_CASE("evaluating through the KV cache in pieces gives the logits of one batch") {
    const test::TempDir dir;
    for (const char* preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-qwen35", "tiny-gemma4"}) {
        CAPTURE(preset);
        const Container model = test::open_model(test::write_preset(dir, preset, "f32"));
        auto pass = test::cpu_pass(model);
        const auto batch = evaluate(*pass, kTokens);
        CHECK(pass->position() == kTokens.size());

        pass->reset();
        CHECK(pass->position() == 0);
        std::vector<forward::Logits> parts;
        const std::span<const std::int32_t> tokens(kTokens);
        parts.push_back(evaluate(*pass, tokens.first(5)));
        parts.push_back(evaluate(*pass, tokens.subspan(5, 3)));
        for (std::size_t i = 8; i < tokens.size(); ++i) parts.push_back(evaluate(*pass, tokens.subspan(i, 1)));
        CHECK(pass->position() == kTokens.size());

        const auto a = forward::compare_logits(batch, concatenate(parts));
        CHECK(a.positions == kTokens.size());
        CHECK(a.argmax_mismatches == 0);
        // tiny-gemma4: 3.5e-4, all of it from ggml's half-precision GELU table, which turns the last-bit
        // differences of products of other shapes into half-precision steps: with the GELU evaluated by
        // its formula the pieces agree to < 1e-5 (measured), so its cache sharing is exact.
        CHECK(a.relative_diff < (std::string_view(preset) == "tiny-gemma4" ? 1e-3 : 1e-5));
    }
}

TEST_CASE("reset forgets the cache and the recurrent state: the same tokens give the same logits again") {
    const test::TempDir dir;
    for (const char* preset : {"tiny-qwen2", "tiny-qwen35"}) {
        CAPTURE(preset);
        const Container model = test::open_model(test::write_preset(dir, preset, "f16"));
        auto pass = test::cpu_pass(model);
        const auto first = evaluate(*pass, kTokens);
        pass->reset();
        const auto second = evaluate(*pass, kTokens);
        CHECK(first.values == second.values);
    }
}

TEST_CASE("a later position depends on the earlier tokens") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_preset(dir, "tiny-llama", "f32"));
    auto pass = test::cpu_pass(model);
    const std::vector<std::int32_t> a{5, 6, 7}, b{9, 6, 7};
    const auto la = evaluate(*pass, a);
    pass->reset();
    const auto lb = evaluate(*pass, b);
    const auto last_a = la.row(2), last_b = lb.row(2);
    CHECK_FALSE(std::equal(last_a.begin(), last_a.end(), last_b.begin()));
}

TEST_CASE("weights decoded per use and weights kept decoded give identical logits") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_preset(dir, "tiny-qwen3", "f16"));
    auto streaming = test::cpu_pass(model);  // keep_decoded_bytes = 0
    forward::CpuOptions keep;
    keep.keep_decoded_bytes = std::uint64_t{1} << 30;
    auto kept = test::cpu_pass(model, keep);
    const auto a = evaluate(*streaming, kTokens);
    const auto b = evaluate(*kept, kTokens);  // decodes into the kept copies
    kept->reset();
    const auto c = evaluate(*kept, kTokens);  // reads the kept copies
    CHECK(a.values == b.values);
    CHECK(a.values == c.values);
}

TEST_CASE("a big-endian copy of the model gives the same logits") {
    const test::TempDir dir;
    for (const char* mix : {"f32", "f16", "bf16"}) {
        CAPTURE(mix);
        const auto little_path = test::write_preset(dir, "tiny-qwen2", mix);
        const Container little = test::open_model(little_path);
        auto big_writer = writer_from(little, ByteOrder::big);
        REQUIRE(big_writer.ok());
        const auto big_path = dir / (std::string("big-") + mix + ".gguf");
        REQUIRE(big_writer->write(big_path).ok());
        const Container big = test::open_model(big_path);
        REQUIRE(big.byte_order() == ByteOrder::big);
        auto a = test::cpu_pass(little);
        auto b = test::cpu_pass(big);
        CHECK(evaluate(*a, kTokens).values == evaluate(*b, kTokens).values);
    }
}

TEST_CASE("the thread count changes the logits by float rounding at most") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_preset(dir, "tiny-llama", "f32"));
    forward::CpuOptions one;
    one.threads = 1;
    auto a = test::cpu_pass(model, one);
    auto b = test::cpu_pass(model);
    const auto agreement = forward::compare_logits(evaluate(*a, kTokens), evaluate(*b, kTokens));
    CHECK(agreement.relative_diff < 1e-5);
    CHECK(agreement.argmax_mismatches == 0);
}

TEST_CASE("quantized weights give logits close to the float weights they came from") {
    const test::TempDir dir;
    const Container f32 = test::open_model(test::write_preset(dir, "tiny-qwen2", "f32"));
    const Container q8 = test::open_model(test::write_preset(dir, "tiny-qwen2", "q8_0"));
    auto a = test::cpu_pass(f32);
    auto b = test::cpu_pass(q8);
    const auto agreement = forward::compare_logits(evaluate(*a, kTokens), evaluate(*b, kTokens));
    CHECK(agreement.mean_kl < 1e-3);
    CHECK(agreement.relative_diff > 0);  // the Q8_0 rounding is visible: the quantized bytes were used
}

TEST_CASE("a token id outside the vocabulary is an error and the cache stays as it was") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_preset(dir, "tiny-llama", "f32"));
    auto pass = test::cpu_pass(model);
    (void)evaluate(*pass, std::vector<std::int32_t>{1, 2});
    for (std::int32_t bad : {-1, 512, 1 << 30}) {
        const std::vector<std::int32_t> tokens{3, bad};
        auto r = pass->evaluate(tokens);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == ErrorCode::invalid_argument);
        CHECK(r.error().message.find("outside the vocabulary") != std::string::npos);
        CHECK(pass->position() == 2);
    }
}

TEST_CASE("an empty token list gives no logits") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_preset(dir, "tiny-llama", "f32"));
    auto pass = test::cpu_pass(model);
    const auto logits = evaluate(*pass, {});
    CHECK(logits.n_tokens == 0);
    CHECK(logits.values.empty());
    CHECK(pass->position() == 0);
}

TEST_CASE("the pass refuses models it cannot evaluate, naming what is wrong") {
    const test::TempDir dir;
    const auto refused = [&](const Writer& writer, std::string_view expected) {
        const auto path = dir / "edited.gguf";
        REQUIRE(writer.write(path).ok());
        const Container model = test::open_model(path);
        auto pass = forward::make_cpu_forward(model);
        REQUIRE_FALSE(pass.ok());
        INFO(pass.error().message);
        CHECK(pass.error().message.find(expected) != std::string::npos);
    };
    SUBCASE("a missing tensor") {
        refused(test::with_tensors(test::build_preset("tiny-llama"), [](WriterTensor& t) { return t.name != "blk.1.ffn_up.weight"; }),
                "blk.1.ffn_up.weight' is missing");
    }
    SUBCASE("a tensor of the wrong shape") {
        refused(test::with_tensors(test::build_preset("tiny-qwen3"),
                                   [](WriterTensor& t) {
                                       if (t.name == "blk.0.attn_q.weight") std::swap(t.ne[0], t.ne[1]);
                                       return true;
                                   }),
                "blk.0.attn_q.weight' has shape [512, 256], expected [256, 512]");
    }
    SUBCASE("an architecture without a forward pass") {
        Writer w = test::build_preset("tiny-llama");
        w.set("general.architecture", Value::string("gpt2"));
        refused(w, "architecture 'gpt2' is not modelled");
    }
    SUBCASE("an unsupported RoPE scaling") {
        Writer w = test::build_preset("tiny-llama");
        w.set("llama.rope.scaling.type", Value::string("su"));
        refused(w, "rope scaling 'su' is not supported");
    }
    SUBCASE("a delta-net block without its conv taps") {
        refused(test::with_tensors(test::build_preset("tiny-qwen35"), [](WriterTensor& t) { return t.name != "blk.1.ssm_conv1d.weight"; }),
                "blk.1.ssm_conv1d.weight' is missing");
    }
    SUBCASE("delta-net sizes llama.cpp's graph does not assume") {
        Writer w = test::build_preset("tiny-qwen35");
        w.set("qwen35.ssm.inner_size", Value::u32(96));  // not state_size x time_step_rank = 128
        refused(w, "inner_size 96");
    }
    SUBCASE("gemma4's mixture-of-experts blocks") {
        Writer w = test::build_preset("tiny-gemma4");
        REQUIRE(w.add_tensor(WriterTensor{"blk.1.ffn_gate_inp.weight", 0, {256, 8}, std::vector<std::byte>(256 * 8 * 4)}).ok());
        refused(w, "gemma4: the mixture-of-experts blocks (26B-A4B) are not modelled");
    }
    SUBCASE("a gemma4 shared-KV block whose source block lacks its key projection") {
        refused(test::with_tensors(test::build_preset("tiny-gemma4"), [](WriterTensor& t) { return t.name != "blk.0.attn_k.weight"; }),
                "blk.0.attn_k.weight' is missing");
    }
    SUBCASE("a vocabulary that disagrees with the embedding rows") {
        Writer w = test::build_preset("tiny-llama");
        std::vector<std::string> tokens(100, "x");
        w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
        refused(w, "token_embd.weight has 512 rows but the vocabulary has 100 tokens");
    }
}

TEST_CASE("linear RoPE scaling changes the logits; a factor of 1 does not") {
    const test::TempDir dir;
    const auto logits_with = [&](std::optional<float> factor) {
        Writer w = test::build_preset("tiny-llama");
        if (factor) {
            w.set("llama.rope.scaling.type", Value::string("linear"));
            w.set("llama.rope.scaling.factor", Value::f32(*factor));
        }
        const auto path = dir / "scaled.gguf";
        REQUIRE(w.write(path).ok());
        const Container model = test::open_model(path);
        auto pass = test::cpu_pass(model);
        return evaluate(*pass, kTokens);
    };
    const auto plain = logits_with(std::nullopt);
    CHECK(logits_with(1.0f).values == plain.values);
    const auto scaled = logits_with(4.0f);
    CHECK(scaled.row(0)[0] == plain.row(0)[0]);  // position 0 has no rotation to scale
    CHECK(forward::compare_logits(plain, scaled).max_abs_diff > 0);
}
