// Loads a model with the reference llama.cpp in a child process, so that a file on which llama.cpp
// stops the process (an assertion) is a refusal instead of the end of the test. The child's log lines
// (warnings and errors) come back for the failure messages.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "reference/ggml_reference.hpp"

extern "C" void ggml_backend_load_all_from_path(const char* dir_path);

namespace gguf::reference {

struct LoadOutcome {
    bool loaded = false;
    bool aborted = false;  // the child ended on a signal
    std::string log;       // llama.cpp's warnings and errors
};

inline void log_to_stderr(int level, const char* text, void*) {
    if (level >= 3) std::fputs(text, stderr);  // GGML_LOG_LEVEL_WARN, ERROR, CONT
}

// The CPU backends of the reference build are plugins; the children inherit them once loaded.
inline void load_reference_backends() {
    static const bool loaded = [] {
        const std::filesystem::path lib = std::filesystem::path(GGUF_DOCTOR_REFERENCE_DIR) /
                                          "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64";
        llama_log_set(log_to_stderr, nullptr);
        ggml_log_set(log_to_stderr, nullptr);
        ggml_backend_load_all_from_path(lib.c_str());
        return true;
    }();
    (void)loaded;
}

inline LoadOutcome llama_load_in_child(const std::filesystem::path& model, const std::filesystem::path& log_path) {
    load_reference_backends();
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        // The test framework's crash handlers and ggml's debugger backtrace are for the parent.
        for (int sig : {SIGABRT, SIGSEGV, SIGFPE, SIGILL, SIGBUS}) std::signal(sig, SIG_DFL);
        ::setenv("GGML_NO_BACKTRACE", "1", 1);
        if (std::FILE* log = std::freopen(log_path.c_str(), "w", stderr); !log) ::_exit(3);
        llama_model_params params = llama_model_default_params();
        params.n_gpu_layers = 0;
        llama_model* m = llama_model_load_from_file(model.c_str(), params);
        std::fflush(stderr);
        ::_exit(m ? 0 : 1);
    }
    LoadOutcome out;
    int status = 0;
    ::waitpid(pid, &status, 0);
    out.loaded = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    out.aborted = WIFSIGNALED(status);
    std::ifstream in(log_path);
    std::stringstream text;
    text << in.rdbuf();
    out.log = text.str();
    return out;
}

}  // namespace gguf::reference
