#include "weights.hpp"

#include <algorithm>
#include <cstring>

#include "gguf/types.hpp"
#include "host_copy.hpp"
#include "kernels/kernels.hpp"
// The CPU reference's weight loader (an internal header of validate/forward): the GPU pass reads exactly
// the tensors it reads, with the same shape checks and error messages.
#include "../validate/forward/src/weights.hpp"

namespace gguf::cuda {
namespace {

constexpr std::uint64_t kAlign = 256;
constexpr std::uint64_t kStagingBytes = std::uint64_t{64} << 20;

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

class ImageBuilder {
public:
    explicit ImageBuilder(const Container& model) : model_(model) {}

    void add(ImageLayout& image, const forward::WeightMatrix& w) {
        const TensorInfo* info = model_.find_tensor(w.name());
        auto view = info ? model_.view(*info) : Result<TensorView>(Error{ErrorCode::invalid_argument, 0, "", ""});
        if (!view) {
            if (!error) error = Error{ErrorCode::invalid_argument, 0, "tensor '" + w.name() + "' cannot be read", ""};
            return;
        }
        MatrixSource m{w.name(), w.type(), w.n_in(), w.n_out(), *view, align_up(image.bytes, kAlign)};
        image.bytes = m.offset + view->bytes.size();
        image.matrices.push_back(std::move(m));
    }

    std::optional<Error> error;

private:
    const Container& model_;
};

std::int64_t append(std::vector<float>& all, const std::vector<float>& v) {
    if (v.empty()) return -1;
    const auto offset = static_cast<std::int64_t>(align_up(all.size(), 64));
    all.resize(static_cast<std::size_t>(offset), 0.0f);
    all.insert(all.end(), v.begin(), v.end());
    return offset;
}

}  // namespace

std::uint64_t WeightLayout::layer_bytes() const {
    std::uint64_t total = 0;
    for (const auto& l : layers) total += align_up(l.bytes, kAlign);
    return total;
}

std::uint64_t WeightLayout::max_layer_bytes() const {
    std::uint64_t m = 0;
    for (const auto& l : layers) m = std::max(m, l.bytes);
    return m;
}

std::uint64_t WeightLayout::largest_matrix_values() const {
    std::uint64_t m = 0;
    for (const auto& s : globals.matrices) m = std::max(m, s.n_in * s.n_out);
    for (const auto& l : layers)
        for (const auto& s : l.matrices) m = std::max(m, s.n_in * s.n_out);
    return m;
}

Result<WeightLayout> describe_weights(const Container& model, const model::ModelSpec& spec) {
    auto loaded = forward::load_weights(model, spec, 0);
    if (!loaded) return loaded.error();
    forward::ModelWeights& w = *loaded;

    WeightLayout layout;
    layout.order = model.byte_order();
    layout.n_vocab = w.n_vocab;
    layout.tied_output = !w.output.has_value();
    ImageBuilder builder(model);
    builder.add(layout.globals, w.token_embd);
    if (w.output) builder.add(layout.globals, *w.output);
    layout.output_norm = append(layout.vectors, w.output_norm);
    layout.output_bias = append(layout.vectors, w.output_bias);

    for (const forward::LayerWeights& l : w.layers) {
        ImageLayout& image = layout.layers.emplace_back();
        for (const forward::WeightMatrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down}) builder.add(image, *m);
        WeightLayout::LayerVectors v;
        v.attn_norm = append(layout.vectors, l.attn_norm);
        v.q_norm = append(layout.vectors, l.q_norm);
        v.k_norm = append(layout.vectors, l.k_norm);
        v.ffn_norm = append(layout.vectors, l.ffn_norm);
        v.bq = append(layout.vectors, l.bq);
        v.bk = append(layout.vectors, l.bk);
        v.bv = append(layout.vectors, l.bv);
        v.bo = append(layout.vectors, l.bo);
        v.b_gate = append(layout.vectors, l.b_gate);
        v.b_up = append(layout.vectors, l.b_up);
        v.b_down = append(layout.vectors, l.b_down);
        layout.layer_vectors.push_back(v);
    }
    if (builder.error) return *builder.error;
    std::vector<const ImageLayout*> images{&layout.globals};
    for (const auto& l : layout.layers) images.push_back(&l);
    for (const ImageLayout* image : images)
        for (const auto& m : image->matrices)
            if (!can_dequantize(m.type))
                return Error{ErrorCode::invalid_argument, 0,
                             "tensor '" + m.name + "' has type " + type_label(m.type) + ", which has no GPU decoder", ""};
    return layout;
}

DeviceWeights::DeviceWeights(WeightLayout layout, bool streamed, std::uint64_t decoded_budget, MemoryBudget& budget,
                             cudaStream_t compute)
    : layout_(std::move(layout)), streamed_(streamed), budget_(budget), compute_(compute) {
    std::uint64_t largest_image = layout_.globals.bytes;
    for (const auto& l : layout_.layers) largest_image = std::max(largest_image, l.bytes);
    const std::uint64_t staging = std::max<std::uint64_t>(std::min(kStagingBytes, largest_image), 4096);
    for (int i = 0; i < 2; ++i) {
        staging_[i] = PinnedBuffer(staging);
        staging_done_[i] = std::make_unique<Event>();
    }

    vectors_ = budget_.allocate<float>(std::max<std::uint64_t>(layout_.vectors.size(), 1), "norm and bias vectors");
    vectors_.upload(layout_.vectors, copy_.get());
    globals_ = budget_.allocate<std::byte>(std::max<std::uint64_t>(layout_.globals.bytes, 1), "token embedding and output");
    upload_image(layout_.globals, globals_.data(), copy_.get());
    resident_bytes_ = layout_.globals.bytes;

    if (streamed_) {
        for (int s = 0; s < 2; ++s) {
            slots_[s] = budget_.allocate<std::byte>(std::max<std::uint64_t>(layout_.max_layer_bytes(), 1), "a layer slot");
            slot_ready_[s] = std::make_unique<Event>();
            slot_free_[s] = std::make_unique<Event>();
        }
    } else {
        for (const auto& l : layout_.layers) {
            layer_images_.push_back(budget_.allocate<std::byte>(std::max<std::uint64_t>(l.bytes, 1), "layer weights"));
            upload_image(l, layer_images_.back().data(), copy_.get());
            resident_bytes_ += l.bytes;
        }
        // float32 copies of quantized matrices for the batched products, in the order the pass uses them.
        decoded_.resize(layout_.layers.size());
        const auto keep = [&](const MatrixSource& m, const std::byte* image) -> DeviceBuffer<float> {
            const std::uint64_t bytes = MemoryBudget::rounded(m.n_in * m.n_out * sizeof(float));
            if (m.type == static_cast<std::uint32_t>(TypeId::F32) || bytes > decoded_budget || !budget_.fits(bytes))
                return {};
            decoded_budget -= bytes;
            DeviceBuffer<float> d = budget_.allocate<float>(m.n_in * m.n_out, "decoded weights");
            GGUF_CUDA_CHECK(cudaStreamSynchronize(copy_.get()));  // the image is uploaded
            dequantize(m.type, image + m.offset, m.n_in * m.n_out, d.data(), copy_.get());
            decoded_bytes_ += bytes;
            return d;
        };
        for (std::size_t l = 0; l < layout_.layers.size(); ++l)
            for (std::size_t i = 0; i < layout_.layers[l].matrices.size(); ++i) {
                decoded_[l].push_back(keep(layout_.layers[l].matrices[i], layer_images_[l].data()));
                if (!decoded_[l].back().empty()) decoded_order_.emplace_back(l, static_cast<int>(i));
            }
        const std::size_t head = layout_.tied_output ? 0 : 1;
        decoded_lm_head_ = keep(layout_.globals.matrices[head], globals_.data());
        if (!decoded_lm_head_.empty()) decoded_order_.emplace_back(layout_.layers.size(), 0);
    }
    copy_.synchronize();
}

DeviceWeights::~DeviceWeights() {
    cudaStreamSynchronize(copy_.get());  // no copy may still read the staging buffers being freed
}

void DeviceWeights::upload_image(const ImageLayout& image, std::byte* device, cudaStream_t stream) {
    for (const MatrixSource& m : image.matrices) {
        const std::span<const std::byte> bytes = m.view.bytes;
        const std::uint64_t unit = find_type(m.type)->type_size;  // whole blocks, so a swap never splits one
        const std::uint64_t piece_max = std::max<std::uint64_t>(staging_[0].bytes() / unit, 1) * unit;
        for (std::uint64_t at = 0; at < bytes.size(); at += piece_max) {
            const std::uint64_t piece = std::min<std::uint64_t>(piece_max, bytes.size() - at);
            const int s = next_staging_;
            next_staging_ ^= 1;
            staging_done_[s]->synchronize();  // the copy that last read this buffer has finished
            parallel_copy(staging_[s].data(), bytes.data() + at, piece);
            if (layout_.order != ByteOrder::little)
                swap_block_fields(m.type, std::span<std::byte>(staging_[s].data(), piece));  // describe_weights checked the layout
            GGUF_CUDA_CHECK(cudaMemcpyAsync(device + m.offset + at, staging_[s].data(), piece, cudaMemcpyHostToDevice, stream));
            staging_done_[s]->record(stream);
        }
    }
}

void DeviceWeights::start_upload(std::uint64_t layer, int slot) {
    slot_free_[slot]->wait_on(copy_.get());  // the layer in the slot is no longer read
    upload_image(layout_.layers[layer], slots_[slot].data(), copy_.get());
    slot_ready_[slot]->record(copy_.get());
    slot_layer_[slot] = static_cast<std::int64_t>(layer);
}

MatrixRef DeviceWeights::matrix(const MatrixSource& m, const std::byte* image) const {
    MatrixRef r;
    r.type = m.type;
    r.n_in = m.n_in;
    r.n_out = m.n_out;
    r.row_bytes = m.n_out ? m.view.bytes.size() / m.n_out : 0;
    r.blocks = image + m.offset;
    if (m.type == static_cast<std::uint32_t>(TypeId::F32)) r.decoded = reinterpret_cast<const float*>(r.blocks);
    return r;
}

const float* DeviceWeights::vector(std::int64_t offset) const { return offset < 0 ? nullptr : vectors_.data() + offset; }

MatrixRef DeviceWeights::token_embd() const { return matrix(layout_.globals.matrices[0], globals_.data()); }

MatrixRef DeviceWeights::lm_head() const {
    MatrixRef r = matrix(layout_.globals.matrices[layout_.tied_output ? 0 : 1], globals_.data());
    if (!decoded_lm_head_.empty()) r.decoded = decoded_lm_head_.data();
    return r;
}

const float* DeviceWeights::output_norm() const { return vector(layout_.output_norm); }
const float* DeviceWeights::output_bias() const { return vector(layout_.output_bias); }

LayerRefs DeviceWeights::acquire(std::uint64_t layer) {
    const std::byte* image = nullptr;
    if (streamed_) {
        int slot = slot_layer_[0] == static_cast<std::int64_t>(layer) ? 0 : slot_layer_[1] == static_cast<std::int64_t>(layer) ? 1 : -1;
        if (slot < 0) {
            slot = current_slot_ == 0 ? 1 : 0;
            start_upload(layer, slot);
        }
        slot_ready_[slot]->wait_on(compute_);
        current_slot_ = slot;
        image = slots_[slot].data();
    } else {
        image = layer_images_[layer].data();
    }
    const auto& m = layout_.layers[layer].matrices;
    LayerRefs r;
    MatrixRef* refs[] = {&r.wq, &r.wk, &r.wv, &r.wo, &r.gate, &r.up, &r.down};
    for (std::size_t i = 0; i < m.size(); ++i) {
        *refs[i] = matrix(m[i], image);
        if (!streamed_ && !decoded_[layer][i].empty()) refs[i]->decoded = decoded_[layer][i].data();
    }
    const WeightLayout::LayerVectors& v = layout_.layer_vectors[layer];
    r.attn_norm = vector(v.attn_norm);
    r.q_norm = vector(v.q_norm);
    r.k_norm = vector(v.k_norm);
    r.ffn_norm = vector(v.ffn_norm);
    r.bq = vector(v.bq);
    r.bk = vector(v.bk);
    r.bv = vector(v.bv);
    r.bo = vector(v.bo);
    r.b_gate = vector(v.b_gate);
    r.b_up = vector(v.b_up);
    r.b_down = vector(v.b_down);
    return r;
}

void DeviceWeights::release(std::uint64_t layer) {
    if (!streamed_) return;
    slot_free_[current_slot_]->record(compute_);
    // Start copying the next layer (after the last, the first: the next call begins there) into the
    // other slot while the compute stream works on this one.
    const std::uint64_t next = (layer + 1) % layout_.layers.size();
    if (slot_layer_[0] != static_cast<std::int64_t>(next) && slot_layer_[1] != static_cast<std::int64_t>(next))
        start_upload(next, current_slot_ == 0 ? 1 : 0);
}

bool DeviceWeights::make_room(std::uint64_t bytes) {
    while (!budget_.fits(bytes) && !decoded_order_.empty()) {
        const auto [layer, index] = decoded_order_.back();
        decoded_order_.pop_back();
        DeviceBuffer<float>& d = layer == decoded_.size() ? decoded_lm_head_ : decoded_[layer][static_cast<std::size_t>(index)];
        GGUF_CUDA_CHECK(cudaStreamSynchronize(compute_));  // no queued product still reads it
        decoded_bytes_ -= MemoryBudget::rounded(d.bytes());
        budget_.release(d);
    }
    return budget_.fits(bytes);
}

}  // namespace gguf::cuda
