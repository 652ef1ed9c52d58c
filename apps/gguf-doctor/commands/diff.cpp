// gguf-doctor diff A B [--forward]: metadata added/removed/changed, tensors added/removed, type and
// shape changes, and for tensors of the same shape how far B's dequantized values are from A's (worst
// first). --forward also compares the two models' next-token distributions on the built-in text (KL
// divergence, top-1 agreement, perplexity), on the CPU reference or with --gpu the CUDA pass.
#include <fmt/format.h>
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "forward_setup.hpp"
#include "gguf/audit/model_diff.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/report/diff.hpp"
#include "gguf/report/html.hpp"
#include "gguf/writer.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "progress.hpp"

namespace gguf::cli {
namespace {

constexpr std::string_view kUsage = "A B [--forward [--max-tokens N] [--gpu]] [--top N | --all] [--json] [--html FILE]";

// The logits of `model` for `tokens`, and in `pass_name` the pass's own name for itself ("cpu",
// "cuda:0/tf32"...); the backend is released before returning.
Result<forward::Logits> predictions(const Container& model, const BackendOptions& backend,
                                    std::span<const std::int32_t> tokens, std::string& pass_name) {
    auto pass = make_backend(model, backend);
    if (!pass) return pass.error();
    pass_name = std::string((*pass)->backend());
    return (*pass)->evaluate(tokens);
}

std::variant<report::DiffReport::Forward, int> run_forward(const Container& a, const Container& b, const BackendOptions& backend,
                                              std::uint32_t max_tokens) {
    auto tok = tokenizer::load_tokenizer(a);
    if (!tok) {
        print_error("diff --forward: the first model's tokenizer cannot be used: " + tok.error().describe());
        return exit_unreadable;
    }
    std::vector<std::int32_t> tokens = tok.value()->encode(forward::builtin_text(), true, false);
    if (tokens.size() > max_tokens) tokens.resize(max_tokens);
    const TensorInfo* embd_b = b.find_tensor("token_embd.weight");
    for (const std::int32_t id : tokens)
        if (embd_b && static_cast<std::uint64_t>(id) >= embd_b->ne[1]) {
            print_error("diff --forward: token " + std::to_string(id) + " of the text is outside the second model's vocabulary");
            return exit_unreadable;
        }
    std::string pass_name;
    auto la = predictions(a, backend, tokens, pass_name);
    if (!la) {
        print_error("diff --forward: first model: " + la.error().describe());
        return exit_unreadable;
    }
    auto lb = predictions(b, backend, tokens, pass_name);
    if (!lb) {
        print_error("diff --forward: second model: " + lb.error().describe());
        return exit_unreadable;
    }
    auto d = audit::compare_predictions(*la, *lb, tokens);
    if (!d) {
        print_error("diff --forward: " + d.error().message);
        return exit_unreadable;
    }
    return report::DiffReport::Forward{tokens.size(), pass_name, *d};
}

}  // namespace

int run_diff(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string path_a, path_b;
    bool forward_pass = false, json = false, all = false;
    std::size_t top = 20;
    std::string html;
    std::uint32_t max_tokens = 128;
    BackendOptions backend;
    options.add_options()
        ("a", po::value(&path_a)->required()->value_name("FILE"),
         "the first model (the reference for relative errors and KL)")
        ("b", po::value(&path_b)->required()->value_name("FILE"), "the second model")
        ("forward", po::bool_switch(&forward_pass), "also compare next-token distributions on the built-in text")
        ("max-tokens", po::value(&max_tokens)->default_value(128)->value_name("N"),
         "with --forward: tokens of the text evaluated")
        ("top", po::value(&top)->default_value(20)->value_name("N"), "tensors listed (worst first)")
        ("all", po::bool_switch(&all), "list every tensor that differs")
        ("json", po::bool_switch(&json), "print the comparison as JSON")
        ("html", po::value(&html)->value_name("FILE"), "also write an HTML report with plots to this file");
    add_backend_options(options, backend);
    po::positional_options_description positional;
    positional.add("a", 1).add("b", 1);
    po::variables_map vm;
    if (auto done = parse(args, "diff", kUsage, options, positional, vm)) return *done;
    if (auto bad = check_backend_options(backend, "diff")) return *bad;
    if (backend.gpu && !forward_pass) {
        print_error("diff: --gpu applies to --forward");
        return exit_usage;
    }
    auto a = open_model(path_a);
    if (!a) return exit_unreadable;
    auto b = open_model(path_b);
    if (!b) return exit_unreadable;

    ProgressBar progress("comparing tensors", a->tensors().size() + b->tensors().size(), stderr_is_terminal() && !json);
    audit::DiffOptions diff_options;
    diff_options.threads = backend.threads;
    diff_options.progress = [&](std::uint64_t done, std::uint64_t) { progress.advance_to(done); };
    auto diff = audit::diff_models(*a, *b, diff_options);
    progress.finish();
    if (!diff) {
        print_error("diff: " + diff.error().describe());
        return exit_unreadable;
    }
    report::DiffReport r{path_a, path_b, std::move(*diff), std::nullopt};
    if (forward_pass) {
        auto outcome = run_forward(*a, *b, backend, max_tokens);
        if (auto* code = std::get_if<int>(&outcome)) return *code;
        r.forward = std::get<report::DiffReport::Forward>(outcome);
    }
    if (!html.empty()) {
        const std::string page = report::render_html(report::diff_page(r, GGUF_DOCTOR_VERSION));
        if (auto written = write_file_atomically(html, std::as_bytes(std::span(page.data(), page.size()))); !written) {
            print_error(written.error().describe());
            return exit_usage;
        }
    }
    std::cout << (json ? report::render_json(r) : report::render_text(r, all ? SIZE_MAX : top)) << std::flush;
    return r.diff.identical() ? exit_ok : exit_findings;
}

}  // namespace gguf::cli
