// The GPU forward pass on one model: load time, prefill of N prompt tokens (the logits of every
// position, delivered to host memory as the Forward interface returns them; also the device time of
// the same prefill up to the logits in device memory), and greedy decode of M tokens one at a time
// through the KV cache. Medians of R runs after a warm-up. Prints one JSON line;
// bench/cuda/run_benchmarks.sh runs PyTorch on the same weights beside it.
//
//   bench_cuda_forward --model FILE [--prefill 512] [--decode 64] [--repeats 5] [--precision fp32|tf32] [--step-graphs 0|1]
//                      [--memory-limit-mb N] [--save-logits FILE.npy]   (last 4 prefill rows)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/cuda/forward.hpp"
#include "gguf/forward/trace_io.hpp"

using namespace gguf;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "bench_cuda_forward: %s\n", message.c_str());
    std::exit(2);
}

forward::Logits evaluate(forward::Forward& pass, std::span<const std::int32_t> tokens) {
    auto r = pass.evaluate(tokens);
    if (!r) fail(r.error().describe());
    return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
    std::string model_path, precision = "fp32", save;
    int prefill = 512, decode = 64, repeats = 5;
    std::uint64_t limit_mb = 0;
    bool step_graphs = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i], value = argv[i + 1];
        if (key == "--model") model_path = value;
        else if (key == "--prefill") prefill = std::stoi(value);
        else if (key == "--decode") decode = std::stoi(value);
        else if (key == "--repeats") repeats = std::stoi(value);
        else if (key == "--precision") precision = value;
        else if (key == "--memory-limit-mb") limit_mb = std::stoull(value);
        else if (key == "--save-logits") save = value;
        else if (key == "--step-graphs") step_graphs = value != "0";
        else fail("unknown option " + key);
    }
    auto model = gguf::open(model_path);
    if (!model) fail(model.error().describe());

    const auto load_start = Clock::now();
    cuda::CudaOptions options;
    options.precision = precision == "tf32" ? cuda::Precision::tf32 : cuda::Precision::fp32;
    options.memory_limit_bytes = limit_mb << 20;
    options.step_graphs = step_graphs;
    auto made = cuda::make_cuda_forward(*model, options);
    if (!made) fail(made.error().describe());
    const double load_s = seconds_since(load_start);
    cuda::CudaForward& pass = **made;

    // A fixed prompt of ids spread over the real (unpadded) vocabulary.
    const std::uint64_t n_vocab = model->find_tensor("token_embd.weight")->ne[1];
    std::vector<std::int32_t> prompt(static_cast<std::size_t>(prefill));
    for (std::size_t i = 0; i < prompt.size(); ++i)
        prompt[i] = static_cast<std::int32_t>((i * 7919 + 13) % (n_vocab * 9 / 10));

    evaluate(pass, prompt);  // warm-up: cuBLAS heuristics, first-touch of host memory
    std::vector<double> prefill_ms, pass_ms;
    forward::Logits last;
    for (int r = 0; r < repeats; ++r) {
        pass.reset();
        const auto t = Clock::now();
        last = evaluate(pass, prompt);
        prefill_ms.push_back(1e3 * seconds_since(t));
        pass_ms.push_back(pass.last_pass_ms());
    }
    if (!save.empty()) {
        const std::uint64_t rows = std::min<std::uint64_t>(4, last.n_tokens);
        const std::uint64_t shape[] = {rows, last.n_vocab};
        const auto first = last.values.end() - static_cast<std::ptrdiff_t>(rows * last.n_vocab);
        if (auto w = forward::write_npy(save, shape, std::vector<float>(first, last.values.end())); !w)
            fail(w.error().describe());
    }

    // Decode after the prompt: each step evaluates the previous step's argmax.
    std::vector<double> decode_runs, decode_pass_runs;
    for (int r = 0; r < std::max(1, repeats / 2); ++r) {
        pass.reset();
        auto logits = evaluate(pass, prompt);
        auto row = logits.row(logits.n_tokens - 1);
        std::int32_t next = static_cast<std::int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
        const auto t = Clock::now();
        double step_pass_ms = 0;
        for (int i = 0; i < decode; ++i) {
            auto step = evaluate(pass, std::span(&next, 1));
            step_pass_ms += pass.last_pass_ms();
            auto r0 = step.row(0);
            next = static_cast<std::int32_t>(std::max_element(r0.begin(), r0.end()) - r0.begin());
        }
        decode_runs.push_back(1e3 * seconds_since(t) / decode);
        decode_pass_runs.push_back(step_pass_ms / decode);
    }

    // What a zero-filled std::vector<float> of the prefill logits' size costs here, on one thread: what
    // every evaluate() paid before the logits became forward::LogitValues (not zero-filled).
    std::vector<double> alloc_ms;
    for (int r = 0; r < repeats; ++r) {
        const auto t = Clock::now();
        std::vector<float> fresh(last.values.size());
        alloc_ms.push_back(1e3 * seconds_since(t));
        if (fresh[fresh.size() / 2] != 0.0f) fail("a fresh vector is not zero");
    }

    const cuda::MemoryPlan plan = pass.memory_plan();
    nlohmann::ordered_json j;
    j["model"] = model_path;
    j["backend"] = std::string(pass.backend());
    j["precision"] = precision;
    j["load_s"] = load_s;
    j["prefill_tokens"] = prefill;
    j["prefill_ms"] = median(prefill_ms);
    j["prefill_pass_ms"] = median(pass_ms);  // the same prefills without the logits' copy to host memory
    j["host_logits_alloc_ms"] = median(alloc_ms);
    j["decode_tokens"] = decode;
    j["decode_ms_per_token"] = median(decode_runs);
    j["decode_pass_ms_per_token"] = median(decode_pass_runs);  // device time: token upload to logits on the GPU
    j["step_graphs"] = step_graphs;
    j["graph_steps"] = pass.graph_steps();
    j["graph_instantiations"] = pass.graph_instantiations();
    j["streamed"] = plan.streamed;
    j["weight_mb"] = plan.weight_bytes >> 20;
    j["decoded_cache_mb"] = plan.decoded_cache_bytes >> 20;
    std::printf("%s\n", j.dump().c_str());
    return 0;
}
