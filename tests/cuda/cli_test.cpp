// gguf-doctor logits / trace / check with --gpu, end to end. Runs everywhere: without a usable GPU it
// checks that --gpu fails with a clear message and exit code (never a crash); with one, that the GPU
// commands give the CPU's answers and that --gpu-memory-limit streams without changing them.
#include <doctest/doctest.h>

#include <cstring>

#include "../forward/fixtures.hpp"
#include "gguf/cuda/device.hpp"
#include "gguf/verdict/hypotheses.hpp"
#include "gguf/verdict/transforms.hpp"
#include "gguf/writer.hpp"
#include "model_fixture.hpp"
#include "support/command.hpp"

using namespace gguf;

namespace {

using Run = test::CommandResult;  // out: stdout and stderr

Run run(const std::string& arguments) {
    return test::run_command(std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor " + arguments + " 2>&1");
}

std::vector<float> npy_values(const std::filesystem::path& path) {
    const std::string bytes = test::read_file(path);
    REQUIRE(bytes.size() > 10);
    const std::size_t header = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    std::vector<float> values((bytes.size() - 10 - header) / 4);
    std::memcpy(values.data(), bytes.data() + 10 + header, values.size() * 4);
    return values;
}

double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    double diff = 0, ref = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
        ref = std::max(ref, std::abs(static_cast<double>(b[i])));
    }
    return diff / ref;
}

bool have_gpu() { return cuda::probe_device(0).ok(); }

}  // namespace

TEST_CASE("--gpu without a usable GPU is a clear error, never a crash") {
    const test::TempDir dir;
    const auto model = test::write_preset(dir, "tiny-qwen2", "f16").string();
    // A device that does not exist behaves like a machine without a GPU, so this runs everywhere.
    for (const std::string& command : {"logits " + model + " --tokens 1,2,3 --gpu --device 7",
                                      "trace " + model + " --tokens 1,2,3 --gpu --device 7 --out " + (dir / "t.json").string()}) {
        CAPTURE(command);
        const Run r = run(command);
        CHECK(r.status == 2);
        CHECK((r.out.find("CUDA") != std::string::npos || r.out.find("driver") != std::string::npos));
    }
    const Run check = run("check " + model + " --gpu --device 7 --json");
    CHECK(check.status >= 0);  // a report, whatever its verdict
    CHECK(check.out.find("\"failed\"") != std::string::npos);
    if (!have_gpu()) {
        const Run r = run("logits " + model + " --tokens 1,2,3 --gpu");
        CHECK(r.status == 2);
        MESSAGE("no GPU here: " << r.out);
    }
}

TEST_CASE("logits --gpu and trace --gpu give the CPU's answers; --gpu-memory-limit streams the same logits") {
    if (!have_gpu()) {
        MESSAGE("not run: no usable CUDA device");
        return;
    }
    const test::TempDir dir;
    auto config = samples::preset("tiny-llama");
    REQUIRE(config.ok());
    REQUIRE(samples::apply_mix(*config, "q4_k_m").ok());
    config->n_layer = 24;  // with its KV cache, more than the 12 MiB limit below; two layers fit
    const auto path = dir / "model.gguf";
    REQUIRE(test::write_model_any_type(*config, path).ok());
    const std::string model = path.string(), tokens = " --tokens 1,17,300,42,5,99,260,7";

    const Run cpu = run("logits " + model + tokens + " --out " + (dir / "cpu.npy").string());
    const Run gpu = run("logits " + model + tokens + " --gpu --out " + (dir / "gpu.npy").string());
    const Run streamed = run("logits " + model + tokens + " --gpu --gpu-memory-limit 12 --out " + (dir / "streamed.npy").string());
    REQUIRE(cpu.status == 0);
    REQUIRE(gpu.status == 0);
    REQUIRE_MESSAGE(streamed.status == 0, streamed.out);
    CHECK(gpu.out.find("cuda:0 backend") != std::string::npos);
    const auto c = npy_values(dir / "cpu.npy"), g = npy_values(dir / "gpu.npy"), s = npy_values(dir / "streamed.npy");
    CHECK(relative_difference(g, c) <= 1e-3);
    CHECK(relative_difference(s, g) <= 1e-5);  // smaller batches may add in another order

    // TF32 products: the label says so, and the logits stay within the agreement bound of the CPU's. They
    // apply to batched products, so the prompt is longer than the 8 tokens the matvec path takes.
    const std::string long_tokens = " --tokens 1,17,300,42,5,99,260,7,11,12,13,14,15,16,17,18";
    const Run cpu_long = run("logits " + model + long_tokens + " --out " + (dir / "cpu_long.npy").string());
    const Run fp32 = run("logits " + model + long_tokens + " --gpu --out " + (dir / "fp32.npy").string());
    const Run tf32 = run("logits " + model + long_tokens + " --gpu --gpu-precision tf32 --out " + (dir / "tf32.npy").string());
    REQUIRE(cpu_long.status == 0);
    REQUIRE(fp32.status == 0);
    REQUIRE_MESSAGE(tf32.status == 0, tf32.out);
    CHECK(tf32.out.find("cuda:0/tf32 backend") != std::string::npos);
    const auto reference = npy_values(dir / "cpu_long.npy");
    const double fp32_difference = relative_difference(npy_values(dir / "fp32.npy"), reference);
    const double tf32_difference = relative_difference(npy_values(dir / "tf32.npy"), reference);
    MESSAGE("16 tokens, relative difference from the CPU: fp32 " << fp32_difference << ", tf32 " << tf32_difference);
    // The option reached cuBLAS: operands rounded to a 10-bit mantissa move the logits far more than FP32
    // summation order does (about 1e-4 against 1e-6 in forward_test).
    CHECK(tf32_difference > 10 * fp32_difference);
    CHECK(tf32_difference <= 1e-3);

    const Run trace = run("trace " + model + tokens + " --gpu --out " + (dir / "trace.json").string());
    CHECK(trace.status == 0);
    const std::string text = test::read_file(dir / "trace.json");
    CHECK(text.find("\"cuda:0\"") != std::string::npos);
    CHECK(text.find("ffn_residual") != std::string::npos);

    const Run check = run("check " + model + " --gpu --json");
    CHECK(check.out.find("cuda:0") != std::string::npos);
    CHECK(run("logits " + model + tokens + " --gpu --gpu-memory-limit 1").status == 2);  // too little even to stream
}

TEST_CASE("check --gpu names Q/K rows left in Hugging Face order: from the weights (GD-W024) and the passes (GD-F012)") {
    if (!have_gpu()) {
        MESSAGE("not run: no usable CUDA device");
        return;
    }
    const test::TempDir dir;
    auto sample = open(std::string(GGUF_DOCTOR_SOURCE_DIR) + "/samples/trained/tiny-english-f16.gguf");
    REQUIRE(sample.ok());
    auto spec = model::read_spec(*sample);
    REQUIRE(spec.ok());
    std::vector<TensorReplacement> hf_order;
    for (std::uint64_t l = 0; l < spec->n_layer; ++l)
        for (const auto& [suffix, heads] : {std::pair{"attn_q.weight", spec->n_head}, std::pair{"attn_k.weight", spec->n_head_kv}}) {
            auto r = verdict::reorder_rows(*sample, "blk." + std::to_string(l) + "." + suffix,
                                           verdict::rope_row_order(heads, spec->head_dim, false));
            REQUIRE(r.ok());
            hf_order.push_back(std::move(*r));
        }
    auto damaged = make_overlay(*sample, std::move(hf_order));
    REQUIRE(damaged.ok());
    auto writer = writer_from(*damaged, host_byte_order);
    REQUIRE(writer.ok());
    const auto path = dir / "hf-order.gguf";
    REQUIRE(writer->write(path).ok());
    const Run check = run("check " + path.string() + " --gpu");
    CHECK_MESSAGE(check.status == 1, check.out);
    CHECK_MESSAGE(check.out.find("GD-W024") != std::string::npos, check.out);
    CHECK_MESSAGE(check.out.find("qk_hf_order") != std::string::npos, check.out);
}
