// `gguf-doctor fix` on damaged copies of the trained sample: for mistakes whose undoing is exact, the
// file it writes holds the intact model's tensor bytes and computes its logits (within 1e-6 of the
// largest), and check passes it; for the others (norms shifted or rescaled: arithmetic on the values)
// the fixed model is decisively better and check passes it. A healthy file is left alone (exit 1,
// nothing written).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "gguf/container.hpp"
#include "gguf/forward/cpu.hpp"
#include "gguf/model/spec.hpp"
#include "gguf/repair/edit.hpp"
#include "gguf/repair/rewrite.hpp"
#include "gguf/writer.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"
#include "verdict/damage_classes.hpp"

using namespace gguf;

namespace {

const std::string kSample = std::string(GGUF_DOCTOR_SOURCE_DIR) + "/samples/trained/tiny-english-f16.gguf";

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::vector<float> logits_of(const std::filesystem::path& path) {
    auto model = open(path);
    REQUIRE(model.ok());
    auto pass = forward::make_cpu_forward(*model, {});
    REQUIRE(pass.ok());
    const std::vector<std::int32_t> tokens{1, 450, 996, 1354, 1701, 12, 300, 29, 77, 1024};
    auto logits = (*pass)->evaluate(tokens);
    REQUIRE(logits.ok());
    return {logits->values.begin(), logits->values.end()};
}

double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!std::isfinite(a[i] - b[i])) return INFINITY;  // damage that makes the logits non-finite
        diff = std::max(diff, static_cast<double>(std::fabs(a[i] - b[i])));
        scale = std::max(scale, static_cast<double>(std::fabs(a[i])));
    }
    return diff / scale;
}

}  // namespace

TEST_CASE("fix undoes each exactly invertible mistake: the written file's logits are the intact model's") {
    auto intact = open(kSample);
    REQUIRE(intact.ok());
    auto spec = model::read_spec(*intact);
    REQUIRE(spec.ok());
    const std::vector<float> reference = logits_of(kSample);
    const std::vector<std::string> exact = {"qk_hf_order",        "qk_double_permuted",  "gate_up_swapped",
                                            "transposed_attn_output", "transposed_attn_q", "transposed_output",
                                            "half_type_mislabelled", "byte_order",        "embd_rows_late"};
    int tried = 0;
    for (const auto& damage : test::damage_classes()) {
        if (std::find(exact.begin(), exact.end(), damage.expected) == exact.end()) continue;
        CAPTURE(damage.name);
        ++tried;
        test::TempDir dir;
        auto replacements = damage.apply(*intact, *spec);
        REQUIRE(replacements.ok());
        auto damaged = repair::rewrite_with(*intact, *replacements);
        REQUIRE(damaged.ok());
        REQUIRE(damaged->writer.write(dir / "damaged.gguf").ok());
        CHECK(relative_difference(reference, logits_of(dir / "damaged.gguf")) > 1e-3);  // the damage is real

        const auto r = test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' fix " + q(dir / "damaged.gguf") + " -o " +
                                         q(dir / "fixed.gguf") + " 2>&1");
        REQUIRE_MESSAGE(r.status == 0, r.out);
        CHECK_MESSAGE(r.out.find(damage.expected) != std::string::npos, r.out);
        CHECK_MESSAGE(relative_difference(reference, logits_of(dir / "fixed.gguf")) <= 1e-6, r.out);
        CHECK_MESSAGE(r.out.find("check: FAIL") != std::string::npos, r.out);  // the input, before
        CHECK_MESSAGE(r.out.find("-> PASS") != std::string::npos, r.out);      // the output, after
        auto fixed = open(dir / "fixed.gguf");
        REQUIRE(fixed.ok());
        for (const auto& t : intact->tensors()) {
            CAPTURE(t.name);
            const TensorInfo* u = fixed->find_tensor(t.name);
            REQUIRE(u != nullptr);
            CHECK(u->type == t.type);
            auto a = intact->view(t);
            auto b = fixed->view(*u);
            REQUIRE(a.ok());
            REQUIRE(b.ok());
            CHECK(std::equal(a->bytes.begin(), a->bytes.end(), b->bytes.begin(), b->bytes.end()));
        }
    }
    CHECK(tried == static_cast<int>(exact.size()));
}

TEST_CASE("fix undoes mistakes in the norm weights: the fixed model is decisively better and check passes it") {
    auto intact = open(kSample);
    REQUIRE(intact.ok());
    auto spec = model::read_spec(*intact);
    REQUIRE(spec.ok());
    const std::vector<float> reference = logits_of(kSample);
    int tried = 0;
    for (const auto& damage : test::damage_classes()) {
        if (damage.expected != "norms_plus_one" && damage.expected != "norms_scaled") continue;
        CAPTURE(damage.name);
        ++tried;
        test::TempDir dir;
        auto replacements = damage.apply(*intact, *spec);
        REQUIRE(replacements.ok());
        auto damaged = repair::rewrite_with(*intact, *replacements);
        REQUIRE(damaged.ok());
        REQUIRE(damaged->writer.write(dir / "damaged.gguf").ok());
        const auto r = test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' fix " + q(dir / "damaged.gguf") + " -o " +
                                         q(dir / "fixed.gguf") + " 2>&1");
        REQUIRE_MESSAGE(r.status == 0, r.out);
        CHECK_MESSAGE(r.out.find(damage.expected) != std::string::npos, r.out);
        CHECK_MESSAGE(r.out.find("-> PASS") != std::string::npos, r.out);
        // Shifting back by 1 is exact up to float32 rounding of w + 1 - 1.
        if (damage.expected == "norms_plus_one")
            CHECK_MESSAGE(relative_difference(reference, logits_of(dir / "fixed.gguf")) <= 1e-4, r.out);
    }
    CHECK(tried == 2);
}

TEST_CASE("fix leaves a healthy model alone, and never writes over its input") {
    test::TempDir dir;
    auto r = test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' fix '" + kSample + "' -o " + q(dir / "out.gguf") + " 2>&1");
    CHECK_MESSAGE(r.status == 1, r.out);
    CHECK(r.out.find("nothing written") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "out.gguf"));
    r = test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' fix '" + kSample + "' -o '" + kSample + "' 2>&1");
    CHECK(r.status == 3);
}

TEST_CASE("fix sets hyperparameters the tensor shapes determine, and the file then computes the intact logits") {
    auto intact = open(kSample);
    REQUIRE(intact.ok());
    const std::string arch(*intact->get_string("general.architecture"));
    const std::string key = arch + ".feed_forward_length";
    const auto right = intact->get_u64(key);
    REQUIRE(right.has_value());
    test::TempDir dir;
    const repair::MetadataEdit edit{repair::MetadataEdit::Kind::set, key, std::to_string(*right + 64), std::nullopt};
    auto edited = repair::apply_edits(*intact, {&edit, 1});
    REQUIRE(edited.ok());
    REQUIRE(edited->writer.write(dir / "damaged.gguf").ok());

    const auto r = test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' fix " + q(dir / "damaged.gguf") + " -o " +
                                     q(dir / "fixed.gguf") + " 2>&1");
    REQUIRE_MESSAGE(r.status == 0, r.out);
    CHECK_MESSAGE(r.out.find("metadata " + key + ": " + std::to_string(*right + 64) + " -> " + std::to_string(*right)) !=
                      std::string::npos,
                  r.out);
    CHECK_MESSAGE(r.out.find("check: FAIL") != std::string::npos, r.out);
    CHECK_MESSAGE(r.out.find("-> PASS") != std::string::npos, r.out);
    CHECK_FALSE(std::filesystem::exists(dir / "fixed.gguf.fix-metadata.tmp"));
    auto fixed = open(dir / "fixed.gguf");
    REQUIRE(fixed.ok());
    CHECK(fixed->get_u64(key) == right);
    CHECK(relative_difference(logits_of(kSample), logits_of(dir / "fixed.gguf")) == 0.0);
}

TEST_CASE("fix on a Q8_0 file: a transposed projection is re-quantized (and said so), the model restored to its Q8_0 self") {
    auto intact = open(kSample);
    REQUIRE(intact.ok());
    auto spec = model::read_spec(*intact);
    REQUIRE(spec.ok());
    test::TempDir dir;
    // The trained sample quantized to Q8_0 (our quantizer), written as a file.
    test::HealthyRewrite q8;
    for (auto& h : test::healthy_rewrites(false))
        if (h.name == "Q8_0") q8 = h;
    REQUIRE(q8.apply);
    auto q8_replacements = q8.apply(*intact, *spec);
    REQUIRE(q8_replacements.ok());
    auto q8_overlay = make_overlay(*intact, std::move(*q8_replacements));
    REQUIRE(q8_overlay.ok());
    auto q8_writer = writer_from(*q8_overlay, ByteOrder::little);
    REQUIRE(q8_writer.ok());
    REQUIRE(q8_writer->write(dir / "q8_0.gguf").ok());
    auto q8_file = open(dir / "q8_0.gguf");
    REQUIRE(q8_file.ok());
    const std::vector<float> reference = logits_of(dir / "q8_0.gguf");

    test::DamageClass transposed;
    for (auto& d : test::damage_classes())
        if (d.expected == "transposed_attn_output") transposed = d;
    REQUIRE(transposed.apply);
    auto replacements = transposed.apply(*q8_file, *spec);
    REQUIRE(replacements.ok());
    auto damaged = repair::rewrite_with(*q8_file, *replacements);
    REQUIRE(damaged.ok());
    REQUIRE(damaged->writer.write(dir / "damaged.gguf").ok());
    CHECK(relative_difference(reference, logits_of(dir / "damaged.gguf")) > 1e-3);

    const auto r = test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' fix " + q(dir / "damaged.gguf") + " -o " +
                                     q(dir / "fixed.gguf") + " 2>&1");
    REQUIRE_MESSAGE(r.status == 0, r.out);
    CHECK_MESSAGE(r.out.find("transposed_attn_output") != std::string::npos, r.out);
    CHECK_MESSAGE(r.out.find("re-quantized") != std::string::npos, r.out);
    CHECK_MESSAGE(r.out.find("-> PASS") != std::string::npos, r.out);
    auto fixed = open(dir / "fixed.gguf");
    REQUIRE(fixed.ok());
    CHECK(fixed->find_tensor("blk.0.attn_output.weight")->type == static_cast<std::uint32_t>(TypeId::Q8_0));
    // Quantized twice (damaged, then fixed) is not the Q8_0 model bit for bit, but close to it.
    CHECK_MESSAGE(relative_difference(reference, logits_of(dir / "fixed.gguf")) <= 0.05, r.out);
}
