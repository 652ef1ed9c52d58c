// Creates a llama.cpp context for a model in a child process and returns what llama.cpp logged while
// loading the model and sizing the context: its model, KV-cache and compute buffer sizes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <regex>
#include <string>

#include "reference/llama_load_probe.hpp"

extern "C" {
// llama.h's llama_context_params of the reference release (enums as int32, callbacks as pointers).
struct llama_context_params {
    uint32_t n_ctx, n_batch, n_ubatch, n_seq_max, n_rs_seq, n_outputs_max, n_outputs_max_per_seq;
    int32_t n_threads, n_threads_batch;
    int32_t ctx_type, rope_scaling_type, pooling_type, attention_type, flash_attn_type;
    float rope_freq_base, rope_freq_scale, yarn_ext_factor, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow;
    uint32_t yarn_orig_ctx;
    float defrag_thold;
    void* cb_eval;
    void* cb_eval_user_data;
    int32_t type_k, type_v;
    void* abort_callback;
    void* abort_callback_data;
    bool embeddings, offload_kqv, no_perf, op_offload, swa_full, kv_unified;
    void* samplers;
    size_t n_samplers;
    void* ctx_other;
};
struct llama_context;
llama_context_params llama_context_default_params(void);
llama_context* llama_init_from_model(llama_model* model, llama_context_params params);
void llama_free(llama_context* ctx);
}

namespace gguf::reference {

struct ContextSettings {
    std::uint32_t n_ctx = 512, n_batch = 2048, n_ubatch = 512;
    std::int32_t kv_type = 1;  // F16
    bool swa_full = false;     // as llama.cpp's tools (llama-cli, llama-server) default; the C API's default is true
};

// Sizes in MiB as llama.cpp logs them (two decimals), summed over its buffers.
struct LoggedSizes {
    bool created = false;
    double model_mib = 0, repack_mib = 0, kv_mib = 0, kv_k_mib = 0, kv_v_mib = 0, compute_mib = 0, output_mib = 0;
    double rs_mib = 0;  // the recurrent state of SSM / delta-net layers (llama_memory_recurrent's RS buffers)
    std::uint64_t model_bytes = 0;  // llama_model_size(): the tensors' bytes, exact
    std::string log;
};

inline void log_everything(int, const char* text, void*) { std::fputs(text, stderr); }

extern "C" uint64_t llama_model_size(const llama_model* model);

inline LoggedSizes llama_context_sizes(const std::filesystem::path& model, const ContextSettings& s,
                                       const std::filesystem::path& log_path) {
    load_reference_backends();
    std::fflush(nullptr);
    const std::filesystem::path size_path = log_path.string() + ".size";
    const pid_t pid = ::fork();
    if (pid == 0) {
        for (int sig : {SIGABRT, SIGSEGV, SIGFPE, SIGILL, SIGBUS}) std::signal(sig, SIG_DFL);
        ::setenv("GGML_NO_BACKTRACE", "1", 1);
        if (!std::freopen(log_path.c_str(), "w", stderr)) ::_exit(3);
        llama_log_set(log_everything, nullptr);
        ggml_log_set(log_everything, nullptr);
        llama_model_params mp = llama_model_default_params();
        mp.n_gpu_layers = 0;
        // As llama.cpp's --no-repack: the CPU backend's extra buffer types (REPACK, and AMX on CPUs that
        // have it) keep a second, re-laid-out copy of some matrices and take them out of the mapped
        // buffer, so what is logged would depend on the machine's CPU. fit counts the file's tensors once.
        mp.use_extra_bufts = false;
        llama_model* m = llama_model_load_from_file(model.c_str(), mp);
        if (!m) ::_exit(1);
        if (std::FILE* f = std::fopen(size_path.c_str(), "w")) {
            std::fprintf(f, "%llu\n", static_cast<unsigned long long>(llama_model_size(m)));
            std::fclose(f);
        }
        llama_context_params cp = llama_context_default_params();
        cp.n_ctx = s.n_ctx;
        cp.n_batch = s.n_batch;
        cp.n_ubatch = s.n_ubatch;
        cp.type_k = cp.type_v = s.kv_type;
        cp.swa_full = s.swa_full;
        cp.n_threads = cp.n_threads_batch = 1;
        llama_context* c = llama_init_from_model(m, cp);
        std::fflush(stderr);
        ::_exit(c ? 0 : 2);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    LoggedSizes out;
    out.created = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::ifstream in(log_path);
    std::stringstream text;
    text << in.rdbuf();
    out.log = text.str();
    std::ifstream(size_path) >> out.model_bytes;
    const auto sum = [&](const std::regex& re, int group = 1) {
        double total = 0;
        for (std::sregex_iterator it(out.log.begin(), out.log.end(), re), end; it != end; ++it)
            total += std::stod((*it)[group].str());
        return total;
    };
    // The buffers holding the file's tensors; CPU_REPACK is the CPU backend's second, re-laid-out copy
    // of some quantized matrices, kept apart.
    out.model_mib = sum(std::regex(R"((CPU_Mapped|CPU) model buffer size =\s*([0-9.]+) MiB)"), 2);
    out.repack_mib = sum(std::regex(R"((CPU_REPACK|AMX) model buffer size =\s*([0-9.]+) MiB)"), 2);
    out.compute_mib = sum(std::regex(R"(compute buffer size =\s*([0-9.]+) MiB)"));
    out.output_mib = sum(std::regex(R"(output buffer size =\s*([0-9.]+) MiB)"));
    out.rs_mib = sum(std::regex(R"(RS buffer size =\s*([0-9.]+) MiB)"));
    const std::regex kv(R"(llama_kv_cache: size =\s*([0-9.]+) MiB.*K \([a-z0-9_]+\):\s*([0-9.]+) MiB, V \([a-z0-9_]+\):\s*([0-9.]+) MiB)");
    out.kv_mib = sum(kv, 1);
    out.kv_k_mib = sum(kv, 2);
    out.kv_v_mib = sum(kv, 3);
    return out;
}

}  // namespace gguf::reference
