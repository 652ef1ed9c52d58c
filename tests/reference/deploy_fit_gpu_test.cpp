// fit's GPU placement against llama.cpp's CUDA build: a model is loaded with n_gpu_layers N and a
// context created, and the weights and KV cache llama.cpp logs for each device (CPU, CUDA0, CUDA1...)
// are compared with fit's plan for the same N: within 1% (or the log's two-decimal rounding).
//
// The CUDA build is node-llama-cpp's optional package @node-llama-cpp/linux-x64-cuda of the same
// release as the CPU reference (tests/reference/install.sh --cuda). It is loaded at run time with
// dlopen, in a child process per model and setting: this program links no llama.cpp library, so the
// CUDA build's libraries cannot be mixed with the CPU build's, and CUDA is never initialized before a
// fork. Without the package, its CUDA runtime libraries or a CUDA device the program exits 77 (CTest:
// skipped) after saying why. GGUF_DOCTOR_CUDA_REFERENCE_LIB overrides the library folder.
#include <dlfcn.h>
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "gguf/deploy/fit.hpp"
#include "gguf/samples/generator.hpp"
#include "reference/llama_context_probe.hpp"  // the structs of llama.h; its functions are not called here
#include "rules/fixture.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
namespace fs = std::filesystem;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr int kNoCudaBuild = 4, kNoCudaDevice = 5;

fs::path cuda_lib_dir() {
    if (const char* dir = std::getenv("GGUF_DOCTOR_CUDA_REFERENCE_LIB"); dir && *dir) return dir;
    return fs::path(GGUF_DOCTOR_REFERENCE_DIR) / "node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda";
}

// The functions of the CUDA build this test calls, looked up after dlopen.
struct CudaBuild {
    void (*load_all_from_path)(const char*) = nullptr;
    std::size_t (*dev_count)() = nullptr;
    void* (*dev_get)(std::size_t) = nullptr;
    int (*dev_type)(void*) = nullptr;
    void (*llama_log)(void (*)(int, const char*, void*), void*) = nullptr;
    void (*ggml_log)(void (*)(int, const char*, void*), void*) = nullptr;
    std::size_t (*max_devices)() = nullptr;
    llama_model_params (*model_defaults)() = nullptr;
    llama_model* (*load_model)(const char*, llama_model_params) = nullptr;
    llama_context_params (*context_defaults)() = nullptr;
    llama_context* (*init_context)(llama_model*, llama_context_params) = nullptr;
};

template <typename F>
bool find(void* lib, const char* name, F& out, std::string& why) {
    out = reinterpret_cast<F>(::dlsym(lib, name));
    if (!out) why = std::string("missing symbol ") + name;
    return out != nullptr;
}

// libggml-base, libggml and libllama of the CUDA build, by full path in dependency order (libllama
// names libggml by its soname, which is then already loaded); the backends (CPU variants, CUDA) are
// plugins in the same folder.
bool open_cuda_build(CudaBuild& b, std::string& why) {
    const fs::path dir = cuda_lib_dir();
    void* libs[3] = {};
    const char* names[3] = {"libggml-base.so", "libggml.cuda.v0.5.0.so", "libllama.cuda.v0.5.0.so"};
    for (int i = 0; i < 3; ++i) {
        libs[i] = ::dlopen((dir / names[i]).c_str(), RTLD_NOW | RTLD_GLOBAL);
        if (!libs[i]) {
            why = std::string("cannot load ") + (dir / names[i]).string() + ": " + ::dlerror();
            return false;
        }
    }
    return find(libs[1], "ggml_backend_load_all_from_path", b.load_all_from_path, why) &&
           find(libs[1], "ggml_backend_dev_count", b.dev_count, why) && find(libs[1], "ggml_backend_dev_get", b.dev_get, why) &&
           find(libs[1], "ggml_backend_dev_type", b.dev_type, why) && find(libs[2], "llama_log_set", b.llama_log, why) &&
           find(libs[0], "ggml_log_set", b.ggml_log, why) && find(libs[2], "llama_max_devices", b.max_devices, why) &&
           find(libs[2], "llama_model_default_params", b.model_defaults, why) &&
           find(libs[2], "llama_model_load_from_file", b.load_model, why) &&
           find(libs[2], "llama_context_default_params", b.context_defaults, why) &&
           find(libs[2], "llama_init_from_model", b.init_context, why);
}

void log_all(int, const char* text, void*) { std::fputs(text, stderr); }

struct Logged {
    int status = -1;  // the child's exit code; kNoCudaBuild, kNoCudaDevice; -1 a signal
    int n_gpus = 0;
    std::map<std::string, double> weights_mib, kv_mib, rs_mib;  // by buffer name: CPU, CUDA_Host, CUDA0...
    std::string log;
};

constexpr std::uint32_t kContext = 4096;

// In a child: load the model with `n_gpu_layers` on the CUDA devices (layers split evenly between
// them), no mmap, no host or extra buffer types (so the CPU's share is its own buffer), and create a
// context of kContext cells with llama.cpp's other defaults.
Logged load_on_gpus(const fs::path& model, int n_gpu_layers, const fs::path& log_path) {
    std::fflush(nullptr);
    const fs::path count_path = log_path.string() + ".gpus";
    const pid_t pid = ::fork();
    if (pid == 0) {
        for (int sig : {SIGABRT, SIGSEGV, SIGFPE, SIGILL, SIGBUS}) std::signal(sig, SIG_DFL);
        ::setenv("GGML_NO_BACKTRACE", "1", 1);
        if (!std::freopen(log_path.c_str(), "w", stderr)) ::_exit(3);
        CudaBuild b;
        std::string why;
        if (!open_cuda_build(b, why)) {
            std::fprintf(stderr, "%s\n", why.c_str());
            std::fflush(stderr);
            ::_exit(kNoCudaBuild);
        }
        b.llama_log(log_all, nullptr);
        b.ggml_log(log_all, nullptr);
        b.load_all_from_path(cuda_lib_dir().c_str());
        int n_gpus = 0;
        for (std::size_t i = 0; i < b.dev_count(); ++i)
            if (b.dev_type(b.dev_get(i)) == 1 /* GGML_BACKEND_DEVICE_TYPE_GPU */) ++n_gpus;
        if (std::FILE* f = std::fopen(count_path.c_str(), "w")) {
            std::fprintf(f, "%d\n", n_gpus);
            std::fclose(f);
        }
        if (n_gpus == 0) {
            std::fflush(stderr);
            ::_exit(kNoCudaDevice);
        }
        std::vector<float> split(b.max_devices(), 0.0f);
        for (int g = 0; g < n_gpus && g < static_cast<int>(split.size()); ++g) split[static_cast<std::size_t>(g)] = 1.0f;
        llama_model_params mp = b.model_defaults();
        mp.n_gpu_layers = n_gpu_layers;
        mp.split_mode = 1;  // LLAMA_SPLIT_MODE_LAYER
        mp.tensor_split = split.data();
        mp.load_mode = 0;   // LLAMA_LOAD_MODE_NONE: no mmap, so no CPU_Mapped range spanning other devices' tensors
        mp.use_extra_bufts = false;
        mp.no_host = true;
        llama_model* m = b.load_model(model.c_str(), mp);
        if (!m) {
            std::fflush(stderr);
            ::_exit(1);
        }
        llama_context_params cp = b.context_defaults();
        cp.n_ctx = kContext;
        cp.swa_full = false;
        llama_context* c = b.init_context(m, cp);
        std::fflush(stderr);
        ::_exit(c ? 0 : 2);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    Logged out;
    out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream(count_path) >> out.n_gpus;
    std::stringstream text;
    text << std::ifstream(log_path).rdbuf();
    out.log = text.str();
    const auto collect = [&](const char* what, std::map<std::string, double>& into) {
        const std::regex re(std::string(R"((\S+) )") + what + R"( buffer size =\s*([0-9.]+) MiB)");
        for (std::sregex_iterator it(out.log.begin(), out.log.end(), re), end; it != end; ++it)
            into[(*it)[1].str()] += std::stod((*it)[2].str());
    };
    collect("model", out.weights_mib);
    collect("KV", out.kv_mib);
    collect("RS", out.rs_mib);
    return out;
}

// The CPU's share as llama.cpp names its buffers: its own, and the mapped or pinned kinds.
double cpu_share(const std::map<std::string, double>& by_buffer) {
    double total = 0;
    for (const auto& [name, mib] : by_buffer)
        if (name == "CPU" || name == "CPU_Mapped" || name == "CUDA_Host") total += mib;
    return total;
}

double gpu_share(const std::map<std::string, double>& by_buffer, int gpu) {
    const auto it = by_buffer.find("CUDA" + std::to_string(gpu));
    return it == by_buffer.end() ? 0 : it->second;
}

// Within 1%, or within the two-decimal rounding of the logged MiB.
bool agrees(double ours, double theirs) {
    return std::abs(ours - theirs) <= 0.01 || (theirs > 0 && std::abs(ours - theirs) / theirs <= 0.01);
}

}  // namespace

TEST_CASE("GPU placement: the weights and KV cache fit puts on each device are those llama.cpp's CUDA build puts there") {
    test::TempDir dir;
    struct Model {
        std::string_view preset, mix;
        std::uint32_t n_layer;  // 0: the preset's own
    };
    // Untied (llama) and tied (qwen3: the output layer's copy of the embedding on a GPU) heads,
    // quantized rows, sliding-window and recurrent layers.
    const Model models[] = {{"tiny-llama", "f32", 8}, {"tiny-llama", "q8_0", 8}, {"tiny-qwen3", "q8_0", 8},
                            {"tiny-gemma3", "f32", 0}, {"tiny-qwen35", "f32", 0}};
    std::string table = "\n| model | n_gpu_layers | device | weights ours/llama (MiB) | KV ours/llama (MiB) |\n| --- | --- | --- | --- | --- |";
    int n = 0;
    for (const Model& model : models) {
        auto config = samples::preset(model.preset).value();
        if (model.n_layer) config.n_layer = model.n_layer;
        REQUIRE(samples::apply_mix(config, model.mix).ok());
        const fs::path path = dir / fmt::format("{}-{}.gguf", model.preset, model.mix);
        REQUIRE(samples::write_model(config, path).ok());
        auto opened = open(path);
        REQUIRE(opened.ok());
        const int n_layer = static_cast<int>(config.n_layer);
        for (const int n_gpu_layers : {0, 1, n_layer / 2, n_layer, n_layer + 1, -1}) {
            const std::string label = fmt::format("{} ({} layers) {}", model.preset, n_layer, model.mix);
            CAPTURE(label);
            CAPTURE(n_gpu_layers);
            const Logged logged = load_on_gpus(path, n_gpu_layers, dir / fmt::format("gpu{}.log", n++));
            if (logged.status == kNoCudaBuild || logged.status == kNoCudaDevice) {
                std::printf("SKIPPED: %s\n%s", logged.status == kNoCudaBuild
                                                    ? "llama.cpp's CUDA build cannot be loaded (tests/reference/install.sh --cuda "
                                                      "installs it; its CUDA 13 runtime libraries must be on the library path):"
                                                    : "llama.cpp's CUDA build sees no CUDA device:",
                            logged.log.c_str());
                std::fflush(stdout);
                std::_Exit(77);
            }
            REQUIRE_MESSAGE(logged.status == 0, logged.log);
            deploy::FitOptions o;
            o.n_ctx = kContext;
            o.gpu_memory.assign(static_cast<std::size_t>(logged.n_gpus), std::uint64_t{80} << 30);  // equal shares
            o.n_gpu_layers = n_gpu_layers;
            auto fit = deploy::plan_fit(*opened, o);
            REQUIRE_MESSAGE(fit.ok(), fit.error().describe());
            for (std::size_t d = 0; d < fit->devices.size(); ++d) {
                const auto& device = fit->devices[d];
                const int gpu = static_cast<int>(d) - 1;
                const double w_ours = device.weights / kMiB, kv_ours = (device.kv_cache + device.recurrent_state) / kMiB;
                const double w_llama = gpu < 0 ? cpu_share(logged.weights_mib) : gpu_share(logged.weights_mib, gpu);
                const double kv_llama = gpu < 0 ? cpu_share(logged.kv_mib) + cpu_share(logged.rs_mib)
                                                : gpu_share(logged.kv_mib, gpu) + gpu_share(logged.rs_mib, gpu);
                table += fmt::format("\n| {} | {} | {} | {:.2f} / {:.2f} | {:.2f} / {:.2f} |", label, n_gpu_layers, device.name,
                                     w_ours, w_llama, kv_ours, kv_llama);
                CHECK_MESSAGE(agrees(w_ours, w_llama), device.name << " weights: ours " << w_ours << " MiB, llama.cpp " << w_llama
                                                                   << "\n" << logged.log);
                CHECK_MESSAGE(agrees(kv_ours, kv_llama), device.name << " KV cache and state: ours " << kv_ours
                                                                     << " MiB, llama.cpp " << kv_llama);
            }
        }
    }
    MESSAGE(table);
}
