// Small generated models for the forward-pass tests, written into a test's temporary folder.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <cstring>

#include "gguf/container.hpp"
#include "gguf/forward/cpu.hpp"
#include "gguf/quantize.hpp"
#include "gguf/samples/generator.hpp"
#include "gguf/writer.hpp"
#include "support/temp_dir.hpp"

namespace gguf::test {

// Writes preset `preset` in type mix `mix` to dir/<preset>-<mix>.gguf; `edit` may change the
// configuration. The mix's per-tensor types come from gguf_samples (apply_mix, plan_tensors); a type
// gguf_samples cannot encode itself is encoded here with gguf_dequant's quantizers, from the same
// float weights.
inline std::filesystem::path write_preset(const TempDir& dir, const std::string& preset, const std::string& mix,
                                          const std::function<void(samples::ModelConfig&)>& edit = {}) {
    auto config = samples::preset(preset);
    REQUIRE(config.ok());
    if (edit) edit(*config);
    samples::ModelConfig floats = *config;
    REQUIRE(samples::apply_mix(*config, mix).ok());
    const auto path = dir / (preset + "-" + mix + ".gguf");
    auto plan = samples::plan_tensors(*config);
    REQUIRE(plan.ok());
    const bool encodable = std::all_of(plan->begin(), plan->end(), [](const auto& t) { return samples::can_encode(t.type); });
    if (encodable) {
        auto written = samples::write_model(*config, path);
        REQUIRE_MESSAGE(written.ok(), (written.ok() ? std::string() : written.error().describe()));
        return path;
    }
    REQUIRE(samples::apply_mix(floats, "f32").ok());
    auto writer = samples::build_model(floats);
    REQUIRE(writer.ok());
    Writer out(writer->byte_order(), writer->alignment());
    for (const auto& [key, value] : writer->metadata()) out.set(key, value);
    out.set("general.file_type", Value::u32(config->file_type));
    std::size_t i = 0;
    for (WriterTensor t : writer->tensors()) {
        const auto& planned = (*plan)[i++];
        REQUIRE(planned.name == t.name);
        if (planned.type != t.type) {
            std::vector<float> values(t.data.size() / 4);
            std::memcpy(values.data(), t.data.data(), t.data.size());
            auto bytes = dequant::quantize(planned.type, values, t.ne[0]);
            REQUIRE_MESSAGE(bytes.ok(), t.name);
            t.type = planned.type;
            t.data = std::move(*bytes);
        }
        REQUIRE(out.add_tensor(std::move(t)).ok());
    }
    REQUIRE(out.write(path).ok());
    return path;
}

// The model of a preset as a Writer, for tests that edit metadata or tensors before writing.
inline Writer build_preset(const std::string& preset, const std::string& mix = "f32") {
    auto config = samples::preset(preset);
    REQUIRE(config.ok());
    REQUIRE(samples::apply_mix(*config, mix).ok());
    auto writer = samples::build_model(*config);
    REQUIRE(writer.ok());
    return std::move(*writer);
}

// A copy of `writer` whose tensors went through `edit` (return false to drop a tensor).
inline Writer with_tensors(const Writer& writer, const std::function<bool(WriterTensor&)>& edit) {
    Writer out(writer.byte_order(), writer.alignment());
    for (const auto& [key, value] : writer.metadata()) out.set(key, value);
    for (WriterTensor t : writer.tensors())
        if (edit(t)) REQUIRE(out.add_tensor(std::move(t)).ok());
    return out;
}

inline Container open_model(const std::filesystem::path& path) {
    auto model = gguf::open(path);
    REQUIRE_MESSAGE(model.ok(), (model.ok() ? std::string() : model.error().describe()));
    return std::move(*model);
}

inline std::unique_ptr<forward::Forward> cpu_pass(const Container& model, forward::CpuOptions options = {}) {
    if (options.threads == 0) options.threads = 2;
    auto pass = forward::make_cpu_forward(model, options);
    REQUIRE_MESSAGE(pass.ok(), (pass.ok() ? std::string() : pass.error().describe()));
    return std::move(*pass);
}

}  // namespace gguf::test
