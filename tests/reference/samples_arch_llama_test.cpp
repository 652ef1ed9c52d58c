// llama.cpp (node-llama-cpp, CPU) on the generator's presets of the newer architectures (qwen35,
// qwen35moe, gemma3, qwen3moe, qwen2moe, gpt-oss, gemma2, olmo2, granite, gemma4): it loads each tiny preset in F32, F16, Q8_0 and our Q4_K_M mix,
// and (except qwen35's) the F32 model quantized by llama.cpp's own quantizer, and returns finite,
// non-degenerate logits; gpt-oss also with MXFP4 experts, as it ships.
// The full-size shaped presets are checked from their tensor plan only (writing them takes gigabytes).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "gguf/container.hpp"
#include "gguf/samples/generator.hpp"
#include "reference/ggml_reference.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
namespace fs = std::filesystem;

namespace {

void node(const std::string& args) {
    const std::string command = std::string("'") + GGUF_DOCTOR_NODE + "' '" + GGUF_DOCTOR_REFERENCE_SCRIPT + "' " + args + " > /dev/null";
    REQUIRE_MESSAGE(std::system(command.c_str()) == 0, command);
}

std::vector<float> read_f32(const fs::path& p) {
    const std::string bytes = test::read_file(p);
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
}

void quiet(int, const char*, void*) {}

constexpr const char* kPresets[] = {"tiny-qwen35",  "tiny-qwen35moe", "tiny-gemma3", "tiny-qwen3moe", "tiny-qwen2moe",
                                    "tiny-gpt-oss", "tiny-gemma2",    "tiny-olmo2",  "tiny-granite",  "tiny-phi3",
                                    "tiny-mistral3", "tiny-gemma4"};

}  // namespace

TEST_CASE("llama.cpp loads the tiny presets of the newer architectures and gives sane logits") {
    test::TempDir dir;
    llama_log_set(quiet, nullptr);
    ggml_log_set(quiet, nullptr);
    llama_backend_init();
    // Longer than tiny-gemma3's sliding window (4), so that its sliding layers mask something.
    const std::vector<int> ids{1, 300, 301, 302, 400, 450, 17, 42, 260, 270};
    struct Job {
        std::string name;
        fs::path model, out;
        std::uint32_t n_vocab;
    };
    std::vector<Job> jobs;
    for (auto preset : kPresets) {
        for (auto mix : {"f32", "f16", "q8_0", "q4_k_m"}) {
            samples::ModelConfig c = samples::preset(preset).value();
            REQUIRE(samples::apply_mix(c, mix).ok());
            const std::string name = std::string(preset) + "-" + mix;
            jobs.push_back({name, dir / (name + ".gguf"), dir / (name + ".f32"), c.n_vocab});
            REQUIRE_MESSAGE(samples::write_model(c, jobs.back().model).ok(), name);
        }
        if (std::string_view(preset) == "tiny-gpt-oss") {
            // gpt-oss as it ships: MXFP4 experts, the rest F32.
            samples::ModelConfig c = samples::preset(preset).value();
            c.types.ffn_exps = static_cast<std::uint32_t>(TypeId::MXFP4);
            const std::string name = std::string(preset) + "-mxfp4-experts";
            jobs.push_back({name, dir / (name + ".gguf"), dir / (name + ".f32"), c.n_vocab});
            REQUIRE_MESSAGE(samples::write_model(c, jobs.back().model).ok(), name);
        }
        // The F32 model quantized by llama.cpp itself: its quantizer accepts our tensors (3-D experts too).
        // Not the qwen35 presets: llama_model_quantize of this llama.cpp version crashes (SIGSEGV) on
        // them, although it loads and runs the same files; the cause is not known yet.
        if (std::string_view(preset).starts_with("tiny-qwen35")) continue;
        const Job f32 = *std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.name == std::string(preset) + "-f32"; });
        const std::string name = std::string(preset) + "-llama-q4_k_m";
        jobs.push_back({name, dir / (name + ".gguf"), dir / (name + ".f32"), f32.n_vocab});
        llama_model_quantize_params params = llama_model_quantize_default_params();
        params.ftype = reference_ftype::mostly_q4_k_m;
        params.nthread = 2;
        REQUIRE_MESSAGE(llama_model_quantize(f32.model.c_str(), jobs.back().model.c_str(), &params) == 0, name);
    }
    nlohmann::json job_list = nlohmann::json::array();
    for (const Job& j : jobs) job_list.push_back({{"model", j.model.string()}, {"ids", ids}, {"out", j.out.string()}});
    std::ofstream(dir / "jobs.json") << job_list.dump();
    node("logits-many '" + (dir / "jobs.json").string() + "'");

    for (const Job& j : jobs) {
        CAPTURE(j.name);
        const auto logits = read_f32(j.out);
        REQUIRE(logits.size() == ids.size() * j.n_vocab);
        for (float v : logits) REQUIRE(std::isfinite(v));
        for (std::size_t row = 0; row < ids.size(); ++row) {
            double s = 0, s2 = 0;
            for (std::size_t k = 0; k < j.n_vocab; ++k) {
                const double v = logits[row * j.n_vocab + k];
                s += v;
                s2 += v * v;
            }
            const double mean = s / j.n_vocab;
            CHECK(std::sqrt(s2 / j.n_vocab - mean * mean) > 0.05);  // not a flat distribution
        }
        // Positions differ (the recurrent state and the attention see different histories).
        CHECK(!std::equal(logits.begin(), logits.begin() + j.n_vocab, logits.begin() + j.n_vocab));
    }
}
