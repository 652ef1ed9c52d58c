#include "gguf/deploy/loadability.hpp"

#include <fmt/format.h>

#include "gguf/deploy/file_kind.hpp"
#include "llama_cpp_names.hpp"
#include "rules.hpp"

namespace gguf::deploy {

std::string_view load_stage_name(LoadStage stage) {
    switch (stage) {
        case LoadStage::reader: return "reader";
        case LoadStage::hparams: return "hyperparameters";
        case LoadStage::vocabulary: return "vocabulary";
        case LoadStage::tensors: return "tensors";
    }
    return "?";
}

namespace detail {

std::uint64_t key_offset(const Container& model, std::string_view key) {
    for (const auto& m : model.metadata())
        if (m.key == key) return m.offset;
    return 0;
}

std::string type_label(const Value& v) {
    if (!v.is_array()) return std::string(value_type_name(v.type()));
    return "array of " + std::string(value_type_name(v.element_type()));
}

}  // namespace detail

LoadVerdict llama_cpp_verdict(const Container& model) {
    if (file_kind(model).kind == FileKind::lora_adapter) return lora_verdict(model, nullptr);
    LoadVerdict out;
    detail::Verdict v(out);
    detail::check_reader(model, v);

    const Value* arch_value = model.find("general.architecture");
    if (!arch_value || !arch_value->is_string()) {
        v.refuse(LoadStage::hparams, "general.architecture",
                 arch_value ? "stored as " + detail::type_label(*arch_value) + "; llama.cpp requires a string"
                            : "missing: llama.cpp cannot tell the architecture");
        return out;
    }
    const std::string arch(arch_value->as_string());
    if (!detail::is_llama_cpp_architecture(arch)) {
        v.refuse(LoadStage::hparams, "general.architecture", "architecture '" + arch + "' is unknown to llama.cpp",
                 detail::key_offset(model, "general.architecture"));
        return out;
    }
    detail::check_hparams(model, arch, v);
    if (arch == "clip") return out;
    detail::check_vocabulary(model, v);
    detail::check_tensors(model, v);
    return out;
}

LoadVerdict llama_cpp_verdict(const Error& unparsable) {
    LoadVerdict out;
    out.refusals.push_back({LoadStage::reader, "",
                            "the header cannot be parsed (" + std::string(error_code_name(unparsable.code)) +
                                " at byte " + std::to_string(unparsable.offset) + "): ggml's reader cannot parse it either",
                            false, unparsable.offset});
    return out;
}

std::vector<model::Finding> verdict_findings(const LoadVerdict& verdict) {
    if (!verdict.refuses()) return {};
    model::Finding f;
    f.code = "GD-L001";
    f.severity = Severity::error;
    f.message = fmt::format("llama.cpp will refuse this file: {} reason{}", verdict.refusals.size(),
                            verdict.refusals.size() == 1 ? "" : "s");
    bool aborts = false;
    for (std::size_t i = 0; i < verdict.refusals.size(); ++i) {
        const Refusal& r = verdict.refusals[i];
        aborts = aborts || r.aborts;
        std::string text = std::string(load_stage_name(r.stage)) + ": ";
        if (!r.subject.empty()) text += r.subject + ": ";
        text += r.message;
        if (r.offset) text += fmt::format(" (byte {})", r.offset);
        f.evidence.push_back({fmt::format("reason {}", i + 1), std::move(text)});
    }
    f.hint = aborts ? "llama.cpp stops the whole process on one of these (an assertion), not just the load. "
                    : "";
    f.hint += "Each reason is a rule of the reference llama.cpp's loader (docs/deploy.md); fix the converter or the "
              "metadata it names.";
    return {f};
}

}  // namespace gguf::deploy
