// Which layers keep what memory, read as llama.cpp's per-architecture hyperparameter loaders decide it:
// the layers of a sliding window (a per-layer flag array, or a period with the architecture's default),
// the recurrent layers of hybrid models and the size of their state, and the layers that reuse an
// earlier layer's KV cache. Architectures llama.cpp gives no such rule keep every layer full.
#include <fmt/format.h>

#include <algorithm>

#include "fit_graph.hpp"

namespace gguf::deploy::detail {
namespace {

struct SwaRule {
    std::string_view architecture;
    std::uint32_t default_period;  // llama.cpp's set_swa_pattern(): layer il slides when il % period < period - 1
    std::uint32_t default_window;  // when the file has no sliding_window key; 0: no window then
};

// llama.cpp's load_hparams of each architecture that has sliding-window layers (phi3 reads the key but
// turns the window off).
constexpr SwaRule kSwaRules[] = {
    {"gemma2", 2, 4096},
    {"gemma3", 6, 0},
    {"gpt-oss", 2, 0},
    {"olmo2", 4, 0},
    {"gemma4", 0, 0},  // the file's per-layer flags only
};

// Hybrid architectures whose layers are either gated delta-net (recurrent) or full attention.
constexpr std::string_view kDeltaNetHybrids[] = {"qwen3next", "qwen35", "qwen35moe"};
constexpr std::uint32_t kDefaultFullAttentionInterval = 4;

std::optional<std::vector<bool>> flags(const Container& model, const std::string& key, std::uint64_t n_layer) {
    const Value* v = model.find(key);
    if (!v || !v->is_array() || v->size() != n_layer) return std::nullopt;
    if (v->element_type() != ValueType::boolean && v->element_type() != ValueType::uint8 && v->element_type() != ValueType::int8 &&
        v->element_type() != ValueType::int32 && v->element_type() != ValueType::uint32)
        return std::nullopt;
    std::vector<bool> out;
    for (std::uint64_t i = 0; i < n_layer; ++i)
        out.push_back(v->element_type() == ValueType::boolean ? v->at(i).as_bool() : v->integer_at(i) != 0);
    return out;
}

std::vector<bool> periodic(std::uint64_t n_layer, std::uint64_t period) {
    std::vector<bool> out;
    for (std::uint64_t il = 0; il < n_layer; ++il) out.push_back(period == 0 || il % period < period - 1);
    return out;
}

void read_sliding_window(const Container& model, Hparams& h) {
    const std::string a = h.architecture + ".";
    const auto rule = std::find_if(std::begin(kSwaRules), std::end(kSwaRules),
                                   [&](const SwaRule& r) { return r.architecture == h.architecture; });
    const auto window = model.get_u64(a + "attention.sliding_window");
    if (h.architecture == "phi3") return;  // llama.cpp disables Phi-3's window: every layer keeps the full context
    h.n_swa = static_cast<std::uint32_t>(std::min<std::uint64_t>(window.value_or(rule != std::end(kSwaRules) ? rule->default_window : 0), 0xFFFFFFFFu));
    if (h.n_swa == 0) return;
    const std::string pattern_key = a + "attention.sliding_window_pattern";
    if (auto per_layer = flags(model, pattern_key, h.n_layer)) {
        h.swa_layers = *per_layer;
    } else if (rule != std::end(kSwaRules) && rule->default_period > 0) {
        h.swa_layers = periodic(h.n_layer, model.get_u64(pattern_key).value_or(rule->default_period));
    } else {
        h.notes.push_back(fmt::format("{} has a sliding window of {} tokens, but which layers use it is not modelled "
                                      "for this architecture: every layer's KV cache is counted for the full "
                                      "context (an upper bound)",
                                      h.architecture, h.n_swa));
        return;
    }
    h.head_k_swa = model.get_u64(a + "attention.key_length_swa").value_or(h.head_k);
    h.head_v_swa = model.get_u64(a + "attention.value_length_swa").value_or(h.head_v);
}

// The state of a gated delta-net layer, in F32 elements (llama_hparams::n_embd_r / n_embd_s): the
// convolution's last (kernel - 1) inputs over q, k and v, and the (key head x value) state matrix.
void read_recurrent(const Container& model, Hparams& h) {
    const std::string a = h.architecture + ".";
    if (std::find(std::begin(kDeltaNetHybrids), std::end(kDeltaNetHybrids), h.architecture) == std::end(kDeltaNetHybrids)) {
        for (const auto& m : model.metadata())
            if (m.key.starts_with(a + "ssm.") || m.key.starts_with(a + "wkv.")) {
                h.notes.push_back("the recurrent (SSM) layers' state is not counted for this architecture");
                break;
            }
        return;
    }
    if (auto per_layer = flags(model, a + "attention.recurrent_layers", h.n_layer)) {
        h.recurrent_layers = *per_layer;
    } else {
        const std::uint64_t interval = std::max<std::uint64_t>(1, model.get_u64(a + "full_attention_interval").value_or(kDefaultFullAttentionInterval));
        for (std::uint64_t il = 0; il < h.n_layer; ++il) h.recurrent_layers.push_back((il + 1) % interval != 0);
    }
    const std::uint64_t d_conv = model.get_u64(a + "ssm.conv_kernel").value_or(0);
    const std::uint64_t d_inner = model.get_u64(a + "ssm.inner_size").value_or(0);
    const std::uint64_t d_state = model.get_u64(a + "ssm.state_size").value_or(0);
    const std::uint64_t n_group = model.get_u64(a + "ssm.group_count").value_or(0);
    h.n_embd_r = (d_conv > 0 ? d_conv - 1 : 0) * (d_inner + 2 * n_group * d_state);
    h.n_embd_s = d_state * d_inner;
}

}  // namespace

void read_layer_kinds(const Container& model, Hparams& h) {
    read_sliding_window(model, h);
    read_recurrent(model, h);
    // Gemma 3n / 4: the last shared_kv_layers layers attend to the cache of an earlier layer of their kind.
    const std::uint64_t shared = model.get_u64(h.architecture + ".attention.shared_kv_layers").value_or(0);
    h.n_layer_kv_from_start = shared < h.n_layer ? h.n_layer - shared : h.n_layer;
}

}  // namespace gguf::deploy::detail
