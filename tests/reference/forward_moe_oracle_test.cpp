// The mixture-of-experts presets in every weight mix against llama.cpp's float32 pass on the same
// weights: our CPU pass runs on the quantized file, llama.cpp (F32 KV cache, no flash attention) on a
// float32 copy whose tensors ggml's own to_float decoded. llama.cpp's pass on the quantized file itself
// multiplies by 8-bit activations and may route a token to other experts; this comparison isolates the
// forward pass (routing, experts, shared expert) from that rounding. Also: a file's expert_weights_scale,
// which llama.cpp ignores for these architectures, is ignored here too.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "forward/fixtures.hpp"
#include "gguf/forward/compare.hpp"
#include "gguf/quantize.hpp"
#include "reference/ggml_reference.hpp"

namespace fs = std::filesystem;
using namespace gguf;

namespace {

const char* const kPresets[] = {"tiny-qwen3moe", "tiny-qwen2moe", "tiny-qwen35moe", "tiny-gpt-oss"};
const char* const kMixes[] = {"f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k"};

std::vector<std::int32_t> prompt_ids(std::uint32_t n_real_tokens) {
    std::vector<std::int32_t> ids;
    std::uint32_t x = 4242;
    for (int i = 0; i < 24; ++i) {
        x = x * 1103515245u + 12345u;
        ids.push_back(static_cast<std::int32_t>((x >> 8) % n_real_tokens));
    }
    return ids;
}

// The writer's tensors of other types than F32 decoded by ggml's to_float, as F32 tensors.
Writer decoded_by_ggml(const Writer& w) {
    return test::with_tensors(w, [](WriterTensor& t) {
        const auto f32 = static_cast<std::uint32_t>(TypeId::F32);
        if (t.type == f32) return true;
        const TypeInfo& type = *find_type(t.type);
        std::vector<float> values(t.data.size() / type.type_size * type.block_size);
        ggml_get_type_traits(static_cast<int>(t.type))->to_float(t.data.data(), values.data(), static_cast<std::int64_t>(values.size()));
        t.type = f32;
        t.data.resize(values.size() * 4);
        std::memcpy(t.data.data(), values.data(), t.data.size());
        return true;
    });
}

}  // namespace

TEST_CASE("the mixture-of-experts presets in every weight mix agree with llama.cpp's float32 pass on the same weights") {
    const test::TempDir dir;
    struct Job {
        std::string name;
        fs::path quantized, logits;
        std::vector<std::int32_t> ids;
    };
    std::vector<Job> jobs;
    nlohmann::json job_list = nlohmann::json::array();
    for (const char* preset : kPresets) {
        auto config = samples::preset(preset);
        REQUIRE(config.ok());
        const auto ids = prompt_ids(config->n_vocab - config->n_vocab_padding);
        for (const char* mix : kMixes) {
            const std::string name = std::string(preset) + "-" + mix;
            const Writer q = test::build_preset(preset, mix);
            Job job{name, dir / (name + ".gguf"), dir / (name + ".f32"), ids};
            REQUIRE(q.write(job.quantized).ok());
            const fs::path decoded = dir / (name + "-decoded.gguf");
            REQUIRE(decoded_by_ggml(q).write(decoded).ok());
            job_list.push_back({{"model", decoded.string()}, {"ids", ids}, {"out", job.logits.string()},
                                {"kv_type", "F32"}, {"flash_attention", "off"}});
            jobs.push_back(job);
        }
    }
    // gpt-oss as published: its expert tensors in MXFP4, the rest in F32.
    {
        auto config = samples::preset("tiny-gpt-oss");
        REQUIRE(config.ok());
        const Writer q = test::with_tensors(test::build_preset("tiny-gpt-oss", "f32"), [](WriterTensor& t) {
            if (!t.name.ends_with("_exps.weight")) return true;
            std::vector<float> values(t.data.size() / 4);
            std::memcpy(values.data(), t.data.data(), t.data.size());
            auto blocks = dequant::quantize(static_cast<std::uint32_t>(TypeId::MXFP4), values, t.ne[0]);
            REQUIRE(blocks.ok());
            t.type = static_cast<std::uint32_t>(TypeId::MXFP4);
            t.data = std::move(*blocks);
            return true;
        });
        const std::string name = "tiny-gpt-oss-mxfp4-experts";
        Job job{name, dir / (name + ".gguf"), dir / (name + ".f32"), prompt_ids(config->n_vocab - config->n_vocab_padding)};
        REQUIRE(q.write(job.quantized).ok());
        const fs::path decoded = dir / (name + "-decoded.gguf");
        REQUIRE(decoded_by_ggml(q).write(decoded).ok());
        job_list.push_back({{"model", decoded.string()}, {"ids", job.ids}, {"out", job.logits.string()},
                            {"kv_type", "F32"}, {"flash_attention", "off"}});
        jobs.push_back(job);
    }
    // expert_weights_scale in the file: llama.cpp's loaders of these architectures do not read it, so the
    // weights are not scaled on either side.
    for (const char* preset : kPresets) {
        auto config = samples::preset(preset);
        REQUIRE(config.ok());
        const std::string arch = std::string(preset).substr(5);
        Writer w = test::build_preset(preset, "f32");
        w.set(arch + ".expert_weights_scale", Value::f32(2.5f));
        const std::string name = std::string(preset) + "-f32-weights-scale";
        Job job{name, dir / (name + ".gguf"), dir / (name + ".f32"), prompt_ids(config->n_vocab - config->n_vocab_padding)};
        REQUIRE(w.write(job.quantized).ok());
        job_list.push_back({{"model", job.quantized.string()}, {"ids", job.ids}, {"out", job.logits.string()},
                            {"kv_type", "F32"}, {"flash_attention", "off"}});
        jobs.push_back(job);
    }
    const fs::path job_file = dir / "jobs.json";
    std::ofstream(job_file) << job_list.dump();
    const std::string command = std::string("'") + GGUF_DOCTOR_NODE + "' '" + GGUF_DOCTOR_REFERENCE_SCRIPT +
                                "' logits-many '" + job_file.string() + "' > /dev/null";
    REQUIRE_MESSAGE(std::system(command.c_str()) == 0, command);

    for (const Job& job : jobs) {
        CAPTURE(job.name);
        const Container model = test::open_model(job.quantized);
        auto ours = test::cpu_pass(model)->evaluate(job.ids);
        REQUIRE(ours.ok());
        forward::Logits reference{ours->n_tokens, ours->n_vocab, forward::LogitValues(ours->n_tokens * ours->n_vocab)};
        std::ifstream in(job.logits, std::ios::binary);
        in.read(reinterpret_cast<char*>(reference.values.data()),
                static_cast<std::streamsize>(reference.values.size() * sizeof(float)));
        REQUIRE(in.gcount() == static_cast<std::streamsize>(reference.values.size() * sizeof(float)));
        const auto a = forward::compare_logits(reference, *ours);
        MESSAGE(job.name << " vs llama.cpp F32 on the decoded weights: max|diff| " << a.max_abs_diff << ", rel "
                         << a.relative_diff << ", argmax mismatches " << a.argmax_mismatches << ", mean KL " << a.mean_kl
                         << ", max KL " << a.max_kl);
        CHECK(a.positions == job.ids.size());
        CHECK(a.argmax_mismatches == 0);
        CHECK(a.relative_diff <= 1e-4);
    }
}
