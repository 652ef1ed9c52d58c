// The hyperparameter keys llama.cpp reads for every architecture (llama_model::load_hparams) and for the
// modelled ones: a key it requires must be present, and every key it reads must have exactly the GGUF
// type it asks for (it does not convert: a uint64 context_length is refused like a missing one).
#include <fmt/format.h>

#include "llama_cpp_names.hpp"
#include "rules.hpp"

namespace gguf::deploy::detail {
namespace {

// ggml's LLAMA_MAX_LAYERS: a block count outside 1..512 stops llama.cpp on an assertion.
constexpr std::uint64_t kMaxLayers = 512;

enum class Shape : std::uint8_t {
    scalar,          // exactly the type
    scalar_or_layers // the type, or an array of n_layer integers (get_key_or_arr)
};

struct KeyRule {
    std::string_view suffix;  // after "{arch}."
    ValueType type;
    bool required;
    Shape shape = Shape::scalar;
};

// The keys load_hparams reads for every architecture.
constexpr KeyRule kCommonKeys[] = {
    {"context_length", ValueType::uint32, true},
    {"embedding_length", ValueType::uint32, true},
    {"embedding_length_out", ValueType::uint32, false},
    {"attention.causal", ValueType::boolean, false},
    {"pooling_type", ValueType::uint32, false},
    {"block_count", ValueType::uint32, true},
    {"nextn_predict_layers", ValueType::uint32, false},
    {"expert_count", ValueType::uint32, false},
    {"expert_used_count", ValueType::uint32, false, Shape::scalar_or_layers},
    {"expert_group_count", ValueType::uint32, false},
    {"expert_group_used_count", ValueType::uint32, false},
    {"feed_forward_length", ValueType::uint32, false, Shape::scalar_or_layers},
    {"attention.head_count", ValueType::uint32, false, Shape::scalar_or_layers},
    {"attention.head_count_kv", ValueType::uint32, false, Shape::scalar_or_layers},
    {"rope.scaling.finetuned", ValueType::boolean, false},
    {"rope.scaling.original_context_length", ValueType::uint32, false},
    {"rope.freq_base", ValueType::float32, false},
    {"rope.scaling.type", ValueType::string, false},
    {"rope.scaling.factor", ValueType::float32, false},
    {"rope.scale_linear", ValueType::float32, false},
    {"rope.scaling.attn_factor", ValueType::float32, false},
    {"rope.scaling.alpha", ValueType::float32, false},
    {"attention.key_length", ValueType::uint32, false},
    {"attention.value_length", ValueType::uint32, false},
    {"rope.dimension_count", ValueType::uint32, false},
    {"attention.key_length_swa", ValueType::uint32, false},
    {"attention.value_length_swa", ValueType::uint32, false},
    {"rope.dimension_count_swa", ValueType::uint32, false},
};

// The keys the modelled architectures' own hparams add (src/models/<arch>.cpp).
struct ArchitectureKeys {
    std::string_view architecture;
    KeyRule key;
};
constexpr ArchitectureKeys kArchitectureKeys[] = {
    {"llama", {"attention.layer_norm_rms_epsilon", ValueType::float32, true}},
    {"llama", {"vocab_size", ValueType::uint32, false}},
    {"qwen2", {"attention.layer_norm_rms_epsilon", ValueType::float32, true}},
    {"qwen3", {"attention.layer_norm_rms_epsilon", ValueType::float32, true}},
};

bool is_modelled_here(std::string_view arch) {
    for (const auto& a : kArchitectureKeys)
        if (a.architecture == arch) return true;
    return false;
}

class KeyChecker {
public:
    KeyChecker(const Container& model, std::string_view arch, Verdict& v) : model_(model), arch_(arch), v_(v) {}

    // Whether the key is present with an acceptable type; refuses otherwise (or when required and absent).
    bool check(const KeyRule& rule, std::uint64_t n_layer) {
        const std::string key = std::string(arch_) + "." + std::string(rule.suffix);
        const Value* value = model_.find(key);
        if (!value) {
            if (rule.required) v_.refuse(LoadStage::hparams, key, "required key is missing");
            return false;
        }
        if (rule.shape == Shape::scalar_or_layers && value->is_array()) {
            const ValueType e = value->element_type();
            if (value->size() != n_layer) {
                v_.refuse(LoadStage::hparams, key,
                          fmt::format("per-layer array of {} entries; llama.cpp requires block_count = {}",
                                      value->size(), n_layer),
                          key_offset(model_, key));
                return false;
            }
            if (e != ValueType::uint32 && e != ValueType::int32) {
                v_.refuse(LoadStage::hparams, key,
                          "per-layer array of " + std::string(value_type_name(e)) +
                              "; llama.cpp reads uint32 or int32 elements",
                          key_offset(model_, key));
                return false;
            }
            return true;
        }
        if (value->type() != rule.type) {
            v_.refuse(LoadStage::hparams, key,
                      "stored as " + type_label(*value) + "; llama.cpp requires " +
                          std::string(value_type_name(rule.type)) + " and does not convert",
                      key_offset(model_, key));
            return false;
        }
        return true;
    }

private:
    const Container& model_;
    std::string_view arch_;
    Verdict& v_;
};

}  // namespace

void check_hparams(const Container& model, std::string_view arch, Verdict& v) {
    if (arch == "clip") {
        v.refuse(LoadStage::hparams, "general.architecture",
                 "a CLIP (multimodal projector) file is not a main model: llama.cpp loads it only with --mmproj");
        return;
    }
    KeyChecker keys(model, arch, v);
    const std::string arch_s(arch);
    std::uint64_t n_layer = 0;
    if (const Value* blocks = model.find(arch_s + ".block_count"); blocks && blocks->type() == ValueType::uint32) {
        n_layer = blocks->as_u64();
        if (n_layer == 0 || n_layer > kMaxLayers)
            v.abort(LoadStage::hparams, arch_s + ".block_count",
                    fmt::format("block_count {} is outside 1..{}: llama.cpp stops on an assertion", n_layer, kMaxLayers),
                    key_offset(model, arch_s + ".block_count"));
    }
    if (const Value* name = model.find("general.name"); name && !name->is_string())
        v.refuse(LoadStage::hparams, "general.name", "stored as " + type_label(*name) + "; llama.cpp requires a string",
                 key_offset(model, "general.name"));
    for (const KeyRule& rule : kCommonKeys) keys.check(rule, n_layer);
    for (const auto& a : kArchitectureKeys)
        if (a.architecture == arch) keys.check(a.key, n_layer);
    if (!is_modelled_here(arch))
        v.not_judged("the keys specific to architecture '" + arch_s + "' (only the keys every architecture reads)");

    if (auto scaling = model.get_string(arch_s + ".rope.scaling.type"); scaling && !is_llama_cpp_rope_scaling(*scaling))
        v.abort(LoadStage::hparams, arch_s + ".rope.scaling.type",
                "RoPE scaling type '" + std::string(*scaling) + "' is unknown to llama.cpp: it stops on an assertion",
                key_offset(model, arch_s + ".rope.scaling.type"));

    // Mixture-of-experts counts are asserted, not reported.
    const auto expert_count = model.get_u64(arch_s + ".expert_count").value_or(0);
    if (const Value* used = model.find(arch_s + ".expert_used_count"); used) {
        std::uint64_t most = 0;
        if (used->is_array()) {
            for (std::uint64_t i = 0; i < used->size(); ++i)
                most = std::max<std::uint64_t>(most, static_cast<std::uint64_t>(std::max<std::int64_t>(0, used->integer_at(i))));
        } else {
            most = used->try_u64().value_or(0);
        }
        if (most > expert_count)
            v.abort(LoadStage::hparams, arch_s + ".expert_used_count",
                    fmt::format("{} experts used of {}: llama.cpp stops on an assertion", most, expert_count),
                    key_offset(model, arch_s + ".expert_used_count"));
        else if (expert_count > 0 && most == 0)
            v.abort(LoadStage::hparams, arch_s + ".expert_used_count",
                    "a mixture of experts that uses no expert: llama.cpp stops on an assertion",
                    key_offset(model, arch_s + ".expert_used_count"));
    }

    // llama's n_rot must equal the head size (llama_model::load_hparams).
    if (arch == "llama" || arch == "deci" || arch == "falcon" || arch == "llama-embed") {
        const auto n_embd = model.get_u64(arch_s + ".embedding_length");
        const Value* heads = model.find(arch_s + ".attention.head_count");
        std::uint64_t n_head = 0;
        if (heads && heads->is_array() && heads->size() > 0) n_head = static_cast<std::uint64_t>(std::max<std::int64_t>(0, heads->integer_at(0)));
        else if (heads) n_head = heads->try_u64().value_or(0);
        if (n_embd && n_head > 0) {
            const std::uint64_t head_k = model.get_u64(arch_s + ".attention.key_length").value_or(*n_embd / n_head);
            const std::uint64_t n_rot = model.get_u64(arch_s + ".rope.dimension_count").value_or(head_k);
            if (n_rot != head_k)
                v.refuse(LoadStage::hparams, arch_s + ".rope.dimension_count",
                         fmt::format("n_rot {} differs from the head size {}: llama.cpp requires them equal for {}",
                                     n_rot, head_k, arch_s),
                         key_offset(model, arch_s + ".rope.dimension_count"));
        }
    }
}

}  // namespace gguf::deploy::detail
