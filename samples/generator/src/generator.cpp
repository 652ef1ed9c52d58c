// Builds or streams a model: metadata, tokenizer, then each tensor produced and encoded chunk by chunk.
#include <algorithm>

#include "encode.hpp"
#include "gguf_header.hpp"
#include "gguf/samples/generator.hpp"
#include "model_metadata.hpp"
#include "output_file.hpp"
#include "tensor_plan.hpp"
#include "weight_source.hpp"

namespace gguf::samples {
namespace {

constexpr std::uint64_t kChunkValues = 4u << 20;     // values produced and encoded at a time (16 MiB of f32)

Result<ModelConfig> resolve(const ModelConfig& c) {
    ModelConfig r = c;
    auto n = detail::token_count(c);
    if (!n) return n.error();
    r.n_vocab = *n;
    if (auto ok = validate(r); !ok) return ok.error();
    return r;
}

Result<detail::Metadata> all_metadata(const ModelConfig& c) {
    detail::Metadata m = detail::model_metadata(c);
    auto tokenizer = detail::tokenizer_metadata(c);
    if (!tokenizer) return tokenizer.error();
    for (auto& kv : *tokenizer) m.push_back(std::move(kv));
    return m;
}

// Calls sink(bytes) with consecutive encoded chunks of whole rows of `t`.
template <class Sink>
Result<void> produce(detail::WeightSource& source, const detail::PlannedTensor& t, Sink&& sink) {
    const std::uint64_t row = t.row_length(), n_rows = t.n_rows();
    const std::uint64_t rows_per_chunk = std::max<std::uint64_t>(1, kChunkValues / row);
    std::vector<float> values;
    std::vector<std::byte> bytes;
    for (std::uint64_t first = 0; first < n_rows; first += rows_per_chunk) {
        const std::uint64_t n = std::min(rows_per_chunk, n_rows - first);
        values.resize(n * row);
        if (auto r = source.rows(t, first, values); !r) return r;
        bytes.resize(*byte_size(t.type, n * row));
        if (!detail::encode_rows(t.type, values, row, bytes))
            return Error{ErrorCode::invalid_argument, 0,
                         "tensor '" + t.name + "': rows " + std::to_string(first) + ".." + std::to_string(first + n - 1) +
                             " hold NaN or infinity, which " + type_label(t.type) + " cannot encode", ""};
        if (auto r = sink(std::span<const std::byte>(bytes)); !r) return r;
    }
    return {};
}

}  // namespace

Result<std::vector<TensorSpec>> plan_tensors(const ModelConfig& config) {
    // Shapes and types only: whether this build can encode the types is write_model's concern.
    auto n = detail::token_count(config);
    if (!n) return n.error();
    ModelConfig c = config;
    c.n_vocab = *n;
    std::vector<TensorSpec> specs;
    for (auto& t : detail::layout(c)) specs.push_back({std::move(t.name), t.type, std::move(t.ne)});
    return specs;
}

Result<Writer> build_model(const ModelConfig& config) {
    auto c = resolve(config);
    if (!c) return c.error();
    auto tensors = detail::plan(*c);
    if (!tensors) return tensors.error();
    auto source = detail::WeightSource::open(*c, *tensors);
    if (!source) return source.error();
    auto metadata = all_metadata(*c);
    if (!metadata) return metadata.error();
    Writer w(ByteOrder::little, detail::kAlignment);
    for (auto& [key, value] : *metadata) w.set(key, std::move(value));
    for (const auto& t : *tensors) {
        WriterTensor wt{t.name, t.type, t.ne, {}};
        auto r = produce(*source, t, [&](std::span<const std::byte> chunk) -> Result<void> {
            wt.data.insert(wt.data.end(), chunk.begin(), chunk.end());
            return {};
        });
        if (!r) return r.error();
        if (auto added = w.add_tensor(std::move(wt)); !added) return added.error();
    }
    return w;
}

Result<void> write_model(const ModelConfig& config, const std::filesystem::path& path) {
    auto c = resolve(config);
    if (!c) return c.error();
    auto tensors = detail::plan(*c);
    if (!tensors) return tensors.error();
    auto source = detail::WeightSource::open(*c, *tensors);
    if (!source) return source.error();
    auto metadata = all_metadata(*c);
    if (!metadata) return metadata.error();

    auto file = detail::OutputFile::create(path);
    if (!file) return file.error();
    if (auto r = file->write(detail::encode_header(*metadata, *tensors)); !r) return r;
    for (const auto& t : *tensors) {
        std::uint64_t size = 0;
        auto r = produce(*source, t, [&](std::span<const std::byte> chunk) {
            size += chunk.size();
            return file->write(chunk);
        });
        if (!r) return r;
        if (auto z = file->write_zeros(detail::padding_to_alignment(size)); !z) return z;
    }
    return file->commit();
}

}  // namespace gguf::samples
