// Generated models in any weight mix, for the GPU tests and benchmarks. gguf_samples writes the
// types it can encode itself; for the others the model is written once in a float type the generator
// encodes (`through`), and each tensor is then quantized by gguf_dequant's reference quantizers into
// the type the mix gives it (the same per-tensor choice llama.cpp's quantizer makes).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/dequant.hpp"
#include "gguf/quantize.hpp"
#include "gguf/samples/generator.hpp"
#include "gguf/writer.hpp"

namespace gguf::test {

// Writes `config` (after apply_mix) to `path`; an error names what failed.
inline Result<void> write_model_any_type(const samples::ModelConfig& config, const std::filesystem::path& path,
                                         TypeId through = TypeId::F32) {
    auto plan = samples::plan_tensors(config);
    if (!plan) return plan.error();
    if (std::all_of(plan->begin(), plan->end(), [](const auto& t) { return samples::can_encode(t.type); }))
        return samples::write_model(config, path);

    samples::ModelConfig floats = config;
    floats.types.set_all(static_cast<std::uint32_t>(through));
    const std::filesystem::path float_path = path.string() + ".float.tmp";
    if (auto w = samples::write_model(floats, float_path); !w) return w.error();
    auto source = gguf::open(float_path);
    if (!source) return source.error();

    const auto& tensors = source->tensors();
    std::vector<std::vector<std::byte>> encoded(tensors.size());
    std::vector<std::string> errors(tensors.size());
#pragma omp parallel for schedule(dynamic)
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const TensorInfo& t = tensors[i];
        auto view = source->view(t);
        auto values = view ? dequant::to_float(*view, 1) : Result<std::vector<float>>(view.error());
        if (!values) {
            errors[i] = values.error().describe();
            continue;
        }
        auto bytes = dequant::quantize((*plan)[i].type, *values, t.ne[0]);
        if (!bytes) errors[i] = t.name + ": " + bytes.error().describe();
        else encoded[i] = std::move(*bytes);
    }
    for (const auto& e : errors)
        if (!e.empty()) return Error{ErrorCode::invalid_argument, 0, e, ""};
    Writer out;
    for (const auto& e : source->metadata()) out.set(e.key, e.value);
    out.set("general.file_type", Value::u32(config.file_type));
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const TensorInfo& t = tensors[i];
        WriterTensor w{t.name, (*plan)[i].type, {t.ne.begin(), t.ne.begin() + t.n_dims}, std::move(encoded[i])};
        if (auto a = out.add_tensor(std::move(w)); !a) return a.error();
    }
    auto written = out.write(path);
    std::filesystem::remove(float_path);
    return written;
}

// Every weight matrix in `type` (norms and biases stay F32), for types no llama.cpp mix uses alone.
inline samples::ModelConfig with_all_matrices(samples::ModelConfig config, TypeId type) {
    config.types.set_all(static_cast<std::uint32_t>(type));
    return config;
}

}  // namespace gguf::test
