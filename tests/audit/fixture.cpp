#include "fixture.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/forward/trace_io.hpp"
#include "gguf/quantize.hpp"
#include "gguf/samples/generator.hpp"

namespace gguf::test {

namespace {

Writer build_uncached(std::string_view preset, std::uint32_t matrix_type, const std::set<std::string>& only) {
    auto config = samples::preset(preset);
    REQUIRE(config.ok());
    REQUIRE(samples::apply_mix(*config, "f32").ok());
    auto floats = samples::build_model(*config);
    REQUIRE(floats.ok());
    const TypeInfo* type = find_type(matrix_type);
    REQUIRE(type != nullptr);
    std::vector<WriterTensor> tensors(floats->tensors().begin(), floats->tensors().end());
    std::vector<std::string> failed(tensors.size());
    // The reference quantizers take about a microsecond per value: use every core.
#pragma omp parallel for schedule(dynamic)
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        WriterTensor& t = tensors[i];
        const bool wanted = only.empty() || only.count(t.name);
        if (!wanted || t.ne.size() != 2 || matrix_type == type_id(TypeId::F32) || t.ne[0] % type->block_size != 0) continue;
        std::vector<float> values(t.data.size() / 4);
        std::memcpy(values.data(), t.data.data(), t.data.size());
        auto bytes = dequant::quantize(matrix_type, values, t.ne[0]);
        if (!bytes) {
            failed[i] = t.name + ": " + bytes.error().describe();
            continue;
        }
        t.type = matrix_type;
        t.data = std::move(*bytes);
    }
    for (const auto& f : failed) REQUIRE_MESSAGE(f.empty(), f);
    Writer out(ByteOrder::little, floats->alignment());
    for (const auto& [key, value] : floats->metadata()) out.set(key, value);
    for (WriterTensor& t : tensors) REQUIRE(out.add_tensor(std::move(t)).ok());
    return out;
}

}  // namespace

Writer build_model(std::string_view preset, std::uint32_t matrix_type, const std::set<std::string>& only) {
    // Each test process builds a model once.
    static std::map<std::tuple<std::string, std::uint32_t, std::set<std::string>>, Writer> cache;
    const auto key = std::make_tuple(std::string(preset), matrix_type, only);
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, build_uncached(preset, matrix_type, only)).first;
    return it->second;
}

std::filesystem::path write_model(const TempDir& dir, const Writer& model, const std::string& file_name) {
    const auto path = dir / file_name;
    auto written = model.write(path);
    REQUIRE_MESSAGE(written.ok(), (written.ok() ? std::string() : written.error().describe()));
    return path;
}

std::filesystem::path write_model(const TempDir& dir, std::string_view preset, std::uint32_t matrix_type, ByteOrder order,
                                  const std::set<std::string>& only) {
    Writer model = build_model(preset, matrix_type, only);
    if (order == ByteOrder::little) return write_model(dir, model);
    Writer swapped(order, model.alignment());
    for (const auto& [key, value] : model.metadata()) swapped.set(key, value);
    for (const WriterTensor& t : model.tensors()) REQUIRE(swapped.add_tensor(t).ok());
    return write_model(dir, swapped);
}

Container open_model(const std::filesystem::path& path) {
    auto model = gguf::open(path);
    REQUIRE_MESSAGE(model.ok(), (model.ok() ? std::string() : model.error().describe()));
    return std::move(*model);
}

std::vector<float> reference_values(const Container& model, std::string_view tensor) {
    const TensorInfo* info = model.find_tensor(tensor);
    REQUIRE_MESSAGE(info != nullptr, std::string(tensor));
    auto view = model.view(*info);
    REQUIRE(view.ok());
    auto values = dequant::to_float(*view, 1);
    REQUIRE(values.ok());
    return std::move(*values);
}

std::vector<std::uint64_t> numpy_shape(const TensorInfo& tensor) {
    std::vector<std::uint64_t> shape;
    for (std::uint32_t i = tensor.n_dims; i-- > 0;) shape.push_back(tensor.ne[i]);
    return shape;
}

void write_npy(const std::filesystem::path& path, const std::vector<std::uint64_t>& shape, std::span<const float> values,
               bool float16) {
    if (!float16) {
        REQUIRE(forward::write_npy(path, shape, values).ok());
        return;
    }
    std::string dims;
    for (const auto d : shape) dims += std::to_string(d) + ", ";
    if (shape.size() > 1) dims.resize(dims.size() - 2);
    std::string header = "{'descr': '<f2', 'fortran_order': False, 'shape': (" + dims + "), }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::vector<std::byte> bytes(10 + header.size() + 2 * values.size());
    std::memcpy(bytes.data(), "\x93NUMPY\x01\x00", 8);
    store<std::uint16_t>(bytes.data() + 8, static_cast<std::uint16_t>(header.size()), ByteOrder::little);
    std::memcpy(bytes.data() + 10, header.data(), header.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        store<std::uint16_t>(bytes.data() + 10 + header.size() + 2 * i, fp32_to_fp16(values[i]), ByteOrder::little);
    REQUIRE(write_file_atomically(path, bytes).ok());
}

void dump_reference(const Container& model, const std::filesystem::path& dir, bool float16,
                    const std::function<std::string(const std::string&)>& file_name) {
    std::filesystem::create_directories(dir);
    for (const TensorInfo& t : model.tensors()) {
        const std::string name = file_name ? file_name(t.name) : t.name;
        write_npy(dir / (name + ".npy"), numpy_shape(t), reference_values(model, t.name), float16);
    }
}

std::span<const std::byte> tensor_bytes(const Container& model, std::string_view tensor) {
    const TensorInfo* info = model.find_tensor(tensor);
    REQUIRE(info != nullptr);
    auto view = model.view(*info);
    REQUIRE(view.ok());
    return view->bytes;
}

}  // namespace gguf::test
