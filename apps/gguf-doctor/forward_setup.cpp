#include "forward_setup.hpp"

#include <charconv>
#include <cstdio>

#include "gguf/forward/cpu.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/value.hpp"

namespace gguf::cli {

void add_backend_options(po::options_description& options, BackendOptions& backend) {
    options.add_options()
        ("threads", po::value(&backend.threads)->default_value(0)->value_name("N"), "CPU threads (0: every core)")
        ("gpu", po::bool_switch(&backend.gpu), "run the CUDA forward pass instead of the CPU reference")
        ("device", po::value(&backend.device)->default_value(0)->value_name("N"), "CUDA device index (with --gpu)")
        ("gpu-memory-limit", po::value(&backend.gpu_memory_limit_mb)->value_name("MB"),
         "device memory the CUDA pass may use (with --gpu); a model larger than that runs layer by layer")
        ("gpu-precision", po::value(&backend.gpu_precision)->default_value("fp32")->value_name("fp32|tf32"),
         "matrix products of the CUDA pass (with --gpu): fp32, the CPU reference's precision, or tf32 on the "
         "tensor cores for batches of more than 8 tokens (FP32 sums; prompts about 3x faster on an H100, logits "
         "about 1e-4 apart from the CPU's relative to their largest, close greedy choices may flip)");
}

std::optional<int> check_backend_options(const BackendOptions& options, std::string_view command) {
    const std::string name(command);
    if (options.threads < 0 || options.device < 0) {
        print_error(name + ": --threads and --device must not be negative");
        return exit_usage;
    }
    if (options.gpu_precision != "fp32" && options.gpu_precision != "tf32") {
        print_error(name + ": --gpu-precision must be fp32 or tf32, not '" + options.gpu_precision + "'");
        return exit_usage;
    }
    if (options.gpu_precision != "fp32" && !options.gpu) {
        print_error(name + ": --gpu-precision " + options.gpu_precision + " applies to the CUDA pass: add --gpu");
        return exit_usage;
    }
#ifndef GGUF_DOCTOR_HAVE_CUDA_FORWARD
    if (options.gpu) {
        print_error(name + ": --gpu: this build of gguf-doctor has no CUDA forward pass");
        return exit_usage;
    }
#endif
    return std::nullopt;
}

Result<std::unique_ptr<forward::Forward>> make_backend(const Container& model, const BackendOptions& options) {
    if (options.gpu) {
#ifdef GGUF_DOCTOR_HAVE_CUDA_FORWARD
        return make_cuda_backend(model, options);
#else
        return Error{ErrorCode::invalid_argument, 0, "--gpu: this build of gguf-doctor has no CUDA forward pass", ""};
#endif
    }
    forward::CpuOptions cpu;
    cpu.threads = options.threads;
    cpu.keep_decoded_bytes = options.keep_decoded_bytes;
    return forward::make_cpu_forward(model, cpu);
}

void add_input_options(po::options_description& options, InputOptions& input) {
    options.add_options()
        ("prompt,p", po::value(&input.prompt)->value_name("TEXT"),
         "text, tokenized by the model's tokenizer as llama.cpp's tools do "
         "(BOS when the vocabulary asks for it, special tokens parsed)")
        ("tokens", po::value(&input.tokens)->value_name("IDS"),
         "token ids, e.g. 1,450,4996: used exactly as given (no BOS added)");
}

namespace {

// "1,2,3", "1 2 3" or "[1, 2, 3]".
std::optional<std::vector<std::int32_t>> parse_ids(const std::string& text) {
    std::vector<std::int32_t> ids;
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
        if (*p == ',' || *p == ' ' || *p == '[' || *p == ']' || *p == '\t' || *p == '\n') {
            ++p;
            continue;
        }
        std::int32_t id = 0;
        auto [next, ec] = std::from_chars(p, end, id);
        if (ec != std::errc() || next == p) return std::nullopt;
        ids.push_back(id);
        p = next;
    }
    return ids;
}

}  // namespace

std::variant<Input, int> resolve_input(const Container& model, const InputOptions& options, std::string_view command) {
    const std::string name(command);
    if (options.prompt.empty() == options.tokens.empty()) {
        print_error(name + ": give exactly one of --prompt and --tokens");
        return exit_usage;
    }
    Input input;
    auto loaded = tokenizer::load_tokenizer(model);
    if (loaded) input.tokenizer = std::move(loaded.value());
    if (!options.prompt.empty()) {
        if (!input.tokenizer) {
            print_error(name + ": --prompt needs the model's tokenizer, which cannot be used: " + loaded.error().describe() +
                        " (give --tokens instead)");
            return exit_unreadable;
        }
        input.tokens = input.tokenizer->encode(options.prompt, true, true);
    } else {
        auto ids = parse_ids(options.tokens);
        if (!ids) {
            print_error(name + ": --tokens '" + options.tokens + "' is not a list of integers");
            return exit_usage;
        }
        input.tokens = std::move(*ids);
    }
    if (input.tokens.empty()) {
        print_error(name + ": no tokens to evaluate");
        return exit_usage;
    }
    if (const TensorInfo* embd = model.find_tensor("token_embd.weight")) {
        for (const std::int32_t id : input.tokens)
            if (id < 0 || static_cast<std::uint64_t>(id) >= embd->ne[1]) {
                print_error(name + ": token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                            std::to_string(embd->ne[1]) + ")");
                return exit_usage;
            }
    }
    return input;
}

std::string token_text(const tokenizer::Tokenizer* tok, std::int32_t id) {
    if (!tok || id < 0 || id >= tok->n_tokens()) return "";
    const std::string piece = tok->token_piece(id);
    const bool valid = is_valid_utf8(piece);
    std::string out;
    for (const char c : piece) {
        const auto b = static_cast<unsigned char>(c);
        if (valid && c == '\n') out += "\\n";
        else if (valid && c == '\t') out += "\\t";
        else if (valid && c == '\\') out += "\\\\";
        else if (!valid || b < 0x20 || b == 0x7F) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", b);
            out += hex;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace gguf::cli
