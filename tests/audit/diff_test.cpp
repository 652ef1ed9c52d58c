// Model diffs: identical models show nothing; a quantization shows a small relative error, worst
// first; metadata and tensor-set changes are listed; KL divergence and top-1 agreement checked against
// hand-computed values.
#include <doctest/doctest.h>

#include <cmath>

#include "fixture.hpp"
#include "gguf/audit/model_diff.hpp"
#include "gguf/forward/cpu.hpp"

using namespace gguf;

namespace {

audit::ModelDiff diff(const Container& a, const Container& b) {
    auto d = audit::diff_models(a, b, {.threads = 2});
    REQUIRE(d.ok());
    return std::move(*d);
}

std::unique_ptr<forward::Forward> cpu(const Container& model) {
    auto pass = forward::make_cpu_forward(model, {.threads = 2});
    REQUIRE(pass.ok());
    return std::move(*pass);
}

}  // namespace

TEST_CASE("identical models: no differences") {
    const test::TempDir dir;
    const auto path = test::write_model(dir, "tiny-qwen2", test::type_id(TypeId::Q8_0));
    const Container a = test::open_model(path), b = test::open_model(path);
    const auto d = diff(a, b);
    CHECK(d.identical());
    CHECK(d.metadata.empty());
    for (const auto& t : d.tensors) CHECK(t.identical_bytes);
}

TEST_CASE("F16 against its Q8_0 quantization: small relative error on every matrix, worst first") {
    const test::TempDir dir;
    const Container f16 = test::open_model(test::write_model(dir, test::build_model("tiny-llama", test::type_id(TypeId::F16)), "f16.gguf"));
    const Container q8 = test::open_model(test::write_model(dir, test::build_model("tiny-llama", test::type_id(TypeId::Q8_0)), "q8.gguf"));
    const auto d = diff(f16, q8);
    CHECK_FALSE(d.identical());
    double previous = INFINITY;
    std::size_t changed = 0;
    for (const auto& t : d.tensors) {
        CAPTURE(t.name);
        REQUIRE(t.in_a);
        REQUIRE(t.in_b);
        if (t.type_a != t.type_b) {
            ++changed;
            CHECK(t.type_b == test::type_id(TypeId::Q8_0));
            REQUIRE(t.compared);
            CHECK(t.relative_error > 1e-4);   // 8-bit blocks lose precision...
            CHECK(t.relative_error < 1e-2);   // ...about 0.5% of the values' rms
            CHECK(t.cosine > 0.9999);
            CHECK(t.relative_error <= previous);
            previous = t.relative_error;
        } else {
            CHECK(t.identical_bytes);  // norms stay F32
        }
    }
    CHECK(changed == 16);
}

TEST_CASE("a model in the other byte order has the same values; metadata and tensor-set changes are listed") {
    const test::TempDir dir;
    const Container a = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::Q4_K)));
    const Container big = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::Q4_K), ByteOrder::big));
    const auto same = diff(a, big);
    CHECK(same.identical());
    for (const auto& t : same.tensors) CHECK((t.identical_bytes || (t.compared && t.relative_error == 0)));

    Writer w = test::build_model("tiny-llama", test::type_id(TypeId::F32));
    Writer edited(w.byte_order(), w.alignment());
    for (const auto& [k, v] : w.metadata())
        if (k != "general.name") edited.set(k, v);
    edited.set("llama.rope.freq_base", Value::f32(500000.0f));
    edited.set("my.key", Value::u32(7));
    for (WriterTensor t : w.tensors()) {
        if (t.name == "output_norm.weight") continue;
        if (t.name == "blk.0.attn_norm.weight") t.name = "blk.0.extra.weight";
        REQUIRE(edited.add_tensor(std::move(t)).ok());
    }
    const Container f32 = test::open_model(test::write_model(dir, w, "f32.gguf"));
    const Container b = test::open_model(test::write_model(dir, edited, "edited.gguf"));
    const auto d = diff(f32, b);
    REQUIRE(d.metadata.size() == 3);
    CHECK(d.metadata[0].key == "general.name");
    CHECK(d.metadata[0].kind == audit::MetadataChange::Kind::removed);
    CHECK(d.metadata[1].key == "llama.rope.freq_base");
    CHECK(d.metadata[1].b == "500000");
    CHECK(d.metadata[2].kind == audit::MetadataChange::Kind::added);
    REQUIRE(d.tensors.size() >= 3);
    CHECK((!d.tensors[0].in_b || !d.tensors[0].in_a));
    CHECK((!d.tensors[1].in_b || !d.tensors[1].in_a));
    CHECK((!d.tensors[2].in_b || !d.tensors[2].in_a));
}

TEST_CASE("compare_predictions: KL divergence, top-1 agreement and perplexity by hand") {
    // Two positions over a vocabulary of 3, as log-probabilities.
    const auto logs = [](std::initializer_list<float> p) {
        forward::LogitValues out;
        for (const float x : p) out.push_back(std::log(x));
        return out;
    };
    auto row_a = logs({0.6f, 0.3f, 0.1f}), row_b = logs({0.5f, 0.3f, 0.2f});
    auto next_a = logs({0.5f, 0.25f, 0.25f}), next_b = logs({0.25f, 0.5f, 0.25f});
    forward::Logits a{2, 3, {}}, b{2, 3, {}};
    a.values = row_a;
    a.values.insert(a.values.end(), next_a.begin(), next_a.end());
    b.values = row_b;
    b.values.insert(b.values.end(), next_b.begin(), next_b.end());
    const std::vector<std::int32_t> tokens = {0, 2};
    auto d = audit::compare_predictions(a, b, tokens);
    REQUIRE(d.ok());
    const double kl0 = 0.6 * std::log(0.6 / 0.5) + 0.1 * std::log(0.1 / 0.2);
    const double kl1 = 0.5 * std::log(2.0) + 0.25 * std::log(0.5);
    CHECK(d->max_kl == doctest::Approx(std::max(kl0, kl1)).epsilon(1e-5));
    CHECK(d->mean_kl == doctest::Approx((kl0 + kl1) / 2).epsilon(1e-5));
    REQUIRE(d->kl.size() == 2);  // per position, in token order (the HTML report plots them)
    CHECK(d->kl[0] == doctest::Approx(kl0).epsilon(1e-5));
    CHECK(d->kl[1] == doctest::Approx(kl1).epsilon(1e-5));
    CHECK(d->top1_agreement == doctest::Approx(0.5));  // same argmax at position 0 only
    CHECK(d->perplexity_a == doctest::Approx(10.0).epsilon(1e-5));  // p_A(token 2 after token 0) = 0.1
    CHECK(d->perplexity_b == doctest::Approx(5.0).epsilon(1e-5));   // p_B = 0.2
    CHECK_FALSE(audit::compare_predictions(a, forward::Logits{2, 2, {0, 0, 0, 0}}, tokens).ok());
}

TEST_CASE("compare_forward: a model against itself agrees exactly; against its Q8_0 quantization closely") {
    const test::TempDir dir;
    const Container f16 = test::open_model(test::write_model(dir, test::build_model("tiny-qwen2", test::type_id(TypeId::F16)), "f16.gguf"));
    const Container q8 = test::open_model(test::write_model(dir, test::build_model("tiny-qwen2", test::type_id(TypeId::Q8_0)), "q8.gguf"));
    const std::vector<std::int32_t> tokens = {1, 20, 300, 42, 77, 5, 400, 12};
    auto pa = cpu(f16), pb = cpu(f16), pq = cpu(q8);
    auto self = audit::compare_forward(*pa, *pb, tokens);
    REQUIRE(self.ok());
    CHECK(self->mean_kl == 0.0);
    CHECK(self->top1_agreement == 1.0);
    CHECK(self->perplexity_a == self->perplexity_b);
    auto quantized = audit::compare_forward(*pa, *pq, tokens);
    REQUIRE(quantized.ok());
    CHECK(quantized->mean_kl > 0);
    CHECK(quantized->mean_kl < 1e-3);
    CHECK(quantized->top1_agreement >= 0.75);
}
