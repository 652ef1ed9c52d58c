// Trained weights from .npy files: values land in the tensors unchanged, shapes are checked, and the
// Hugging Face -> llama.cpp Q/K permutation matches convert_hf_to_gguf.py's reshape/swapaxes.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "gguf/container.hpp"
#include "gguf/samples/generator.hpp"
#include "support/temp_dir.hpp"
#include "weight_source.hpp"

using namespace gguf;
using namespace gguf::samples;

namespace {

// A version 1.0 .npy file of float32 values, C order.
void write_npy(const std::filesystem::path& path, const std::vector<std::uint64_t>& shape, const std::vector<float>& values) {
    std::string dims;
    for (auto d : shape) dims += std::to_string(d) + ", ";
    if (shape.size() > 1) dims.resize(dims.size() - 2);
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    header.resize(((10 + header.size() + 1 + 63) / 64) * 64 - 10 - 1, ' ');
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto len = static_cast<std::uint16_t>(header.size());
    out.put(static_cast<char>(len & 0xff)).put(static_cast<char>(len >> 8));
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 4));
}

// A small llama model whose every weight is an .npy of distinct values (value = tensor tag + index).
ModelConfig small_llama(const std::filesystem::path& folder) {
    auto c = preset("tiny-llama").value();
    c.n_layer = 1;
    c.weights_from = folder;
    std::filesystem::create_directories(folder);
    auto plan = plan_tensors(c);
    REQUIRE(plan.ok());
    float tag = 0;
    for (const auto& t : *plan) {
        std::uint64_t n = 1;
        for (auto d : t.ne) n *= d;
        std::vector<float> v(n);
        for (std::uint64_t i = 0; i < n; ++i) v[i] = tag + static_cast<float>(i) * 1e-3f;
        tag += 1000.0f;
        write_npy(folder / (t.name + ".npy"), {t.ne.rbegin(), t.ne.rend()}, v);
    }
    return c;
}

std::vector<float> tensor_f32(const Container& m, std::string_view name) {
    const TensorInfo* t = m.find_tensor(name);
    REQUIRE(t != nullptr);
    auto view = m.view(*t);
    REQUIRE(view.ok());
    std::vector<float> v(t->n_elements());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = load<float>(view->bytes.data() + 4 * i, ByteOrder::little);
    return v;
}

std::vector<float> npy_f32(const std::filesystem::path& path, std::size_t n) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(-static_cast<std::streamoff>(n * 4), std::ios::end);
    std::vector<float> v(n);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * 4));
    return v;
}

}  // namespace

TEST_CASE("weights from .npy files are written unchanged") {
    test::TempDir dir;
    const ModelConfig c = small_llama(dir / "w");
    REQUIRE(write_model(c, dir / "m.gguf").ok());
    auto m = gguf::open(dir / "m.gguf");
    REQUIRE(m.ok());
    for (const auto& t : m->tensors()) {
        CAPTURE(t.name);
        CHECK(tensor_f32(*m, t.name) == npy_f32(dir / "w" / (t.name + ".npy"), t.n_elements()));
    }
}

TEST_CASE("Hugging Face q/k rows are permuted per head as convert_hf_to_gguf.py does") {
    // convert: w.reshape(n_head, 2, d/2, n_embd).swapaxes(1, 2).reshape(...): the output row
    // (h, i, j) of shape (n_head, d/2, 2) is the input row (h, j, i) of shape (n_head, 2, d/2).
    for (std::uint64_t d : {2u, 4u, 8u, 64u}) {
        const std::uint64_t n_head = 3;
        for (std::uint64_t h = 0; h < n_head; ++h)
            for (std::uint64_t i = 0; i < d / 2; ++i)
                for (std::uint64_t j = 0; j < 2; ++j)
                    CHECK(samples::detail::hf_row_for_llama_row(h * d + i * 2 + j, d) == h * d + j * (d / 2) + i);
    }
    CHECK(samples::detail::hf_row_for_llama_row(1, 4) == 2);  // rows 0..3 of a 4-row head: 0, 2, 1, 3
    CHECK(samples::detail::hf_row_for_llama_row(2, 4) == 1);

    test::TempDir dir;
    ModelConfig c = small_llama(dir / "w");
    c.weights_hf_qk_order = true;
    REQUIRE(write_model(c, dir / "m.gguf").ok());
    auto m = gguf::open(dir / "m.gguf");
    REQUIRE(m.ok());
    const std::uint64_t n = c.n_embd, d = c.head_dim;
    for (const char* name : {"blk.0.attn_q.weight", "blk.0.attn_k.weight"}) {
        CAPTURE(name);
        const auto got = tensor_f32(*m, name);
        const auto hf = npy_f32(dir / "w" / (std::string(name) + ".npy"), got.size());
        for (std::uint64_t row = 0; row < got.size() / n; ++row) {
            const std::uint64_t h = row / d, i = (row % d) / 2, j = row % 2;
            const std::uint64_t from = h * d + j * (d / 2) + i;
            REQUIRE(std::equal(got.begin() + row * n, got.begin() + (row + 1) * n, hf.begin() + from * n));
        }
    }
    CHECK(tensor_f32(*m, "blk.0.attn_v.weight") == npy_f32(dir / "w" / "blk.0.attn_v.weight.npy", n * c.n_head_kv * d));
}

TEST_CASE(".npy folders with a wrong shape, a missing tensor or a stray file are refused") {
    test::TempDir dir;
    ModelConfig c = small_llama(dir / "w");
    write_npy(dir / "w" / "output_norm.weight.npy", {255}, std::vector<float>(255));
    CHECK_FALSE(write_model(c, dir / "a.gguf").ok());

    c = small_llama(dir / "w2");
    std::filesystem::remove(dir / "w2" / "blk.0.ffn_up.weight.npy");
    CHECK_FALSE(write_model(c, dir / "b.gguf").ok());

    c = small_llama(dir / "w3");
    write_npy(dir / "w3" / "blk.1.ffn_up.weight.npy", {512, 256}, std::vector<float>(512 * 256));
    const auto r = write_model(c, dir / "c.gguf");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().path.find("blk.1.ffn_up.weight.npy") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "c.gguf"));
}
