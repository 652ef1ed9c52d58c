#include "gguf/deploy/fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "fit_graph.hpp"

namespace gguf::deploy {
namespace {

// llama.cpp pads the context to whole blocks of 256 cells (llama_context's constructor).
constexpr std::uint32_t kCellPadding = 256;

std::uint32_t pad_cells(std::uint64_t n) {
    const std::uint64_t padded = (n + kCellPadding - 1) / kCellPadding * kCellPadding;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(padded, 0xFFFFFF00u));
}

// Bytes of `n` elements of a ggml type stored as whole blocks (ggml_row_size).
std::uint64_t row_bytes(std::uint32_t type, std::uint64_t n) {
    const TypeInfo* t = find_type(type);
    return t ? n / t->block_size * t->type_size : 0;
}

struct Layout {
    std::vector<int> layer_device;  // per repeating layer, then the output layer at index n_layer
    int output_device = -1;
};

// llama_model::load_tensors: the input layer stays on the CPU; the last n_gpu_layers of the n_layer + 1
// layers (the output layer counts as one) go to the GPUs, split at the cumulative share of each GPU's
// memory.
Layout assign_layers(std::uint64_t n_layer, const FitOptions& o) {
    Layout l;
    const std::int64_t total = static_cast<std::int64_t>(n_layer) + 1;
    const std::int64_t requested = o.n_gpu_layers < 0 ? total : o.n_gpu_layers;
    const std::int64_t n_gpu = o.gpu_memory.empty() ? 0 : std::min(requested, total);
    const std::int64_t first_gpu = std::max<std::int64_t>(total - n_gpu, 0);
    std::vector<double> splits;
    double sum = 0;
    for (auto m : o.gpu_memory) splits.push_back(sum += static_cast<double>(m));
    for (auto& s : splits) s = sum > 0 ? s / sum : 1.0;
    l.layer_device.resize(static_cast<std::size_t>(total), -1);
    for (std::int64_t il = 0; il < total; ++il) {
        if (il < first_gpu || il - first_gpu >= n_gpu) continue;
        const float share = static_cast<float>(il - first_gpu) / static_cast<float>(n_gpu);
        const auto it = std::upper_bound(splits.begin(), splits.end(), share);
        l.layer_device[static_cast<std::size_t>(il)] =
            static_cast<int>(std::min<std::ptrdiff_t>(it - splits.begin(), static_cast<std::ptrdiff_t>(splits.size()) - 1));
    }
    l.output_device = l.layer_device.back();
    return l;
}

std::optional<std::int64_t> block_of(std::string_view name) {
    if (!name.starts_with("blk.")) return std::nullopt;
    std::int64_t layer = 0;
    const char* begin = name.data() + 4;
    const auto [end, ec] = std::from_chars(begin, name.data() + name.size(), layer);
    if (ec != std::errc() || end == begin || *end != '.') return std::nullopt;
    return layer;
}

}  // namespace

bool FitReport::fits() const {
    return std::all_of(devices.begin(), devices.end(), [](const DeviceMemory& d) { return d.fits(); });
}

namespace {

struct Sizes {
    std::uint64_t kv_k = 0, kv_v = 0;
    std::vector<std::uint64_t> per_layer_kv;
};

// Layers without a cache of their own (recurrent, or reusing an earlier layer's) add nothing.
Sizes kv_sizes(const detail::Hparams& h, std::uint32_t n_cells, std::uint32_t kv_type) {
    Sizes s;
    for (std::uint64_t il = 0; il < h.n_layer; ++il) {
        if (!h.has_kv(il)) {
            s.per_layer_kv.push_back(0);
            continue;
        }
        const std::uint64_t cells = h.is_swa(il) ? std::min<std::uint64_t>(n_cells, h.swa_cells) : n_cells;
        const std::uint64_t k = row_bytes(kv_type, h.n_embd_k_gqa(il)) * cells;
        const std::uint64_t v = row_bytes(kv_type, h.n_embd_v_gqa(il)) * cells;
        s.kv_k += k;
        s.kv_v += v;
        s.per_layer_kv.push_back(k + v);
    }
    return s;
}

FitReport plan(const Container& model, const detail::Hparams& h, const FitOptions& o, std::uint32_t n_ctx_requested) {
    FitReport r;
    r.architecture = h.architecture;
    r.n_layer = h.n_layer;
    r.n_ctx_train = h.n_ctx_train;
    r.n_ctx = pad_cells(n_ctx_requested);
    r.kv_type = o.kv_type;
    r.n_ubatch = std::min(o.n_ubatch, std::min(o.n_batch, r.n_ctx));
    detail::Hparams hs = h;
    // llama_kv_cache_iswa: the window plus one ubatch, padded to 256 cells, at most the context.
    hs.swa_cells = o.swa_full ? r.n_ctx : h.n_swa ? std::min(r.n_ctx, pad_cells(std::uint64_t(h.n_swa) + r.n_ubatch)) : 0;

    const Layout layout = assign_layers(h.n_layer, o);
    r.devices.push_back({.name = "CPU", .capacity = o.host_memory});
    for (std::size_t g = 0; g < o.gpu_memory.size(); ++g)
        r.devices.push_back({.name = "GPU" + std::to_string(g), .capacity = o.gpu_memory[g]});
    const auto device_slot = [](int device) { return static_cast<std::size_t>(device + 1); };

    // Weights, layer by layer.
    r.layers.push_back({-1, -1, 0, 0});
    for (std::uint64_t il = 0; il < h.n_layer; ++il)
        r.layers.push_back({static_cast<std::int64_t>(il), layout.layer_device[il], 0, 0});
    r.layers.push_back({static_cast<std::int64_t>(h.n_layer), layout.output_device, 0, 0});
    const auto slot_of_layer = [&](std::int64_t layer) { return static_cast<std::size_t>(layer + 1); };
    bool has_output = false;
    const TensorInfo* token_embd = nullptr;
    for (const TensorInfo& t : model.tensors()) {
        const std::uint64_t bytes = t.n_bytes;
        std::size_t slot;
        if (auto layer = block_of(t.name); layer && *layer >= 0 && static_cast<std::uint64_t>(*layer) < h.n_layer)
            slot = slot_of_layer(*layer);
        else if (t.name.starts_with("token_embd") || t.name.starts_with("token_types") || t.name.starts_with("position_embd"))
            slot = 0;
        else if (t.name.starts_with("output") || t.name.starts_with("cls"))
            slot = slot_of_layer(static_cast<std::int64_t>(h.n_layer));
        else
            slot = h.n_layer > 0 ? slot_of_layer(0) : 0;  // rope_freqs and the like: created with layer 0
        if (t.name == "output.weight") has_output = true;
        if (t.name == "token_embd.weight") token_embd = &t;
        r.layers[slot].weight_bytes += bytes;
    }
    // A tied lm_head is token_embd created again for the output layer; on a GPU it is a second copy.
    if (!has_output && token_embd && layout.output_device >= 0) r.layers.back().weight_bytes += token_embd->n_bytes;

    const Sizes kv = kv_sizes(hs, r.n_ctx, o.kv_type);
    r.kv_k = kv.kv_k;
    r.kv_v = kv.kv_v;
    for (std::uint64_t il = 0; il < h.n_layer; ++il) {
        LayerPlacement& layer = r.layers[slot_of_layer(static_cast<std::int64_t>(il))];
        layer.kv_bytes = kv.per_layer_kv[il];
        layer.recurrent_state_bytes = h.recurrent_state_bytes(il);  // one sequence's state
    }

    for (const LayerPlacement& p : r.layers) {
        DeviceMemory& d = r.devices[device_slot(p.device)];
        d.weights += p.weight_bytes;
        d.kv_cache += p.kv_bytes;
        d.recurrent_state += p.recurrent_state_bytes;
        r.weights += p.weight_bytes;
        r.kv_cache += p.kv_bytes;
        r.recurrent_state += p.recurrent_state_bytes;
    }

    // Compute buffers: a device that runs layers holds the inputs (embeddings, attention mask) and the
    // largest intermediate set of one layer; the output layer's device the logits, which are computed
    // after the inputs are dead, so the two phases share memory. The CPU always holds the inputs.
    const bool any_swa = std::any_of(hs.swa_layers.begin(), hs.swa_layers.end(), [](bool b) { return b; });
    const detail::GraphShape shape{r.n_ubatch, r.n_ctx, any_swa ? hs.swa_cells : 0, o.flash_attention, o.kv_type};
    const std::uint64_t layer_peak = detail::layer_peak_bytes(hs, shape);
    const std::uint64_t output_peak = detail::output_peak_bytes(hs, shape);
    const std::uint64_t input = detail::input_bytes(hs, shape);
    std::vector<bool> runs_layers(r.devices.size(), false);
    for (std::uint64_t il = 0; il < h.n_layer; ++il) runs_layers[device_slot(layout.layer_device[il])] = true;
    for (std::size_t d = 0; d < r.devices.size(); ++d) {
        std::uint64_t c = runs_layers[d] ? layer_peak + input : d == 0 ? input : 0;
        if (d == device_slot(layout.output_device)) c = std::max(c, output_peak);
        r.devices[d].compute = c;
        r.compute += c;
    }
    r.notes = h.notes;
    return r;
}

}  // namespace

Result<FitReport> plan_fit(const Container& model, const FitOptions& options) {
    auto hparams = detail::read_hparams(model);
    if (!hparams) return hparams.error();
    if (!find_type(options.kv_type)) return Error{ErrorCode::invalid_argument, 0, "unknown KV cache type", ""};
    const std::uint32_t n_ctx = options.n_ctx ? options.n_ctx : hparams->n_ctx_train;
    if (n_ctx == 0) return Error{ErrorCode::invalid_argument, 0, "no context size: give one (the file has no context_length)", ""};
    FitReport r = plan(model, *hparams, options, n_ctx);

    const bool any_capacity = options.host_memory || !options.gpu_memory.empty();
    if (any_capacity) {
        const std::uint32_t top = pad_cells(hparams->n_ctx_train ? hparams->n_ctx_train : n_ctx);
        std::uint32_t lo = 0, hi = top / kCellPadding;  // in blocks of 256 cells
        while (lo < hi) {
            const std::uint32_t mid = (lo + hi + 1) / 2;
            if (plan(model, *hparams, options, mid * kCellPadding).fits()) lo = mid;
            else hi = mid - 1;
        }
        r.max_context = lo * kCellPadding;
    }
    return r;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || !(number >= 0) || !std::isfinite(number)) return std::nullopt;
    std::string unit(end, text.data() + text.size());
    std::erase(unit, ' ');
    for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (unit.ends_with("IB")) unit.erase(unit.size() - 2);
    else if (unit.size() > 1 && unit.ends_with("B")) unit.pop_back();
    double scale = 1;
    if (unit.empty() || unit == "B") scale = 1;
    else if (unit == "K") scale = 1024.0;
    else if (unit == "M") scale = 1024.0 * 1024;
    else if (unit == "G") scale = 1024.0 * 1024 * 1024;
    else if (unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
    else return std::nullopt;
    const double bytes = number * scale;
    if (bytes >= 1.8e19) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
}

}  // namespace gguf::deploy
