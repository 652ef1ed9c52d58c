// What the commands that run a forward pass share (logits, trace, check, diff): the backend
// (--threads, --gpu, --device) and the input tokens (--prompt or --tokens).
#pragma once

#include <memory>
#include <optional>
#include <variant>
#include <string>
#include <vector>

#include "cli.hpp"
#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/forward.hpp"
#include "gguf/tokenizer/tokenizer.hpp"

namespace gguf::cli {

struct BackendOptions {
    int threads = 0;     // CPU threads; 0: every core
    bool gpu = false;    // the CUDA pass instead of the CPU reference
    int device = 0;      // CUDA device index
    std::uint64_t gpu_memory_limit_mb = 0;  // device memory the CUDA pass may use; 0: what is free
    std::string gpu_precision = "fp32";     // the CUDA pass's matrix products: "fp32" or "tf32"
    // CPU: decoded weights kept between evaluate() calls (forward::CpuOptions::keep_decoded_bytes).
    std::uint64_t keep_decoded_bytes = 0;
};

// Adds --threads, --gpu, --device, --gpu-memory-limit and --gpu-precision.
void add_backend_options(po::options_description& options, BackendOptions& backend);

// A usage problem with those options (--gpu in a build without CUDA, a negative count, an unknown
// precision or one without --gpu): prints it and
// returns exit_usage; nullopt when they are fine.
std::optional<int> check_backend_options(const BackendOptions& options, std::string_view command);

// The forward pass the options ask for, over `model` (which must outlive it): the CPU reference, or
// with --gpu the CUDA pass when this build has one (an error says so when it has not).
Result<std::unique_ptr<forward::Forward>> make_backend(const Container& model, const BackendOptions& options);

// The CUDA pass, from the module gguf_doctor_cuda.so loaded on first use (cuda_backend_loader.cpp;
// compiled when GGUF_DOCTOR_HAVE_CUDA_FORWARD).
Result<std::unique_ptr<forward::Forward>> make_cuda_backend(const Container& model, const BackendOptions& options);

struct InputOptions {
    std::string prompt;  // tokenized with the model's tokenizer, as llama.cpp's tools do
    std::string tokens;  // "1,2,3": used exactly as given (no BOS)
};

// Adds --prompt and --tokens.
void add_input_options(po::options_description& options, InputOptions& input);

struct Input {
    std::vector<std::int32_t> tokens;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;  // the model's tokenizer when it has a usable one
};

// Resolves the input: exactly one of --prompt and --tokens; ids must lie in [0, n_vocab). Prints the
// problem and returns the exit code on failure. The tokenizer is loaded in both cases when possible
// (to show token texts); --prompt without a usable tokenizer is an error.
std::variant<Input, int> resolve_input(const Container& model, const InputOptions& options, std::string_view command);

// A token's text for display: the piece with control characters escaped, or "" without a tokenizer.
std::string token_text(const tokenizer::Tokenizer* tokenizer, std::int32_t id);

}  // namespace gguf::cli
