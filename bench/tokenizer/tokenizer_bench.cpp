// Tokenizer speed against llama.cpp in the same run: building the tokenizer from a vocabulary file,
// and encoding a text of about 100 KB (the test corpus repeated), on llama.cpp's test vocabularies.
//   bench_tokenizer [VOCAB_DIR]     (default: .cache/reference/vocab)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "reference/ggml_reference.hpp"
#include "tokenizer/corpus.hpp"

namespace fs = std::filesystem;

namespace {

void quiet(int, const char*, void*) {}

// Median wall time of `runs` calls, in milliseconds.
double median_ms(int runs, const std::function<void()>& work) {
    std::vector<double> times;
    for (int i = 0; i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        work();
        times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path(GGUF_DOCTOR_SOURCE_DIR) / ".cache/reference/vocab";
    llama_log_set(quiet, nullptr);
    ggml_log_set(quiet, nullptr);

    std::string text;
    const auto corpus = gguf::test::load_corpus(gguf::test::corpus_path());
    while (text.size() < 100000)
        for (const auto& t : corpus) text += t + "\n";

    std::printf("%-14s %12s %12s %7s   %14s %14s %7s\n", "vocabulary", "load ours", "load llama", "ratio",
                "encode ours", "encode llama", "ratio");
    for (const char* name : {"llama-spm", "llama-bpe", "qwen2", "gpt-2"}) {
        const fs::path path = dir / (std::string("ggml-vocab-") + name + ".gguf");
        if (!fs::exists(path)) {
            std::fprintf(stderr, "missing %s (run tests/reference/install.sh)\n", path.c_str());
            return 1;
        }
        std::unique_ptr<gguf::tokenizer::Tokenizer> ours;
        const double load_ours = median_ms(5, [&] {
            auto model = gguf::open(path);
            auto loaded = gguf::tokenizer::load_tokenizer(*model);
            ours = std::move(loaded.value());
        });
        llama_model* llama = nullptr;
        const double load_llama = median_ms(5, [&] {
            if (llama) llama_model_free(llama);
            llama_model_params params = llama_model_default_params();
            params.vocab_only = true;
            llama = llama_model_load_from_file(path.c_str(), params);
        });
        const llama_vocab* vocab = llama_model_get_vocab(llama);

        std::size_t n_ours = 0, n_llama = 0;
        const double encode_ours = median_ms(3, [&] { n_ours = ours->encode(text, true, false).size(); });
        std::vector<std::int32_t> ids(text.size() + 16);
        const double encode_llama = median_ms(3, [&] {
            n_llama = static_cast<std::size_t>(llama_tokenize(vocab, text.data(), static_cast<int>(text.size()), ids.data(),
                                                              static_cast<int>(ids.size()), true, false));
        });
        llama_model_free(llama);
        std::printf("%-14s %9.1f ms %9.1f ms %6.2fx   %11.1f ms %11.1f ms %6.2fx%s\n", name, load_ours, load_llama,
                    load_ours / load_llama, encode_ours, encode_llama, encode_ours / encode_llama,
                    n_ours == n_llama ? "" : "  (token counts differ!)");
    }
    std::printf("text: %zu bytes; ratio = ours / llama.cpp (below 1: faster)\n", text.size());
    return 0;
}
