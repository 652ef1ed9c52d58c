#include "gguf/audit/names.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gguf::audit {
namespace {

constexpr std::string_view kLayer = "{L}";

// Matches `name` against `pattern` (at most one "{L}", standing for decimal digits); the layer text.
std::optional<std::string> match(std::string_view pattern, std::string_view name) {
    const std::size_t at = pattern.find(kLayer);
    if (at == std::string_view::npos) return pattern == name ? std::optional<std::string>("") : std::nullopt;
    const std::string_view prefix = pattern.substr(0, at), suffix = pattern.substr(at + kLayer.size());
    if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix))
        return std::nullopt;
    const std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    for (const char c : digits)
        if (c < '0' || c > '9') return std::nullopt;
    return std::string(digits);
}

std::string substitute(std::string_view pattern, const std::string& layer) {
    std::string out(pattern);
    if (const std::size_t at = out.find(kLayer); at != std::string::npos) out.replace(at, kLayer.size(), layer);
    return out;
}

std::size_t count_layers(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t at = s.find(kLayer); at != std::string_view::npos; at = s.find(kLayer, at + 1)) ++n;
    return n;
}

}  // namespace

Result<void> NameMap::add(std::string their_name, std::string gguf_name) {
    const std::size_t a = count_layers(their_name), b = count_layers(gguf_name);
    if (a > 1 || b > 1 || a != b)
        return Error{ErrorCode::invalid_argument, 0,
                     "rule '" + their_name + "' -> '" + gguf_name + "': {L} must appear once on both sides or on neither", ""};
    rules_.emplace_back(std::move(their_name), std::move(gguf_name));
    return {};
}

NameMap NameMap::hugging_face() {
    // transformers' LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM names, and the GGUF names
    // convert_hf_to_gguf.py gives them (gguf-py's tensor_mapping.py).
    static const std::pair<const char*, const char*> kRules[] = {
        {"model.embed_tokens.weight", "token_embd.weight"},
        {"model.norm.weight", "output_norm.weight"},
        {"lm_head.weight", "output.weight"},
        {"model.layers.{L}.input_layernorm.weight", "blk.{L}.attn_norm.weight"},
        {"model.layers.{L}.self_attn.q_proj.weight", "blk.{L}.attn_q.weight"},
        {"model.layers.{L}.self_attn.k_proj.weight", "blk.{L}.attn_k.weight"},
        {"model.layers.{L}.self_attn.v_proj.weight", "blk.{L}.attn_v.weight"},
        {"model.layers.{L}.self_attn.q_proj.bias", "blk.{L}.attn_q.bias"},
        {"model.layers.{L}.self_attn.k_proj.bias", "blk.{L}.attn_k.bias"},
        {"model.layers.{L}.self_attn.v_proj.bias", "blk.{L}.attn_v.bias"},
        {"model.layers.{L}.self_attn.o_proj.weight", "blk.{L}.attn_output.weight"},
        {"model.layers.{L}.self_attn.o_proj.bias", "blk.{L}.attn_output.bias"},
        {"model.layers.{L}.self_attn.q_norm.weight", "blk.{L}.attn_q_norm.weight"},
        {"model.layers.{L}.self_attn.k_norm.weight", "blk.{L}.attn_k_norm.weight"},
        {"model.layers.{L}.post_attention_layernorm.weight", "blk.{L}.ffn_norm.weight"},
        {"model.layers.{L}.mlp.gate_proj.weight", "blk.{L}.ffn_gate.weight"},
        {"model.layers.{L}.mlp.up_proj.weight", "blk.{L}.ffn_up.weight"},
        {"model.layers.{L}.mlp.down_proj.weight", "blk.{L}.ffn_down.weight"},
    };
    NameMap map;
    for (const auto& [theirs, gguf] : kRules) map.rules_.emplace_back(theirs, gguf);
    return map;
}

Result<NameMap> NameMap::from_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::io_error, 0, "cannot open the name mapping file", path.string()};
    std::stringstream buffer;
    buffer << in.rdbuf();
    const auto doc = nlohmann::json::parse(buffer.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return Error{ErrorCode::invalid_argument, 0, "not a JSON object of {\"their name\": \"GGUF name\"}", path.string()};
    NameMap map;
    for (const auto& [theirs, gguf] : doc.items()) {
        if (!gguf.is_string())
            return Error{ErrorCode::invalid_argument, 0, "the value of \"" + theirs + "\" is not a string", path.string()};
        if (auto added = map.add(theirs, gguf.get<std::string>()); !added) {
            Error e = added.error();
            e.path = path.string();
            return e;
        }
    }
    return map;
}

Result<NameMap> NameMap::from_option(std::string_view value) {
    if (value == "hf") return hugging_face();
    return from_file(std::filesystem::path(value));
}

std::string NameMap::to_gguf(std::string_view their_name) const {
    for (const auto& [theirs, gguf] : rules_)
        if (auto layer = match(theirs, their_name)) return substitute(gguf, *layer);
    return std::string(their_name);
}

std::string NameMap::to_theirs(std::string_view gguf_name) const {
    for (const auto& [theirs, gguf] : rules_)
        if (auto layer = match(gguf, gguf_name)) return substitute(theirs, *layer);
    return std::string(gguf_name);
}

}  // namespace gguf::audit
