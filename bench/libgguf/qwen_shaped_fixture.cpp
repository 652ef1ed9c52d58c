#include "qwen_shaped_fixture.hpp"

#include <stdexcept>

#include "gguf/samples/generator.hpp"

namespace gguf::bench {

std::filesystem::path qwen_shaped_path(const std::filesystem::path& cache_dir) {
    return cache_dir / "qwen2.5-0.5b-q8_0-real-vocab.gguf";
}

std::filesystem::path qwen_shaped_file(const std::filesystem::path& cache_dir, const std::filesystem::path& vocab_file) {
    const auto path = qwen_shaped_path(cache_dir);
    if (std::filesystem::exists(path)) return path;
    std::filesystem::create_directories(cache_dir);

    auto config = samples::preset("qwen2.5-0.5b");
    if (!config) throw std::runtime_error(config.error().describe());
    if (auto mixed = samples::apply_mix(*config, "q8_0"); !mixed) throw std::runtime_error(mixed.error().describe());
    config->vocab_from = vocab_file;
    config->n_vocab_padding = 0;  // the copied vocabulary is padded up to n_vocab instead
    if (auto written = samples::write_model(*config, path); !written) throw std::runtime_error(written.error().describe());
    return path;
}

}  // namespace gguf::bench
