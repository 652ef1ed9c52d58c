// gguf-doctor trace FILE (--prompt TEXT | --tokens IDS) --out trace.json [--npy-dir DIR]: every op of
// every layer (shape, min, max, mean, rms, first values) as JSON in the format of docs/trace.md, and
// optionally every activation as .npy: the comparison points for finding where another engine diverges.
#include <filesystem>
#include <fmt/format.h>
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "forward_setup.hpp"
#include "gguf/forward/trace_io.hpp"

namespace gguf::cli {

int run_trace(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string path, out, npy_dir;
    std::size_t first_values = 8;
    InputOptions input_options;
    BackendOptions backend;
    options.add_options()
        ("file", po::value(&path)->required()->value_name("FILE"), "the GGUF model");
    add_input_options(options, input_options);
    options.add_options()
        ("out,o", po::value(&out)->required()->value_name("FILE"), "the trace JSON to write")
        ("npy-dir", po::value(&npy_dir)->value_name("DIR"),
         "also write every activation as float32 .npy into this folder")
        ("first", po::value(&first_values)->default_value(8)->value_name("N"),
         "values kept from the start of each activation")
        ("quiet,q", "do not print the per-op table");
    add_backend_options(options, backend);
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto done = parse(args, "trace", "FILE (--prompt TEXT | --tokens IDS) --out trace.json [--npy-dir DIR]", options,
                          positional, vm))
        return *done;
    if (auto bad = check_backend_options(backend, "trace")) return *bad;

    auto model = open_model(path);
    if (!model) return exit_unreadable;
    auto resolved = resolve_input(*model, input_options, "trace");
    if (auto* code = std::get_if<int>(&resolved)) return *code;
    const Input& input = std::get<Input>(resolved);
    if (!npy_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(npy_dir, ec);
        if (ec) {
            print_error("trace: cannot create " + npy_dir + ": " + ec.message());
            return exit_unreadable;
        }
    }

    auto pass = make_backend(*model, backend);
    if (!pass) {
        print_error(path + ": " + pass.error().message);
        return exit_unreadable;
    }
    forward::Trace trace({.first_values = first_values, .keep_values = !npy_dir.empty()});
    auto logits = (*pass)->evaluate(input.tokens, &trace);
    if (!logits) {
        print_error(path + ": " + logits.error().describe());
        return exit_unreadable;
    }
    const forward::TraceHeader header{std::filesystem::path(path).filename().string(), std::string((*pass)->backend()),
                                      input.tokens, 0};
    if (auto w = forward::write_trace(out, header, trace, npy_dir); !w) {
        print_error(w.error().describe());
        return exit_unreadable;
    }

    if (!vm.count("quiet")) {
        std::cout << fmt::format("{:>5} {:<14} {:>14} {:>12} {:>12} {:>12} {:>12}\n", "layer", "op", "shape", "min", "max",
                                 "mean", "rms");
        for (const auto& r : trace.records()) {
            const std::string layer = r.layer < 0 ? "-" : std::to_string(r.layer);
            std::cout << fmt::format("{:>5} {:<14} {:>14} {:>12.5g} {:>12.5g} {:>12.5g} {:>12.5g}{}\n", layer, r.op,
                                     fmt::format("{}", fmt::join(r.shape, "x")), r.min, r.max, r.mean, r.rms,
                                     r.non_finite ? fmt::format("  ({} non-finite)", r.non_finite) : "");
        }
    }
    std::cerr << fmt::format("{} records for {} tokens written to {}{}\n", trace.records().size(), input.tokens.size(), out,
                             npy_dir.empty() ? "" : " (activations in " + npy_dir + ")");
    return exit_ok;
}

}  // namespace gguf::cli
