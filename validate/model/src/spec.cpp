#include "gguf/model/spec.hpp"

#include <algorithm>
#include <string>

namespace gguf::model {
namespace {

struct ArchitectureTraits {
    std::string_view name;
    RopeStyle rope_style;
    bool attention_bias;
    bool qk_norm;
};

// The rope style and attention extras of each modelled architecture follow llama.cpp's
// llama_model_rope_type() and its model builders (src/models/<arch>.cpp).
constexpr ArchitectureTraits kModelled[] = {
    {"llama", RopeStyle::normal, false, false},
    {"qwen2", RopeStyle::neox, true, false},
    {"qwen3", RopeStyle::neox, false, true},
};

const ArchitectureTraits* find_traits(std::string_view arch) {
    for (const auto& a : kModelled)
        if (a.name == arch) return &a;
    return nullptr;
}

class KeyReader {
public:
    KeyReader(const Container& model, std::string arch) : model_(model), arch_(std::move(arch)) {}

    std::string key(std::string_view suffix) const { return arch_ + "." + std::string(suffix); }

    // A required non-negative integer; records the first problem.
    std::uint64_t required_u64(std::string_view suffix) {
        const std::string k = key(suffix);
        const Value* v = model_.find(k);
        if (!v) return missing(k, "is missing");
        if (auto u = v->try_u64()) return *u;
        // Some converters write per-layer arrays (e.g. head_count_kv); all equal is the only form modelled.
        if (v->is_array() && v->size() > 0 && v->element_type() != ValueType::string &&
            v->element_type() != ValueType::array) {
            const std::int64_t first = v->integer_at(0);
            for (std::uint64_t i = 1; i < v->size(); ++i)
                if (v->integer_at(i) != first) return missing(k, "varies per layer, which is not modelled");
            if (first >= 0) return static_cast<std::uint64_t>(first);
        }
        return missing(k, "is not a non-negative integer");
    }

    std::optional<std::uint64_t> optional_u64(std::string_view suffix) const { return model_.get_u64(key(suffix)); }
    std::optional<double> optional_f64(std::string_view suffix) const { return model_.get_f64(key(suffix)); }
    std::optional<std::string_view> optional_string(std::string_view suffix) const {
        return model_.get_string(key(suffix));
    }

    const std::optional<Error>& error() const { return error_; }

private:
    std::uint64_t missing(const std::string& k, std::string_view what) {
        if (!error_) error_ = Error{ErrorCode::invalid_argument, 0, "metadata key '" + k + "' " + std::string(what), ""};
        return 0;
    }

    const Container& model_;
    std::string arch_;
    std::optional<Error> error_;
};

RopeScaling parse_scaling(std::string_view name) {
    if (name.empty() || name == "none") return RopeScaling::none;
    if (name == "linear") return RopeScaling::linear;
    if (name == "yarn") return RopeScaling::yarn;
    if (name == "longrope") return RopeScaling::longrope;
    return RopeScaling::unknown;
}

}  // namespace

const std::vector<std::string>& modelled_architectures() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& a : kModelled) n.emplace_back(a.name);
        return n;
    }();
    return names;
}

Result<ModelSpec> read_spec(const Container& model) {
    ModelSpec spec;
    const auto arch = model.get_string("general.architecture");
    if (!arch) return Error{ErrorCode::invalid_argument, 0, "metadata key 'general.architecture' is missing", ""};
    spec.architecture = std::string(*arch);
    const ArchitectureTraits* traits = find_traits(spec.architecture);
    spec.modelled = traits != nullptr;

    KeyReader keys(model, spec.architecture);
    if (const Value* tokens = model.find("tokenizer.ggml.tokens"); tokens && tokens->is_array())
        spec.n_vocab = tokens->size();
    else if (auto n = keys.optional_u64("vocab_size"))
        spec.n_vocab = *n;

    if (!spec.modelled) {
        // Best effort for reports; nothing downstream relies on these for an unmodelled architecture.
        spec.n_embd = keys.optional_u64("embedding_length").value_or(0);
        spec.n_layer = keys.optional_u64("block_count").value_or(0);
        spec.n_head = keys.optional_u64("attention.head_count").value_or(0);
        spec.n_head_kv = keys.optional_u64("attention.head_count_kv").value_or(spec.n_head);
        spec.n_ff = keys.optional_u64("feed_forward_length").value_or(0);
        spec.n_ctx_train = keys.optional_u64("context_length").value_or(0);
        return spec;
    }

    spec.n_embd = keys.required_u64("embedding_length");
    spec.n_layer = keys.required_u64("block_count");
    spec.n_ff = keys.required_u64("feed_forward_length");
    spec.n_head = keys.required_u64("attention.head_count");
    // Present as a scalar or as a per-layer array (which optional_u64 does not read): read either way.
    spec.n_head_kv = model.find(keys.key("attention.head_count_kv")) ? keys.required_u64("attention.head_count_kv")
                                                                     : spec.n_head;
    spec.n_ctx_train = keys.optional_u64("context_length").value_or(0);
    if (auto eps = keys.optional_f64("attention.layer_norm_rms_epsilon")) spec.rms_eps = *eps;
    else keys.required_u64("attention.layer_norm_rms_epsilon");  // records the missing key
    if (keys.error()) return *keys.error();
    if (spec.n_head == 0) return Error{ErrorCode::invalid_argument, 0, "attention.head_count is 0", ""};
    // Every layer has tensors of its own, so a count beyond the file's tensors is a corrupt value; taken
    // as it is, the schema would list billions of tensors.
    if (spec.n_layer > model.tensors().size())
        return Error{ErrorCode::invalid_argument, 0,
                     "block_count " + std::to_string(spec.n_layer) + " is larger than the file's " +
                         std::to_string(model.tensors().size()) + " tensors, and every layer has tensors of its own",
                     ""};

    spec.head_dim = keys.optional_u64("attention.key_length").value_or(spec.n_embd / spec.n_head);
    spec.head_dim_v = keys.optional_u64("attention.value_length").value_or(spec.head_dim);

    spec.rope.style = traits->rope_style;
    spec.rope.n_rot = static_cast<std::uint32_t>(keys.optional_u64("rope.dimension_count").value_or(spec.head_dim));
    spec.rope.freq_base = keys.optional_f64("rope.freq_base").value_or(10000.0);
    spec.rope.scaling_name = std::string(keys.optional_string("rope.scaling.type").value_or(""));
    spec.rope.scaling = parse_scaling(spec.rope.scaling_name);
    if (auto f = keys.optional_f64("rope.scaling.factor"); f && *f > 0) spec.rope.scaling_factor = *f;
    else if (auto lin = keys.optional_f64("rope.scale_linear"); lin && *lin > 0) {
        spec.rope.scaling_factor = *lin;  // older files: linear scaling without a type key
        if (spec.rope.scaling == RopeScaling::none) spec.rope.scaling = RopeScaling::linear;
    }
    // llama.cpp reads an absent rope.scaling.type as "linear", so a factor without a type still scales.
    if (spec.rope.scaling_name.empty() && spec.rope.scaling_factor != 1.0) spec.rope.scaling = RopeScaling::linear;
    spec.rope.original_context = keys.optional_u64("rope.scaling.original_context_length").value_or(0);

    spec.tied_output = model.find_tensor("output.weight") == nullptr;
    spec.attention_bias = traits->attention_bias;
    spec.qk_norm = traits->qk_norm;
    return spec;
}

}  // namespace gguf::model
