// Models for the GPU benchmarks, and their weights for the PyTorch peer.
//
//   bench_cuda_model make --preset NAME --mix MIX --out FILE     (preset: a gguf_samples preset, or
//                                                                 llama2-7b: Llama-2-7B's shapes)
// Types gguf_samples encodes (F32, F16, BF16) are its seeded random weights; quantized mixes get
// random blocks of the mix's per-tensor types (see random_blocks below).
//   bench_cuda_model export --model FILE --out DIR               (DIR/config.json and one float16 .npy
//                                                                 per tensor, named as in the GGUF)
// The export decodes every tensor with gguf::dequant (bit-exact with ggml) and rounds it to float16:
// exactly the weights an FP16 PyTorch model of the file holds.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "gguf/samples/generator.hpp"
#include "gguf/writer.hpp"
#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/model/spec.hpp"

using namespace gguf;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "bench_cuda_model: %s\n", message.c_str());
    std::exit(2);
}

samples::ModelConfig config_for(const std::string& preset) {
    auto c = samples::preset(preset);
    if (!c) fail(c.error().describe());
    return *c;
}

// ---- random blocks: large quantized models in seconds ----
// gguf_dequant's reference quantizers fit every block's scales by search, about 1 M values/s a core:
// a 7B model would take minutes of the GPU machine's time. For timing, the weights need not come from
// floats: blocks get uniformly random codes and block scales chosen so that the decoded weights have a
// standard deviation near `sigma`, centred on zero. Every block is valid for its type.

std::uint64_t splitmix(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void put_f16(std::byte* p, float v) {
    const std::uint16_t h = fp32_to_fp16(v);
    std::memcpy(p, &h, 2);
}

// Fills `out` (whole blocks of `type`); false for a type this does not know.
bool random_blocks(std::uint32_t type, std::span<std::byte> out, std::uint64_t seed, float sigma) {
    struct Scales {
        int d = -1, m = -1;  // byte offsets of the f16 scale and min (-1: none)
        float d_value = 0, m_value = 0;
    };
    Scales s;
    switch (static_cast<TypeId>(type)) {  // value std over uniform codes, per unit of d; min centring the mean
        case TypeId::Q8_0: s = {0, -1, sigma / 73.9f, 0}; break;
        case TypeId::Q4_0: s = {0, -1, sigma / 4.61f, 0}; break;
        case TypeId::Q4_1: s = {0, 2, sigma / 4.61f, -7.5f * sigma / 4.61f}; break;
        case TypeId::Q5_0: s = {0, -1, sigma / 9.23f, 0}; break;
        case TypeId::Q5_1: s = {0, 2, sigma / 9.23f, -15.5f * sigma / 9.23f}; break;
        case TypeId::Q4_K: s = {0, 2, sigma / 256.0f, 7.5f * sigma / 256.0f}; break;
        case TypeId::Q5_K: s = {0, 2, sigma / 521.0f, 15.5f * sigma / 521.0f}; break;
        case TypeId::Q6_K: s = {208, -1, sigma / 1367.0f, 0}; break;
        default: return false;
    }
    const std::uint32_t block = find_type(type)->type_size;
    std::uint64_t state = seed;
    for (std::size_t at = 0; at < out.size(); at += 8) {
        const std::uint64_t r = splitmix(state);
        std::memcpy(out.data() + at, &r, std::min<std::size_t>(8, out.size() - at));
    }
    for (std::size_t b = 0; b + block <= out.size(); b += block) {
        put_f16(out.data() + b + s.d, s.d_value);
        if (s.m >= 0) put_f16(out.data() + b + s.m, s.m_value);
    }
    return true;
}

// `config` after apply_mix, with random blocks for every quantized matrix. Metadata, tokenizer and the
// F32 norms come from the same model generated with one layer (the norms repeat across layers).
void write_random_model(const samples::ModelConfig& config, const fs::path& path) {
    auto plan = samples::plan_tensors(config);
    if (!plan) fail(plan.error().describe());
    samples::ModelConfig one = config;
    one.n_layer = 1;
    one.types.set_all(static_cast<std::uint32_t>(TypeId::F16));
    auto skeleton = samples::build_model(one);
    if (!skeleton) fail(skeleton.error().describe());
    Writer out;
    for (const auto& [key, value] : skeleton->metadata()) out.set(key, value);
    const std::string arch(samples::architecture_name(config.architecture));
    out.set(arch + ".block_count", Value::u32(config.n_layer));
    out.set("general.file_type", Value::u32(config.file_type));
    std::map<std::string, const WriterTensor*> vectors;  // name with "blk.0." removed -> tensor
    for (const WriterTensor& t : skeleton->tensors())
        if (t.ne.size() == 1) vectors[t.name.rfind("blk.0.", 0) == 0 ? t.name.substr(6) : t.name] = &t;

    std::vector<WriterTensor> tensors(plan->size());
    std::vector<std::string> errors(plan->size());
#pragma omp parallel for schedule(dynamic)
    for (std::size_t i = 0; i < plan->size(); ++i) {
        const samples::TensorSpec& p = (*plan)[i];
        WriterTensor& t = tensors[i];
        t.name = p.name;
        t.type = p.type;
        t.ne = p.ne;
        if (p.ne.size() == 1) {
            const std::string key = p.name.rfind("blk.", 0) == 0 ? p.name.substr(p.name.find('.', 4) + 1) : p.name;
            const auto it = vectors.find(key);
            if (it == vectors.end()) errors[i] = "no vector for " + p.name;
            else t.data.assign(it->second->bytes().begin(), it->second->bytes().end());
            continue;
        }
        std::uint64_t n = 1;
        for (const auto d : p.ne) n *= d;
        t.data.resize(*byte_size(p.type, n));
        if (!random_blocks(p.type, t.data, std::hash<std::string>{}(p.name), 0.02f))
            errors[i] = p.name + ": no random blocks for " + type_label(p.type);
    }
    for (const auto& e : errors)
        if (!e.empty()) fail(e);
    for (auto& t : tensors)
        if (auto a = out.add_tensor(std::move(t)); !a) fail(a.error().describe());
    if (auto w = out.write(path); !w) fail(w.error().describe());
    auto check = gguf::open(path);
    if (!check) fail(check.error().describe());
    auto spec = model::read_spec(*check);
    if (!spec || spec->n_layer != config.n_layer || spec->n_embd != config.n_embd) fail("the written model's metadata is off");
}

// A little-endian float16 .npy of `shape` (outermost first).
void write_npy_f16(const fs::path& path, const std::vector<std::uint64_t>& shape, const std::vector<std::uint16_t>& values) {
    std::string dims;
    for (const auto d : shape) dims += std::to_string(d) + ", ";
    std::string header = "{'descr': '<f2', 'fortran_order': False, 'shape': (" + dims + "), }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto n = static_cast<std::uint16_t>(header.size());
    const char len[2] = {static_cast<char>(n & 0xFF), static_cast<char>(n >> 8)};
    out.write(len, 2);
    out << header;
    out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 2));
    if (!out) fail("cannot write " + path.string());
}

void export_weights(const fs::path& model_path, const fs::path& dir) {
    auto model = gguf::open(model_path);
    if (!model) fail(model.error().describe());
    auto spec = model::read_spec(*model);
    if (!spec) fail(spec.error().describe());
    fs::create_directories(dir);
    nlohmann::ordered_json config;
    config["architecture"] = spec->architecture;
    config["n_vocab"] = model->find_tensor("token_embd.weight")->ne[1];
    config["n_embd"] = spec->n_embd;
    config["n_layer"] = spec->n_layer;
    config["n_head"] = spec->n_head;
    config["n_head_kv"] = spec->n_head_kv;
    config["head_dim"] = spec->head_dim;
    config["n_ff"] = spec->n_ff;
    config["rms_eps"] = spec->rms_eps;
    config["rope_base"] = spec->rope.freq_base;
    config["tied_output"] = model->find_tensor("output.weight") == nullptr;
    config["attention_bias"] = model->find_tensor("blk.0.attn_q.bias") != nullptr;
    config["n_ctx"] = spec->n_ctx_train;
    std::ofstream(dir / "config.json") << config.dump(2) << "\n";
    for (const TensorInfo& t : model->tensors()) {
        auto view = model->view(t);
        if (!view) fail(view.error().describe());
        auto values = dequant::to_float(*view);
        if (!values) fail(values.error().describe());
        std::vector<std::uint16_t> halves(values->size());
#pragma omp parallel for
        for (std::size_t i = 0; i < halves.size(); ++i) halves[i] = fp32_to_fp16((*values)[i]);
        std::vector<std::uint64_t> shape;
        for (std::uint32_t d = t.n_dims; d-- > 0;) shape.push_back(t.ne[d]);
        write_npy_f16(dir / (t.name + ".npy"), shape, halves);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) fail("usage: bench_cuda_model make|export ...");
    const std::string verb = argv[1];
    std::string preset, mix, out, model;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string key = argv[i], value = argv[i + 1];
        if (key == "--preset") preset = value;
        else if (key == "--mix") mix = value;
        else if (key == "--out") out = value;
        else if (key == "--model") model = value;
        else fail("unknown option " + key);
    }
    if (verb == "make") {
        samples::ModelConfig config = config_for(preset);
        if (auto m = samples::apply_mix(config, mix); !m) fail(m.error().describe());
        auto plan = samples::plan_tensors(config);
        if (!plan) fail(plan.error().describe());
        if (std::all_of(plan->begin(), plan->end(), [](const auto& t) { return samples::can_encode(t.type); })) {
            if (auto w = samples::write_model(config, out); !w) fail(w.error().describe());
        } else {
            write_random_model(config, out);
        }
        return 0;
    }
    if (verb == "export") {
        export_weights(model, out);
        return 0;
    }
    fail("unknown verb " + verb);
}
