// The logit lens on the trained sample: reading the file with all its blocks is the model itself (the
// last point equals the model's own loss, computed independently), fewer blocks predict worse, and a
// block whose feed-forward output is blown up is the one where the lens rises most.
#include <doctest/doctest.h>

#include "gguf/forward/cpu.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/model/spec.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/verdict/logit_lens.hpp"
#include "gguf/verdict/transforms.hpp"

using namespace gguf;

namespace {

const verdict::ForwardFactory cpu = [](const Container& m) { return forward::make_cpu_forward(m, {}); };

std::size_t largest_rise(const verdict::LogitLens& lens) {
    std::size_t worst = 0;
    double rise = 0;
    for (std::size_t i = 1; i < lens.points.size(); ++i)
        if (lens.points[i].nll - lens.points[i - 1].nll > rise) {
            rise = lens.points[i].nll - lens.points[i - 1].nll;
            worst = i;
        }
    return worst;
}

}  // namespace

TEST_CASE("logit lens of the trained sample, intact and with one block blown up") {
    auto model = open(std::string(GGUF_DOCTOR_SOURCE_DIR) + "/samples/trained/tiny-english-f16.gguf");
    REQUIRE(model.ok());
    auto spec = model::read_spec(*model);
    REQUIRE(spec.ok());
    REQUIRE(spec->n_layer >= 3);
    auto tok = tokenizer::load_tokenizer(*model);
    REQUIRE(tok.ok());
    auto tokens = tok.value()->encode(forward::builtin_text(), true, false);
    tokens.resize(verdict::counterfactual_tokens);
    CHECK(verdict::logit_lens_is_cheap(*spec, model->n_parameters(), tokens.size()));

    auto lens = verdict::logit_lens(*model, *spec, cpu, tokens);
    REQUIRE(lens.ok());
    REQUIRE(lens->points.size() == spec->n_layer);
    auto whole = forward::make_cpu_forward(*model, {});
    REQUIRE(whole.ok());
    auto nll = verdict::text_nll(**whole, tokens);
    REQUIRE(nll.ok());
    CHECK(lens->points.back().nll == doctest::Approx(*nll).epsilon(1e-9));
    CHECK(lens->points.front().nll > lens->points.back().nll + 0.5);  // one block of a trained model is far from all

    const std::uint64_t broken = 2;
    auto blown = verdict::map_values(*model, "blk." + std::to_string(broken) + ".ffn_down.weight", [](float x) { return 30 * x; });
    REQUIRE(blown.ok());
    auto damaged = make_overlay(*model, {std::move(*blown)});
    REQUIRE(damaged.ok());
    auto damaged_lens = verdict::logit_lens(*damaged, *spec, cpu, tokens);
    REQUIRE(damaged_lens.ok());
    for (std::size_t i = 0; i < broken; ++i) CHECK(damaged_lens->points[i].nll == lens->points[i].nll);  // before it: the same
    CHECK(largest_rise(*damaged_lens) == broken);
}

TEST_CASE("an overlay with metadata: a key replaced keeps its place, a new key is added, the base is unchanged") {
    auto model = open(std::string(GGUF_DOCTOR_SOURCE_DIR) + "/samples/trained/tiny-english-f16.gguf");
    REQUIRE(model.ok());
    const std::string arch(*model->get_string("general.architecture"));
    const auto blocks = model->get_u64(arch + ".block_count");
    REQUIRE(blocks.has_value());
    auto overlay = make_overlay(*model, {}, {{arch + ".block_count", Value::u32(1)}, {"test.added", Value::string("yes")}});
    REQUIRE(overlay.ok());
    CHECK(overlay->get_u64(arch + ".block_count") == 1u);
    CHECK(overlay->get_string("test.added") == "yes");
    CHECK(overlay->metadata().size() == model->metadata().size() + 1);
    CHECK(model->get_u64(arch + ".block_count") == blocks);
    CHECK(model->find("test.added") == nullptr);
}
