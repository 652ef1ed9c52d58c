// gguf-samples: writes a real-architecture sample model (see docs/samples.md).
//   gguf-samples --preset tiny-qwen2 --type q4_k_m -o tiny-qwen2-q4_k_m.gguf
//   gguf-samples --preset tinyllama-1.1b --type f16 -o tinyllama.gguf
//   gguf-samples --preset tiny-llama --weights-from weights/ --vocab-from vocab.gguf -o trained.gguf
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "gguf/samples/generator.hpp"

namespace po = boost::program_options;
using gguf::samples::ModelConfig;

namespace {

constexpr int kOk = 0, kFailed = 2, kUsage = 3;

std::string joined(const std::vector<std::string_view>& names) {
    std::string s;
    for (auto n : names) s += (s.empty() ? "" : ", ") + std::string(n);
    return s;
}

bool parse_norms(const std::string& s, gguf::samples::NormStyle& out) {
    if (s == "llama") out = gguf::samples::NormStyle::llama;
    else if (s == "qwen") out = gguf::samples::NormStyle::qwen;
    else if (s == "ones") out = gguf::samples::NormStyle::ones;
    else if (s == "gemma") out = gguf::samples::NormStyle::gemma;
    else return false;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description opts("gguf-samples: write a sample model llama.cpp can load\n\nOptions");
    // clang-format off
    opts.add_options()
        ("help,h", "this help")
        ("list", "list presets and type mixes")
        ("output,o", po::value<std::string>()->value_name("FILE"), "output .gguf file")
        ("preset,p", po::value<std::string>()->default_value("tiny-llama")->value_name("NAME"),
         "starting configuration")
        ("type,t", po::value<std::string>()->value_name("MIX"),
         "type mix: f32, f16, bf16, q8_0, q4_0, q6_k, q4_k_m, q5_k_m, iq1_s, iq1_m, iq2_xxs, iq2_xs, iq2_s, "
         "iq3_xxs, iq3_s, tq1_0, tq2_0")
        ("tensor-type", po::value<std::vector<std::string>>()->composing()->value_name("NAME=TYPE"),
         "one weight's type, e.g. blk.0.ffn_down.weight=q8_0 (repeatable)")
        ("arch", po::value<std::string>()->value_name("ARCH"),
         "llama, qwen2, qwen3, qwen35, qwen35moe, gemma3, qwen3moe, qwen2moe, gpt-oss, gemma2, olmo2, granite, phi3 or mistral3")
        ("name", po::value<std::string>()->value_name("TEXT"), "general.name")
        ("n-vocab", po::value<std::uint32_t>()->value_name("N"), "embedding rows (= tokens in the vocabulary)")
        ("n-vocab-padding", po::value<std::uint32_t>()->value_name("N"),
         "trailing rows that are no real token ([PAD<id>])")
        ("n-embd", po::value<std::uint32_t>()->value_name("N"), "hidden size")
        ("n-layer", po::value<std::uint32_t>()->value_name("N"), "blocks")
        ("n-head", po::value<std::uint32_t>()->value_name("N"), "attention heads")
        ("n-head-kv", po::value<std::uint32_t>()->value_name("N"), "key/value heads (grouped-query attention)")
        ("head-dim", po::value<std::uint32_t>()->value_name("N"), "head size")
        ("n-ff", po::value<std::uint32_t>()->value_name("N"), "feed-forward size")
        ("n-ctx", po::value<std::uint32_t>()->value_name("N"), "training context length")
        ("rms-eps", po::value<float>()->value_name("X"), "RMSNorm epsilon")
        ("rope-base", po::value<float>()->value_name("X"), "RoPE frequency base")
        ("tied", po::value<bool>()->value_name("BOOL"), "true: no output.weight (token_embd is reused)")
        ("attn-bias", po::value<bool>()->value_name("BOOL"), "true: q/k/v biases")
        ("seed", po::value<std::uint64_t>()->value_name("N"), "random weights seed")
        ("norms", po::value<std::string>()->value_name("STYLE"), "norm weights: llama, qwen, gemma or ones")
        ("tokenizer", po::value<std::string>()->value_name("KIND"), "synthetic vocabulary: spm or bpe")
        ("bpe-pre", po::value<std::string>()->value_name("NAME"),
         "tokenizer.ggml.pre of a bpe vocabulary (default qwen2)")
        ("vocab-from", po::value<std::string>()->value_name("FILE"),
         "copy the tokenizer of this GGUF (padded up to --n-vocab)")
        ("weights-from", po::value<std::string>()->value_name("DIR"),
         "folder of <tensor name>.npy files instead of random weights")
        ("hf-qk-order", po::bool_switch(), "the .npy q/k projections are in Hugging Face order: permute for llama");
    // clang-format on
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "gguf-samples: " << e.what() << "\n";
        return kUsage;
    }
    if (vm.count("help")) {
        std::cout << opts << "\n";
        return kOk;
    }
    if (vm.count("list")) {
        std::cout << "presets: " << joined(gguf::samples::preset_names()) << "\n"
                  << "type mixes: " << joined(gguf::samples::mix_names()) << "\n";
        return kOk;
    }
    if (!vm.count("output")) {
        std::cerr << "gguf-samples: --output is required (see --help)\n";
        return kUsage;
    }

    auto preset = gguf::samples::preset(vm["preset"].as<std::string>());
    if (!preset) {
        std::cerr << "gguf-samples: " << preset.error().message << " (" << joined(gguf::samples::preset_names()) << ")\n";
        return kUsage;
    }
    ModelConfig c = std::move(*preset);
    if (vm.count("arch")) {
        auto a = gguf::samples::parse_architecture(vm["arch"].as<std::string>());
        if (!a) {
            std::cerr << "gguf-samples: " << a.error().message << "\n";
            return kUsage;
        }
        c.architecture = *a;
    }
    auto u32 = [&](const char* key, std::uint32_t& field) {
        if (vm.count(key)) field = vm[key].as<std::uint32_t>();
    };
    u32("n-vocab", c.n_vocab);
    u32("n-vocab-padding", c.n_vocab_padding);
    u32("n-embd", c.n_embd);
    u32("n-layer", c.n_layer);
    u32("n-head", c.n_head);
    u32("n-head-kv", c.n_head_kv);
    u32("head-dim", c.head_dim);
    u32("n-ff", c.n_ff);
    u32("n-ctx", c.n_ctx);
    if (vm.count("name")) c.name = vm["name"].as<std::string>();
    if (vm.count("rms-eps")) c.rms_eps = vm["rms-eps"].as<float>();
    if (vm.count("rope-base")) c.rope_base = vm["rope-base"].as<float>();
    if (vm.count("tied")) c.tied_output = vm["tied"].as<bool>();
    if (vm.count("attn-bias")) c.attn_bias = vm["attn-bias"].as<bool>();
    if (vm.count("seed")) c.seed = vm["seed"].as<std::uint64_t>();
    if (vm.count("norms") && !parse_norms(vm["norms"].as<std::string>(), c.norms)) {
        std::cerr << "gguf-samples: --norms takes llama, qwen, gemma or ones\n";
        return kUsage;
    }
    if (vm.count("tokenizer")) {
        const auto& t = vm["tokenizer"].as<std::string>();
        if (t != "spm" && t != "bpe") {
            std::cerr << "gguf-samples: --tokenizer takes spm or bpe\n";
            return kUsage;
        }
        c.tokenizer = t == "spm" ? gguf::samples::TokenizerKind::spm : gguf::samples::TokenizerKind::bpe;
    }
    if (vm.count("bpe-pre")) c.bpe_pre = vm["bpe-pre"].as<std::string>();
    if (vm.count("vocab-from")) {
        c.vocab_from = vm["vocab-from"].as<std::string>();
        c.n_vocab_padding = 0;
        if (!vm.count("n-vocab")) c.n_vocab = 0;  // the source's size
    }
    if (vm.count("weights-from")) c.weights_from = vm["weights-from"].as<std::string>();
    c.weights_hf_qk_order = vm["hf-qk-order"].as<bool>();
    // A changed head count or width keeps the preset's head size only where it still fits.
    if ((vm.count("n-embd") || vm.count("n-head")) && !vm.count("head-dim") && c.n_head != 0) c.head_dim = c.n_embd / c.n_head;

    if (vm.count("type")) {
        if (auto r = gguf::samples::apply_mix(c, vm["type"].as<std::string>()); !r) {
            std::cerr << "gguf-samples: " << r.error().message << " (" << joined(gguf::samples::mix_names()) << ")\n";
            return kUsage;
        }
    }
    if (vm.count("tensor-type")) {
        for (const auto& spec : vm["tensor-type"].as<std::vector<std::string>>()) {
            const auto eq = spec.find('=');
            const gguf::TypeInfo* type = eq == std::string::npos ? nullptr : gguf::find_type(std::string_view(spec).substr(eq + 1));
            if (!type) {
                std::cerr << "gguf-samples: --tensor-type takes NAME=TYPE with a ggml type name, not '" << spec << "'\n";
                return kUsage;
            }
            c.types.per_tensor[spec.substr(0, eq)] = static_cast<std::uint32_t>(type->id);
        }
    }

    const std::string out = vm["output"].as<std::string>();
    if (auto r = gguf::samples::write_model(c, out); !r) {
        const auto& e = r.error();
        std::cerr << "gguf-samples: " << e.describe() << "\n";
        return e.code == gguf::ErrorCode::invalid_argument ? kUsage : kFailed;
    }
    std::cout << out << "\n";
    return kOk;
}
