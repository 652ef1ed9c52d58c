// Healthy peculiarities of real models must produce no warning and no error: a validator that cries
// wolf on Qwen2.5's final norm or Llama's small layer-0 norms is worse than none. Each case asserts an
// empty set of warning-or-worse codes, and, where the rules have something to say, the explaining note.
#include <doctest/doctest.h>

#include <filesystem>

#include "fixture.hpp"
#include "gguf/rules/codes.hpp"

using namespace gguf;
using namespace gguf::test;

namespace {

Writer sample(std::string_view preset, std::string_view mix, std::uint32_t layers, samples::NormStyle norms) {
    auto c = config(preset, layers);
    c.norms = norms;
    REQUIRE(samples::apply_mix(c, mix).ok());
    return build(c);
}

void scale(Writer& w, std::string_view name, float factor) {
    edit_tensor(w, name, [&](WriterTensor& t) {
        auto v = values(t);
        for (auto& x : v) x *= factor;
        set_values(t, v);
    });
}

}  // namespace

TEST_CASE("every preset and float type is clean with realistic norms") {
    for (const char* preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"})
        for (const char* mix : {"f32", "f16", "bf16"}) {
            const Outcome o = check(sample(preset, mix, 6, samples::NormStyle::qwen));
            CHECK_MESSAGE(o.codes().empty(), preset << " " << mix << "\n" << o.describe());
        }
}

TEST_CASE("the newer architectures' presets are clean: delta-net tensors, experts, Gemma's stored (1 + gain) norms") {
    // Gemma's converter adds 1 to every norm gain, so its norms sit near 1 plus a learned offset; the
    // delta-net's ssm_a is all negative; expert stacks are 3-D. None of it is a warning.
    const std::pair<const char*, samples::NormStyle> cases[] = {
        {"tiny-qwen35", samples::NormStyle::qwen},    {"tiny-qwen35moe", samples::NormStyle::qwen},
        {"tiny-gemma3", samples::NormStyle::gemma},   {"tiny-qwen3moe", samples::NormStyle::qwen},
        {"tiny-qwen2moe", samples::NormStyle::qwen},   {"tiny-gpt-oss", samples::NormStyle::llama},
        {"tiny-gemma2", samples::NormStyle::gemma},   {"tiny-olmo2", samples::NormStyle::llama},
        {"tiny-granite", samples::NormStyle::llama},  {"tiny-phi3", samples::NormStyle::llama},
        {"tiny-mistral3", samples::NormStyle::llama}, {"tiny-gemma4", samples::NormStyle::gemma}};
    for (const auto& c : cases)
        for (const char* mix : {"f32", "q4_k_m"}) {
            // Not a structured binding: CHECK_MESSAGE captures in a lambda, which clang 14 cannot do of one.
            const auto& preset = c.first;
            // Three blocks: qwen35's presets then have two delta-net blocks and one attention block.
            // tiny-gemma4 keeps its four: its last two blocks read the KV cache of the first two.
            const std::uint32_t blocks = std::string_view(preset) == "tiny-gemma4" ? 4 : 3;
            const Outcome o = check(sample(preset, mix, blocks, c.second));
            CHECK_MESSAGE(o.codes().empty(), preset << " " << mix << "\n" << o.describe());
        }
}

TEST_CASE("Qwen2.5's final norm (mean ~7, max ~17) is a note, not a warning") {
    const Outcome o = check(sample("tiny-qwen2", "f16", 6, samples::NormStyle::qwen));
    CHECK_MESSAGE(o.codes().empty(), o.describe());
    const auto* note = o.find("GD-W015", "output_norm.weight");
    REQUIRE_MESSAGE(note, o.describe());
    CHECK(note->severity == Severity::info);
}

TEST_CASE("Llama-family layer-0 norms near 0.05 produce no warning") {
    const Outcome o = check(sample("tiny-llama", "f16", 8, samples::NormStyle::llama));
    CHECK_MESSAGE(o.codes().empty(), o.describe());
}

TEST_CASE("a first-layer norm far below the others is explained, not warned about") {
    Writer w = sample("tiny-llama", "f32", 8, samples::NormStyle::llama);
    edit_tensor(w, "blk.0.attn_norm.weight", [](WriterTensor& t) {
        auto v = values(t);
        for (auto& x : v) x = 0.004f + 0.002f * (x > 0.05f);  // ~0.005, about 50x below the median layer
        set_values(t, v);
    });
    const Outcome o = check(w);
    CHECK_MESSAGE(o.codes().empty(), o.describe());
    CHECK_MESSAGE(o.find("GD-W015", "blk.0.attn_norm.weight"), o.describe());
}

TEST_CASE("a norm scaled up while the projections it feeds are scaled down is the same function") {
    Writer w = sample("tiny-llama", "f32", 8, samples::NormStyle::llama);
    scale(w, "blk.4.attn_norm.weight", 50.0f);
    for (const char* m : {"blk.4.attn_q.weight", "blk.4.attn_k.weight", "blk.4.attn_v.weight"}) scale(w, m, 1.0f / 50);
    scale(w, "blk.2.ffn_norm.weight", 1.0f / 40);
    for (const char* m : {"blk.2.ffn_gate.weight", "blk.2.ffn_up.weight"}) scale(w, m, 40.0f);
    const Outcome o = check(w);
    CHECK_MESSAGE(o.codes().empty(), o.describe());
    CHECK_MESSAGE(o.find("GD-W015", "blk.4.attn_norm.weight"), o.describe());
    CHECK_MESSAGE(o.find("GD-W015", "blk.2.ffn_norm.weight"), o.describe());
}

TEST_CASE("a freshly initialised model (every norm exactly 1.0) is clean") {
    const Outcome o = check(sample("tiny-qwen2", "f32", 6, samples::NormStyle::ones));
    CHECK_MESSAGE(o.codes().empty(), o.describe());
}

TEST_CASE("zero embedding rows for padding tokens are explained, not warned about") {
    Writer w = sample("tiny-qwen2", "f32", 4, samples::NormStyle::qwen);
    const Value* types = w.find("tokenizer.ggml.token_type");
    REQUIRE(types);
    edit_tensor(w, "token_embd.weight", [&](WriterTensor& t) {
        auto v = values(t);
        for (std::uint64_t row = 0; row < t.ne[1]; ++row)
            if (types->integer_at(row) == 5)  // unused: the [PAD] tokens
                std::fill(v.begin() + static_cast<std::ptrdiff_t>(row * t.ne[0]), v.begin() + static_cast<std::ptrdiff_t>((row + 1) * t.ne[0]), 0.0f);
        set_values(t, v);
    });
    const Outcome o = check(w);
    CHECK_MESSAGE(o.codes().empty(), o.describe());
    CHECK(o.find("GD-V004"));
    CHECK_MESSAGE(o.find("GD-W015", "token_embd.weight"), o.describe());
}

TEST_CASE("more embedding rows than tokens is a note about padding") {
    Writer w = sample("tiny-qwen2", "f32", 4, samples::NormStyle::qwen);
    // Drop the [PAD] tokens from the vocabulary: the embedding keeps its padded row count.
    const Value* tokens = w.find("tokenizer.ggml.tokens");
    const Value* types = w.find("tokenizer.ggml.token_type");
    REQUIRE((tokens && types));
    std::vector<std::string> kept;
    std::vector<std::int32_t> kept_types;
    for (std::uint64_t i = 0; i < tokens->size(); ++i) {
        if (types->integer_at(i) == 5) continue;
        kept.emplace_back(tokens->string_at(i));
        kept_types.push_back(static_cast<std::int32_t>(types->integer_at(i)));
    }
    REQUIRE(kept.size() < tokens->size());
    w.set("tokenizer.ggml.tokens", Value::string_array(kept));
    w.set("tokenizer.ggml.token_type", Value::array<std::int32_t>(ValueType::int32, kept_types));
    if (w.find("tokenizer.ggml.scores")) w.erase("tokenizer.ggml.scores");
    const Outcome o = check(w);
    CHECK_MESSAGE(o.codes().empty(), o.describe());
    const auto* note = o.find("GD-V003", "token_embd.weight");
    REQUIRE_MESSAGE(note, o.describe());
    CHECK(note->severity == Severity::info);
}

TEST_CASE("models quantized by the reference quantizers are clean in every type") {
    for (const TypeId type : {TypeId::Q8_0, TypeId::Q4_0, TypeId::Q4_1, TypeId::Q5_0, TypeId::Q5_1, TypeId::Q2_K,
                              TypeId::Q3_K, TypeId::Q4_K, TypeId::Q5_K, TypeId::Q6_K}) {
        // Two layers: the quantizers' search dominates the time, and the value rules do not need siblings.
        Writer w = sample("tiny-llama", "f32", 2, samples::NormStyle::llama);
        quantize_matrices(w, static_cast<std::uint32_t>(type));
        const Outcome o = check(w);
        CHECK_MESSAGE(o.codes().empty(), type_label(static_cast<std::uint32_t>(type)) << "\n" << o.describe());
    }
}

TEST_CASE("a big-endian file is clean") {
    Writer little = sample("tiny-llama", "f16", 4, samples::NormStyle::llama);
    Writer big(ByteOrder::big);
    for (const auto& [key, value] : little.metadata()) big.set(key, value);
    for (const auto& t : little.tensors()) REQUIRE(big.add_tensor(t).ok());
    const Outcome o = check(big);
    REQUIRE(o.opened);
    CHECK_MESSAGE(o.codes().empty(), o.describe());
}

TEST_CASE("tied embeddings stored twice are a note") {
    auto c = config("tiny-qwen2", 4);
    c.tied_output = false;
    Writer w = build(c);
    const auto embd = tensor(w, "token_embd.weight");
    edit_tensor(w, "output.weight", [&](WriterTensor& t) { t.data = embd.data; });
    const Outcome o = check(w);
    CHECK_MESSAGE(o.codes().empty(), o.describe());
    CHECK(o.find("GD-W016"));
}

TEST_CASE("real llama.cpp vocabularies raise no vocabulary or tokenizer warning") {
    const std::filesystem::path dir = std::filesystem::path(GGUF_DOCTOR_SOURCE_DIR) / ".cache/reference/vocab";
    if (!std::filesystem::exists(dir)) {
        MESSAGE("SKIPPED: no vocabularies in " << dir.string() << " (tests/reference/install.sh)");
        return;
    }
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".gguf") continue;
        auto model = gguf::open(entry.path());
        REQUIRE(model.ok());
        rules::CheckOptions options;
        options.values = false;
        const auto result = rules::check(*model, options);
        for (const auto& f : result.findings) {
            const bool vocab = f.code.starts_with("GD-V") || f.code.starts_with("GD-T");
            CHECK_MESSAGE(!(vocab && f.severity >= Severity::warning),
                          entry.path().filename().string() << ": " << f.code << " " << f.subject << ": " << f.message);
        }
        ++checked;
    }
    CHECK(checked > 0);
}
