// Our verdict on LoRA adapters (checked against their base model) against llama.cpp's own LoRA loader
// (llama_adapter_lora_init on the loaded base model, in a child process): a healthy adapter and each
// kind of damage its loader checks.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <functional>

#include "deploy/lora_fixture.hpp"
#include "gguf/deploy/file_kind.hpp"
#include "reference/llama_load_probe.hpp"
#include "rules/fixture.hpp"
#include "support/temp_dir.hpp"

extern "C" {
struct llama_adapter_lora;
llama_adapter_lora* llama_adapter_lora_init(llama_model* model, const char* path_lora);
}

using namespace gguf;
namespace fs = std::filesystem;

namespace {

bool llama_accepts_adapter(const fs::path& base, const fs::path& adapter, const fs::path& log_path) {
    reference::load_reference_backends();
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        for (int sig : {SIGABRT, SIGSEGV, SIGFPE, SIGILL, SIGBUS}) std::signal(sig, SIG_DFL);
        ::setenv("GGML_NO_BACKTRACE", "1", 1);
        if (!std::freopen(log_path.c_str(), "w", stderr)) ::_exit(3);
        llama_model_params mp = llama_model_default_params();
        mp.n_gpu_layers = 0;
        llama_model* m = llama_model_load_from_file(base.c_str(), mp);
        if (!m) ::_exit(4);
        ::_exit(llama_adapter_lora_init(m, adapter.c_str()) ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE_MESSAGE(!(WIFEXITED(status) && WEXITSTATUS(status) == 4), "llama.cpp cannot load the base model");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

TEST_CASE("the LoRA verdict equals what llama.cpp's LoRA loader does with the adapter") {
    test::TempDir dir;
    const Writer base = test::build(test::config("tiny-llama", 2));
    REQUIRE(base.write(dir / "base.gguf").ok());
    auto base_model = open(dir / "base.gguf");
    REQUIRE(base_model.ok());

    std::vector<std::pair<std::string, Writer>> cases;
    cases.emplace_back("healthy adapter", test::lora_adapter(base));
    {
        Writer w = test::lora_adapter(base);
        w.erase("adapter.lora.alpha");
        cases.emplace_back("no alpha", w);
    }
    {
        Writer w = test::lora_adapter(base);
        test::remove_tensor(w, "blk.1.attn_v.weight.lora_b");
        cases.emplace_back("a pair without lora_b", w);
    }
    {
        Writer w = test::lora_adapter(base);
        test::edit_tensor(w, "blk.0.attn_q.weight.lora_b", [](WriterTensor& t) {
            t.ne[0] = 4;
            t.data.resize(4 * t.ne[1] * 4);
        });
        cases.emplace_back("rank 8 in lora_a, 4 in lora_b", w);
    }
    {
        Writer w = test::lora_adapter(base);
        test::edit_tensor(w, "blk.0.attn_q.weight.lora_b", [](WriterTensor& t) {
            t.ne[1] /= 2;
            t.data.resize(t.ne[0] * t.ne[1] * 4);
        });
        cases.emplace_back("lora_b of half the base's width", w);
    }
    {
        Writer w = test::lora_adapter(base);
        w.set("general.type", Value::string("model"));
        cases.emplace_back("general.type model", w);
    }
    {
        Writer w = test::lora_adapter(base);
        w.set("adapter.type", Value::string("control_vector"));
        cases.emplace_back("adapter.type control_vector", w);
    }
    {
        Writer w = test::lora_adapter(base);
        w.set("general.architecture", Value::string("qwen2"));
        cases.emplace_back("adapter for another architecture", w);
    }
    {
        Writer w = test::lora_adapter(base);
        WriterTensor extra = test::tensor(w, "blk.0.attn_q.weight.lora_a");
        extra.name = "blk.0.attn_q.weight.delta";
        REQUIRE(w.add_tensor(extra).ok());
        cases.emplace_back("a tensor of another suffix", w);
    }
    {
        Writer w = test::lora_adapter(base);
        WriterTensor a = test::tensor(w, "blk.0.attn_q.weight.lora_a"), b = test::tensor(w, "blk.0.attn_q.weight.lora_b");
        a.name = "blk.0.attn_x.weight.lora_a";
        b.name = "blk.0.attn_x.weight.lora_b";
        REQUIRE(w.add_tensor(a).ok());
        REQUIRE(w.add_tensor(b).ok());
        cases.emplace_back("a pair for a tensor the base does not have", w);
    }

    int n = 0, agreed = 0, refused = 0;
    std::string table;
    for (const auto& one_case : cases) {
        const std::string& name = one_case.first;  // not a structured binding: CHECK_MESSAGE's lambda takes it (clang 14)
        const auto& w = one_case.second;
        const fs::path path = dir / fmt::format("lora{}.gguf", n);
        REQUIRE(w.write(path).ok());
        auto adapter = open(path);
        REQUIRE(adapter.ok());
        CHECK(deploy::file_kind(*adapter).kind == deploy::FileKind::lora_adapter);  // adapter.type says so in every case
        const auto ours = deploy::lora_verdict(*adapter, &*base_model);
        const bool accepted = llama_accepts_adapter(dir / "base.gguf", path, dir / fmt::format("lora{}.log", n++));
        refused += !accepted;
        std::string reasons;
        for (const auto& r : ours.refusals) reasons += "\n    ours: " + r.subject + ": " + r.message;
        table += "\n  " + name + ": llama.cpp " + (accepted ? "accepts" : "refuses") + ", ours " +
                 (ours.refuses() ? "refuses" : "accepts");
        CHECK_MESSAGE(ours.refuses() == !accepted, name << ": llama.cpp " << std::string(accepted ? "accepts" : "refuses") << reasons);
        agreed += ours.refuses() == !accepted;
    }
    MESSAGE(agreed << " of " << n << " adapters agree (llama.cpp refuses " << refused << ")" << table);
    CHECK(refused >= 6);
}
