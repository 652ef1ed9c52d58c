#include "weights.hpp"

#include <algorithm>
#include <cstring>

#include "gguf/types.hpp"
#include "host_copy.hpp"
#include "kernels/kernels.hpp"

namespace gguf::cuda {
namespace {

constexpr std::uint64_t kAlign = 256;
constexpr std::uint64_t kStagingBytes = std::uint64_t{64} << 20;

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

std::int64_t append(std::vector<float>& all, const std::vector<float>& v) {
    if (v.empty()) return -1;
    const auto offset = static_cast<std::int64_t>(align_up(all.size(), 64));
    all.resize(static_cast<std::size_t>(offset), 0.0f);
    all.insert(all.end(), v.begin(), v.end());
    return offset;
}

void add_matrix(ImageLayout& image, const forward::BoundMatrix& w, bool product) {
    // Only the matrix's own rows: one expert of a 3-D expert tensor, or a block of rows of a fused
    // tensor, is one matrix.
    const TensorView own{w.view.info, w.bytes(), w.view.order};
    MatrixSource m{w.name(), w.type(), w.n_in, w.n_out, own, align_up(image.bytes, kAlign), product, w.rows_of};
    image.bytes = m.offset + own.bytes.size();
    image.matrices.push_back(std::move(m));
}

// Lays out one scope: its matrices into `image`, its vectors appended to `vectors`.
void add_scope(ImageLayout& image, std::vector<std::int64_t>& offsets, std::vector<float>& vectors,
               const forward::WeightSet& set, const std::vector<forward::Op>& ops) {
    std::vector<bool> product(set.matrices.size(), false);
    for (const forward::Op& op : ops) {
        if (const auto* linear = std::get_if<forward::Linear>(&op)) product[static_cast<std::size_t>(linear->matrix)] = true;
        if (const auto* moe = std::get_if<forward::MoeFfn>(&op))
            for (const int first : {moe->gate, moe->up, moe->down})
                for (std::uint64_t e = 0; e < moe->n_expert; ++e) product[static_cast<std::size_t>(first) + e] = true;
    }
    for (std::size_t i = 0; i < set.matrices.size(); ++i) add_matrix(image, set.matrices[i], product[i]);
    for (const forward::BoundVector& v : set.vectors) offsets.push_back(append(vectors, v.values));
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

Result<WeightLayout> describe_weights(const Container& model, const forward::Architecture& arch) {
    const forward::WeightBinding& w = arch.weights;
    const forward::Program& p = arch.program;
    WeightLayout layout;
    layout.order = model.byte_order();
    layout.n_vocab = w.n_vocab;
    std::vector<forward::Op> global_ops = p.input;
    global_ops.insert(global_ops.end(), p.output.begin(), p.output.end());
    add_scope(layout.globals, layout.global_vectors, layout.vectors, w.globals, global_ops);
    layout.layers.resize(w.layers.size());
    layout.layer_vectors.resize(w.layers.size());
    for (std::size_t l = 0; l < w.layers.size(); ++l)
        add_scope(layout.layers[l], layout.layer_vectors[l], layout.vectors, w.layers[l], p.layers[l].ops);

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
        for (std::size_t l = 0; l < layout_.layers.size(); ++l)
            for (std::size_t i = 0; i < layout_.layers[l].matrices.size(); ++i) {
                decoded_[l].push_back(keep_decoded(layout_.layers[l].matrices[i], layer_images_[l].data(), decoded_budget));
                if (!decoded_[l].back().empty()) decoded_order_.emplace_back(l, i);
            }
        for (std::size_t i = 0; i < layout_.globals.matrices.size(); ++i) {
            decoded_globals_.push_back(keep_decoded(layout_.globals.matrices[i], globals_.data(), decoded_budget));
            if (!decoded_globals_.back().empty()) decoded_order_.emplace_back(layout_.layers.size(), i);
        }
    }
    copy_.synchronize();
}

// A float32 copy of a quantized matrix that products read, while the budget lasts; empty otherwise.
DeviceBuffer<float> DeviceWeights::keep_decoded(const MatrixSource& m, const std::byte* image, std::uint64_t& decoded_budget) {
    const std::uint64_t bytes = MemoryBudget::rounded(m.n_in * m.n_out * sizeof(float));
    if (!m.product || m.type == static_cast<std::uint32_t>(TypeId::F32) || bytes > decoded_budget || !budget_.fits(bytes))
        return {};
    decoded_budget -= bytes;
    DeviceBuffer<float> d = budget_.allocate<float>(m.n_in * m.n_out, "decoded weights");
    GGUF_CUDA_CHECK(cudaStreamSynchronize(copy_.get()));  // the image is uploaded
    dequantize(m.type, image + m.offset, m.n_in * m.n_out, d.data(), copy_.get());
    decoded_bytes_ += bytes;
    return d;
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

ScopeRefs DeviceWeights::globals() const {
    ScopeRefs r;
    for (std::size_t i = 0; i < layout_.globals.matrices.size(); ++i) {
        r.matrices.push_back(matrix(layout_.globals.matrices[i], globals_.data()));
        if (i < decoded_globals_.size() && !decoded_globals_[i].empty()) r.matrices.back().decoded = decoded_globals_[i].data();
    }
    for (const std::int64_t offset : layout_.global_vectors) r.vectors.push_back(vector(offset));
    return r;
}

ScopeRefs DeviceWeights::acquire(std::uint64_t layer) {
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
    ScopeRefs r;
    for (std::size_t i = 0; i < m.size(); ++i) {
        r.matrices.push_back(matrix(m[i], image));
        if (!streamed_ && !decoded_[layer][i].empty()) r.matrices.back().decoded = decoded_[layer][i].data();
    }
    for (const std::int64_t offset : layout_.layer_vectors[layer]) r.vectors.push_back(vector(offset));
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
        DeviceBuffer<float>& d = layer == decoded_.size() ? decoded_globals_[index] : decoded_[layer][index];
        GGUF_CUDA_CHECK(cudaStreamSynchronize(compute_));  // no queued product still reads it
        decoded_bytes_ -= MemoryBudget::rounded(d.bytes());
        budget_.release(d);
    }
    return budget_.fits(bytes);
}

}  // namespace gguf::cuda
