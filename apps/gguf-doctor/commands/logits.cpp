// gguf-doctor logits FILE (--prompt TEXT | --tokens IDS) [--top K] [--out logits.npy] [--json]:
// the reference logits of every position, with the top tokens of each; --out keeps them all as float32
// [n_tokens, n_vocab] for comparison with another engine.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli.hpp"
#include "commands.hpp"
#include "forward_setup.hpp"
#include "gguf/forward/trace_io.hpp"

namespace gguf::cli {
namespace {

struct Candidate {
    std::int32_t id;
    float logit;
    double probability;
};

std::vector<Candidate> top_candidates(std::span<const float> row, std::size_t k) {
    double max = -INFINITY;
    for (const float x : row) max = std::max<double>(max, x);
    double z = 0;
    for (const float x : row) z += std::exp(static_cast<double>(x) - max);
    std::vector<std::int32_t> ids(row.size());
    std::iota(ids.begin(), ids.end(), 0);
    k = std::min(k, ids.size());
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(),
                      [&](auto a, auto b) { return row[static_cast<std::size_t>(a)] > row[static_cast<std::size_t>(b)]; });
    std::vector<Candidate> top;
    for (std::size_t i = 0; i < k; ++i) {
        const float x = row[static_cast<std::size_t>(ids[i])];
        top.push_back({ids[i], x, std::exp(static_cast<double>(x) - max) / z});
    }
    return top;
}

}  // namespace

int run_logits(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string path, out;
    std::size_t top = 5;
    InputOptions input_options;
    BackendOptions backend;
    options.add_options()
        ("file", po::value(&path)->required()->value_name("FILE"), "the GGUF model");
    add_input_options(options, input_options);
    options.add_options()
        ("top,k", po::value(&top)->default_value(5)->value_name("K"), "top tokens shown per position")
        ("out,o", po::value(&out)->value_name("FILE"),
         "write every position's logits as float32 [n_tokens, n_vocab] .npy")
        ("last", "show only the last position")
        ("json", "print JSON instead of text");
    add_backend_options(options, backend);
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto done = parse(args, "logits", "FILE (--prompt TEXT | --tokens IDS) [--top K] [--out logits.npy] [--threads N]",
                          options, positional, vm))
        return *done;
    if (auto bad = check_backend_options(backend, "logits")) return *bad;

    auto model = open_model(path);
    if (!model) return exit_unreadable;
    auto resolved = resolve_input(*model, input_options, "logits");
    if (auto* code = std::get_if<int>(&resolved)) return *code;
    const Input& input = std::get<Input>(resolved);

    auto pass = make_backend(*model, backend);
    if (!pass) {
        print_error(path + ": " + pass.error().message);
        return exit_unreadable;
    }
    const auto start = std::chrono::steady_clock::now();
    auto logits = (*pass)->evaluate(input.tokens);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!logits) {
        print_error(path + ": " + logits.error().describe());
        return exit_unreadable;
    }
    if (!out.empty()) {
        const std::uint64_t shape[] = {logits->n_tokens, logits->n_vocab};
        if (auto w = forward::write_npy(out, shape, logits->values); !w) {
            print_error(w.error().describe());
            return exit_unreadable;
        }
    }

    const std::size_t first = vm.count("last") ? logits->n_tokens - 1 : 0;
    const tokenizer::Tokenizer* tok = input.tokenizer.get();
    if (vm.count("json")) {
        nlohmann::ordered_json doc;
        doc["file"] = path;
        doc["backend"] = std::string((*pass)->backend());
        doc["n_vocab"] = logits->n_vocab;
        doc["tokens"] = input.tokens;
        auto& positions = doc["positions"] = nlohmann::ordered_json::array();
        for (std::size_t t = first; t < logits->n_tokens; ++t) {
            nlohmann::ordered_json p;
            p["position"] = t;
            p["input"] = input.tokens[t];
            if (tok) p["input_text"] = token_text(tok, input.tokens[t]);
            auto& list = p["top"] = nlohmann::ordered_json::array();
            for (const auto& c : top_candidates(logits->row(t), top)) {
                nlohmann::ordered_json e{{"id", c.id}, {"logit", c.logit}, {"probability", c.probability}};
                if (tok) e["text"] = token_text(tok, c.id);
                list.push_back(std::move(e));
            }
            positions.push_back(std::move(p));
        }
        if (!out.empty()) doc["out"] = out;
        std::cout << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
        return exit_ok;
    }
    for (std::size_t t = first; t < logits->n_tokens; ++t) {
        std::cout << fmt::format("position {}: input {} '{}'\n", t, input.tokens[t], token_text(tok, input.tokens[t]));
        for (const auto& c : top_candidates(logits->row(t), top))
            std::cout << fmt::format("  {:>8} {:>10.4f}  p={:.4f}  '{}'\n", c.id, c.logit, c.probability, token_text(tok, c.id));
    }
    std::cerr << fmt::format("{} positions x {} logits, {} backend, {:.3f} s{}\n", logits->n_tokens, logits->n_vocab,
                             (*pass)->backend(), seconds, out.empty() ? "" : ", written to " + out);
    return exit_ok;
}

}  // namespace gguf::cli
