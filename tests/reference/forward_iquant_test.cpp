// The forward pass on files of the importance-matrix and ternary types, against llama.cpp's float32
// pass on the same weights: a tiny preset's matrices are quantized by ggml (with an importance matrix
// from our own forward pass, as llama-imatrix would compute it: the mean square of each input column
// of each matrix over a prompt), our CPU pass runs on that file, and llama.cpp (F32 KV cache, no flash
// attention) runs on a float32 file of the same weights decoded by ggml's own to_float. The two
// computations then differ only in the order of float32 additions.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "forward/fixtures.hpp"
#include "reference/importance_matrix.hpp"
#include "gguf/forward/compare.hpp"
#include "reference/ggml_reference.hpp"

namespace fs = std::filesystem;
using namespace gguf;

namespace {

std::vector<float> ggml_decode(std::uint32_t type, std::span<const std::byte> bytes, std::uint64_t n) {
    std::vector<float> out(n);
    ggml_get_type_traits(static_cast<int>(type))->to_float(bytes.data(), out.data(), static_cast<std::int64_t>(n));
    return out;
}

}  // namespace

TEST_CASE("the CPU pass on IQ and TQ files agrees with llama.cpp's float32 pass on the same weights") {
    const test::TempDir dir;
    const std::string preset = "tiny-llama";
    const fs::path f32_path = test::write_preset(dir, preset, "f32");
    auto config = samples::preset(preset);
    REQUIRE(config.ok());
    const auto ids = test::prompt_ids(config->n_vocab - config->n_vocab_padding);
    const auto imatrix = test::importance_matrix(f32_path, ids);
    const Writer floats = test::build_preset(preset, "f32");

    const TypeId types[] = {TypeId::IQ1_S, TypeId::IQ1_M, TypeId::IQ2_XXS, TypeId::IQ2_XS, TypeId::IQ2_S,
                            TypeId::IQ3_XXS, TypeId::IQ3_S, TypeId::TQ1_0, TypeId::TQ2_0};
    struct Job {
        TypeId type;
        fs::path quantized, decoded, logits;
    };
    std::vector<Job> jobs;
    nlohmann::json job_list = nlohmann::json::array();
    for (TypeId id : types) {
        const auto type = static_cast<std::uint32_t>(id);
        const std::string name(find_type(type)->name);
        // The layer matrices in `type` (quantized by ggml); embeddings, output and norms stay float32.
        std::map<std::string, std::vector<std::byte>> quantized;
        const Writer q = test::with_tensors(floats, [&](WriterTensor& t) {
            const auto im = imatrix.find(t.name);
            if (im == imatrix.end()) return true;
            const std::uint64_t n_rows = t.data.size() / 4 / t.ne[0];
            std::vector<float> values(t.data.size() / 4);
            std::memcpy(values.data(), t.data.data(), t.data.size());
            std::vector<std::byte> bytes(*byte_size(type, values.size()));
            REQUIRE(ggml_quantize_chunk(static_cast<int>(type), values.data(), bytes.data(), 0,
                                        static_cast<std::int64_t>(n_rows), static_cast<std::int64_t>(t.ne[0]),
                                        im->second.data()) == bytes.size());
            t.type = type;
            t.data = bytes;
            quantized[t.name] = std::move(bytes);
            return true;
        });
        REQUIRE(quantized.size() == imatrix.size());
        // The same weights decoded by ggml, as float32.
        const Writer d = test::with_tensors(q, [&](WriterTensor& t) {
            if (t.type != type) return true;
            const auto values = ggml_decode(type, t.data, t.data.size() / find_type(type)->type_size * 256);
            t.type = static_cast<std::uint32_t>(TypeId::F32);
            t.data.resize(values.size() * 4);
            std::memcpy(t.data.data(), values.data(), t.data.size());
            return true;
        });
        Job job{id, dir / (name + ".gguf"), dir / (name + "-decoded.gguf"), dir / (name + ".f32")};
        REQUIRE(q.write(job.quantized).ok());
        REQUIRE(d.write(job.decoded).ok());
        job_list.push_back({{"model", job.decoded.string()}, {"ids", ids}, {"out", job.logits.string()},
                            {"kv_type", "F32"}, {"flash_attention", "off"}});
        jobs.push_back(job);
    }
    const fs::path job_file = dir / "jobs.json";
    std::ofstream(job_file) << job_list.dump();
    const std::string command = std::string("'") + GGUF_DOCTOR_NODE + "' '" + GGUF_DOCTOR_REFERENCE_SCRIPT +
                                "' logits-many '" + job_file.string() + "' > /dev/null";
    REQUIRE_MESSAGE(std::system(command.c_str()) == 0, command);

    for (const Job& job : jobs) {
        const std::string name(find_type(job.type)->name);
        CAPTURE(name);
        const Container model = test::open_model(job.quantized);
        auto ours = test::cpu_pass(model)->evaluate(ids);
        REQUIRE(ours.ok());
        forward::Logits reference{ours->n_tokens, ours->n_vocab, forward::LogitValues(ours->n_tokens * ours->n_vocab)};
        std::ifstream in(job.logits, std::ios::binary);
        in.read(reinterpret_cast<char*>(reference.values.data()),
                static_cast<std::streamsize>(reference.values.size() * sizeof(float)));
        REQUIRE(in.gcount() == static_cast<std::streamsize>(reference.values.size() * sizeof(float)));
        const auto a = forward::compare_logits(reference, *ours);
        MESSAGE(name << ": max|diff| " << a.max_abs_diff << ", rel " << a.relative_diff << ", argmax mismatches "
                     << a.argmax_mismatches << ", mean KL " << a.mean_kl);
        CHECK(a.positions == ids.size());
        CHECK(a.argmax_mismatches == 0);
        CHECK(a.relative_diff <= 1e-4);
    }
}
