// The weight-only RoPE pair verdict (GD-W024): the trained sample's Q/K rows pair as llama's RoPE
// rotates them; its copies with the rows in Hugging Face order or permuted twice fail, naming the
// pairing found; every other damage class, every healthy rewrite and quantization, and the random
// weights of every sample preset produce no GD-W024. `check` reports it with and without --no-forward.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fmt/format.h>

#include "damage_classes.hpp"
#include "gguf/samples/generator.hpp"
#include "gguf/verdict/rope_pairs.hpp"
#include "gguf/writer.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

namespace gguf {
namespace {

using verdict::RopeArrangement;

struct Sample {
    Container model;
    model::ModelSpec spec;
};

const Sample& sample() {
    static const Sample s = [] {
        auto c = open(std::string(GGUF_DOCTOR_SOURCE_DIR) + "/samples/trained/tiny-english-f16.gguf");
        REQUIRE(c.ok());
        auto spec = model::read_spec(*c);
        REQUIRE(spec.ok());
        return Sample{std::move(*c), *spec};
    }();
    return s;
}

Container variant(const test::Variant& apply) {
    auto replacements = apply(sample().model, sample().spec);
    REQUIRE_MESSAGE(replacements.ok(), (replacements.ok() ? std::string() : replacements.error().describe()));
    auto over = make_overlay(sample().model, std::move(*replacements));
    REQUIRE(over.ok());
    return std::move(*over);
}

const test::DamageClass& damage(std::string_view expected) {
    static const auto classes = test::damage_classes();
    for (const auto& d : classes)
        if (d.expected == expected) return d;
    FAIL("no damage class " << expected);
    return classes.front();
}

std::string z_line(const verdict::RopePairEvidence& e) {
    return fmt::format("z rotate-half {:.2f}, interleaved {:.2f}, permuted twice {:.2f}", e.z[0], e.z[1], e.z[2]);
}

std::string evidence(const model::Finding& f, std::string_view name) {
    for (const auto& e : f.evidence)
        if (e.name == name) return e.value;
    return "";
}

TEST_CASE("the trained sample's Q/K rows pair as llama's RoPE rotates them") {
    auto e = verdict::measure_rope_pairs(sample().model, sample().spec);
    REQUIRE(e.has_value());
    MESSAGE("intact: " << z_line(*e));
    CHECK(e->expected == RopeArrangement::interleaved);
    CHECK(e->blocks.size() == sample().spec.n_layer);
    CHECK(e->best() == RopeArrangement::interleaved);
    CHECK(e->z[1] >= verdict::rope_pair_signal_z);
    CHECK(verdict::rope_pair_findings(*e, sample().spec).empty());
}

TEST_CASE("Q/K rows in Hugging Face order or permuted twice fail with GD-W024 naming the pairing") {
    const std::pair<const char*, RopeArrangement> cases[] = {{"qk_hf_order", RopeArrangement::rotate_half},
                                                             {"qk_double_permuted", RopeArrangement::permuted_twice}};
    for (const auto& [id, found] : cases) {
        SUBCASE(id) {
            const Container damaged = variant(damage(id).apply);
            auto e = verdict::measure_rope_pairs(damaged, sample().spec);
            REQUIRE(e.has_value());
            MESSAGE(std::string(id) << ": " << z_line(*e));
            CHECK(e->best() == found);
            const auto findings = verdict::rope_pair_findings(*e, sample().spec);
            REQUIRE(findings.size() == 1);
            CHECK(findings[0].code == "GD-W024");
            CHECK(findings[0].severity == Severity::error);
            CHECK(evidence(findings[0], "found pairing").starts_with(verdict::arrangement_name(found)));
            CHECK(evidence(findings[0], "block 3").starts_with("z found"));
        }
    }
}

TEST_CASE("the pairing an architecture expects comes from its RoPE style") {
    // The same weights judged as a neox architecture (whose RoPE rotates (i, i + head_dim/2)): the
    // Hugging Face-order copy is then right, and the interleaved original is the mistake.
    model::ModelSpec neox = sample().spec;
    neox.rope.style = model::RopeStyle::neox;
    auto right = verdict::measure_rope_pairs(variant(damage("qk_hf_order").apply), neox);
    REQUIRE(right.has_value());
    CHECK(right->expected == RopeArrangement::rotate_half);
    CHECK(verdict::rope_pair_findings(*right, neox).empty());
    auto wrong = verdict::measure_rope_pairs(sample().model, neox);
    REQUIRE(wrong.has_value());
    const auto findings = verdict::rope_pair_findings(*wrong, neox);
    REQUIRE(findings.size() == 1);
    CHECK(evidence(findings[0], "found pairing").starts_with(verdict::arrangement_name(RopeArrangement::interleaved)));
}

TEST_CASE("no GD-W024 for the other damage classes, the healthy rewrites and every quantization") {
    for (const auto& d : test::damage_classes()) {
        if (d.expected == "qk_hf_order" || d.expected == "qk_double_permuted") continue;
        const Container m = variant(d.apply);
        if (auto e = verdict::measure_rope_pairs(m, sample().spec)) {
            CHECK_MESSAGE(verdict::rope_pair_findings(*e, sample().spec).empty(), d.name << ": " << z_line(*e));
        }
    }
    for (const auto& h : test::healthy_rewrites(true)) {
        const Container m = variant(h.apply);
        auto e = verdict::measure_rope_pairs(m, sample().spec);
        REQUIRE(e.has_value());
        MESSAGE(h.name << ": " << z_line(*e));
        CHECK_MESSAGE(e->best() == RopeArrangement::interleaved, h.name);
        CHECK_MESSAGE(verdict::rope_pair_findings(*e, sample().spec).empty(), h.name);
    }
}

TEST_CASE("random weights carry no pair signal: every preset and type mix stays silent") {
    test::TempDir dir;
    for (const auto name : samples::preset_names()) {
        if (!name.starts_with("tiny-")) continue;  // the full-size presets take minutes to write
        for (const auto mix : {"f32", "q4_k_m"}) {
            auto config = samples::preset(name);
            REQUIRE(config.ok());
            if (!samples::apply_mix(*config, mix)) continue;
            const auto path = dir / fmt::format("{}-{}.gguf", name, mix);
            REQUIRE(samples::write_model(*config, path).ok());
            auto m = open(path);
            REQUIRE(m.ok());
            auto spec = model::read_spec(*m);
            REQUIRE(spec.ok());
            auto e = verdict::measure_rope_pairs(*m, *spec);
            if (!e) continue;
            MESSAGE(name << " " << mix << ": " << z_line(*e));
            CHECK_MESSAGE(e->z[static_cast<int>(e->best())] < verdict::rope_pair_signal_z, name << " " << mix);
            CHECK(verdict::rope_pair_findings(*e, *spec).empty());
        }
    }
}

TEST_CASE("the null distribution: 40 random weight draws of a llama and a neox preset never reach the signal") {
    // The presets above share their seed; here each draw is its own, with 4 blocks as the trained
    // sample has, so the pooled z-scores are comparable with its 9.8.
    test::TempDir dir;
    for (const auto name : {"tiny-llama", "tiny-qwen2"}) {
        double largest = -1e9, sum = 0, sum_sq = 0;
        int n = 0;
        for (std::uint64_t seed = 1; seed <= 40; ++seed) {
            auto config = samples::preset(name);
            REQUIRE(config.ok());
            config->seed = seed;
            config->n_layer = 4;
            const auto path = dir / fmt::format("{}-{}.gguf", name, seed);
            REQUIRE(samples::write_model(*config, path).ok());
            auto m = open(path);
            REQUIRE(m.ok());
            auto spec = model::read_spec(*m);
            REQUIRE(spec.ok());
            auto e = verdict::measure_rope_pairs(*m, *spec);
            REQUIRE(e.has_value());
            for (const double z : e->z) {
                largest = std::max(largest, z);
                sum += z;
                sum_sq += z * z;
                ++n;
            }
            CHECK(verdict::rope_pair_findings(*e, *spec).empty());
            std::filesystem::remove(path);
        }
        const double mean = sum / n;
        fmt::print("{}: 40 seeds x 3 pairings: pooled z mean {:.2f}, sd {:.2f}, largest {:.2f}\n", name, mean,
                   std::sqrt(sum_sq / n - mean * mean), largest);
        CHECK(largest < verdict::rope_pair_signal_z);
    }
}

TEST_CASE("heads larger than 1024 dimensions are not measured: the statistic's work grows with their square") {
    test::TempDir dir;
    auto config = samples::preset("tiny-llama");
    REQUIRE(config.ok());
    config->n_layer = 1;
    config->n_embd = 2048;
    config->n_head = 1;
    config->n_head_kv = 1;
    config->head_dim = 2048;
    REQUIRE(samples::apply_mix(*config, "q4_0").ok());
    const auto path = dir / "one-big-head.gguf";
    REQUIRE(samples::write_model(*config, path).ok());
    auto m = open(path);
    REQUIRE(m.ok());
    auto spec = model::read_spec(*m);
    REQUIRE(spec.ok());
    REQUIRE(spec->head_dim == 2048);
    CHECK_FALSE(verdict::measure_rope_pairs(*m, *spec).has_value());
    CHECK(verdict::rope_pair_summary(std::nullopt) == "RoPE pairs not measured");
}

TEST_CASE("check reports GD-W024 with and without --no-forward") {
    test::TempDir dir;
    const auto path = dir / "hf-order.gguf";
    const Container damaged = variant(damage("qk_hf_order").apply);
    auto writer = writer_from(damaged, host_byte_order);
    REQUIRE(writer.ok());
    REQUIRE(writer->write(path).ok());
    for (const char* flags : {"--no-forward", ""}) {
        const auto r = test::run_command(fmt::format("{}/gguf-doctor check {} {} 2>&1", GGUF_DOCTOR_BINARY_DIR, flags, path.string()));
        CHECK_MESSAGE(r.status == 1, flags << "\n" << r.out);
        CHECK_MESSAGE(r.out.find("GD-W024") != std::string::npos, flags << "\n" << r.out);
    }
    const auto intact = test::run_command(fmt::format("{}/gguf-doctor check --no-forward {}/samples/trained/tiny-english-f16.gguf 2>&1",
                                                      GGUF_DOCTOR_BINARY_DIR, GGUF_DOCTOR_SOURCE_DIR));
    CHECK_MESSAGE(intact.status == 0, intact.out);
    CHECK(intact.out.find("Q/K rows pair as the RoPE expects") != std::string::npos);
}

}  // namespace
}  // namespace gguf
