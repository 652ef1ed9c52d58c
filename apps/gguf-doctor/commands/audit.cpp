// gguf-doctor audit MODEL (--dump DIR | --trace THEIRS.json): compares what a user's loader produced
// (tensor dumps, per-op activation traces) with the reference and names the kind of mistake.
// docs/audit.md describes the dump and trace formats, the diagnoses and a CI setup.
#include <chrono>
#include <fmt/format.h>
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "forward_setup.hpp"
#include "gguf/report/audit.hpp"
#include "gguf/report/html.hpp"
#include "gguf/forward/trace_io.hpp"
#include "gguf/writer.hpp"
#include "progress.hpp"

namespace gguf::cli {
namespace {

constexpr std::string_view kUsage =
    "MODEL [--dump DIR] [--trace THEIRS.json] [--names FILE|hf] [--qk-order gguf|hf] [--json] [--junit FILE] [--html FILE]";

struct Options {
    std::string model, dump, trace, names, junit, html, qk_order = "gguf";
    std::vector<std::string> only;
    std::optional<double> rtol, atol;
    double tolerance = 0.05;
    bool json = false, verbose = false, allow_missing = false, allow_extra = false;
    InputOptions input;
    BackendOptions backend;
};

std::optional<int> read_options(const std::vector<std::string>& args, Options& o) {
    po::options_description desc("options");
    desc.add_options()
        ("model", po::value(&o.model)->required()->value_name("FILE"), "the GGUF model the loader read")
        ("dump", po::value(&o.dump)->value_name("DIR"),
         "folder of .npy files, one per tensor, as your loader produced them")
        ("trace", po::value(&o.trace)->value_name("FILE"),
         "your engine's trace JSON (docs/trace.md) for the tokens it lists")
        ("names", po::value(&o.names)->value_name("FILE|hf"),
         "how dump file names map to GGUF names: a JSON mapping file, or 'hf' for Hugging Face transformers names")
        ("qk-order", po::value(&o.qk_order)->value_name("gguf|hf"),
         "row order of attn_q/attn_k your engine keeps: gguf (default, llama.cpp's RoPE) or hf (rotate-half RoPE "
         "on Hugging Face's order)")
        ("only", po::value(&o.only)->composing()->value_name("GLOB"),
         "audit only tensors matching this glob (repeatable)")
        ("allow-missing", po::bool_switch(&o.allow_missing), "tensors without a dump file do not fail the audit")
        ("allow-extra", po::bool_switch(&o.allow_extra), "dump files that match no tensor do not fail the audit")
        ("rtol", po::value<double>()->value_name("X"),
         "dump: relative tolerance per value (default 1e-5, 1e-3 for float16 dumps)")
        ("atol", po::value<double>()->value_name("X"),
         "dump: absolute tolerance per value (default 1e-6 x the tensor's largest |value|)")
        ("tolerance", po::value(&o.tolerance)->default_value(0.05, "0.05")->value_name("X"),
         "trace: relative deviation at which an activation diverges")
        ("json", po::bool_switch(&o.json), "print the report as JSON instead of text")
        ("junit", po::value(&o.junit)->value_name("FILE"), "also write a JUnit XML report to this file")
        ("html", po::value(&o.html)->value_name("FILE"),
         "also write an HTML report (a heat map of the trace's deviation per layer and op, the diagnosis) to this file")
        ("verbose,v", po::bool_switch(&o.verbose), "list matching tensors and every compared activation");
    add_input_options(desc, o.input);
    add_backend_options(desc, o.backend);
    po::positional_options_description positional;
    positional.add("model", 1);
    po::variables_map vm;
    if (auto stop = parse(args, "audit", kUsage, desc, positional, vm)) return stop;
    if (auto stop = check_backend_options(o.backend, "audit")) return stop;
    if (o.dump.empty() && o.trace.empty()) {
        print_error("audit: give --dump DIR, --trace FILE, or both");
        return exit_usage;
    }
    if (o.qk_order != "gguf" && o.qk_order != "hf") {
        print_error("audit: --qk-order must be gguf or hf");
        return exit_usage;
    }
    if (vm.count("rtol")) o.rtol = vm["rtol"].as<double>();
    if (vm.count("atol")) o.atol = vm["atol"].as<double>();
    if (!(o.tolerance > 0) || !(o.rtol.value_or(0) >= 0) || !(o.atol.value_or(0) >= 0)) {
        print_error("audit: --tolerance must be positive, --rtol and --atol not negative");
        return exit_usage;
    }
    return std::nullopt;
}

bool write_report_file(const std::string& path, const std::string& text) {
    if (path.empty()) return true;
    if (auto written = write_file_atomically(path, std::as_bytes(std::span(text.data(), text.size()))); !written) {
        print_error(written.error().describe());
        return false;
    }
    return true;
}

// The dump audit, or the exit code (already explained on stderr) when it cannot run.
std::variant<audit::DumpAudit, int> run_dump(const Container& model, const Options& o) {
    audit::DumpAuditOptions options;
    if (!o.names.empty()) {
        auto names = audit::NameMap::from_option(o.names);
        if (!names) {
            print_error("audit: --names: " + names.error().describe());
            return exit_usage;
        }
        options.names = std::move(*names);
    }
    options.tensor.qk_order = o.qk_order == "hf" ? audit::QkOrder::hf : audit::QkOrder::gguf;
    options.tensor.threads = o.backend.threads;
    options.tensor.rtol = o.rtol;
    options.tensor.atol = o.atol;
    if (!o.only.empty())
        options.select = [&](std::string_view name) {
            for (const auto& pattern : o.only)
                if (glob_match(pattern, name)) return true;
            return false;
        };
    options.allow_missing = o.allow_missing;
    options.allow_extra = o.allow_extra;
    ProgressBar progress("auditing tensors", model.tensors().size(), stderr_is_terminal() && !o.json);
    options.progress = [&](std::uint64_t done, std::uint64_t) { progress.advance_to(done); };
    auto result = audit::audit_dump(model, o.dump, options);
    progress.finish();
    if (!result) {
        print_error("audit: " + result.error().describe());
        return exit_unreadable;
    }
    return std::move(*result);
}

std::variant<audit::TraceAudit, int> run_trace_audit(const Container& model, const Options& o) {
    auto file = forward::read_trace(o.trace);
    if (!file) {
        print_error("audit: " + file.error().describe());
        return exit_unreadable;
    }
    if (!o.input.prompt.empty() || !o.input.tokens.empty()) {
        auto resolved = resolve_input(model, o.input, "audit");
        if (auto* code = std::get_if<int>(&resolved)) return *code;
        file->header.tokens = std::get<Input>(resolved).tokens;
    }
    auto pass = make_backend(model, o.backend);
    if (!pass) {
        print_error(o.model + ": " + pass.error().message);
        return exit_unreadable;
    }
    audit::TraceAuditOptions options;
    options.tolerance = o.tolerance;
    options.qk_order = o.qk_order == "hf" ? audit::QkOrder::hf : audit::QkOrder::gguf;
    auto result = audit::audit_trace(model, **pass, *file, options);
    if (!result) {
        print_error("audit: " + o.trace + ": " + result.error().describe());
        return exit_unreadable;
    }
    return std::move(*result);
}

}  // namespace

int run_audit(const std::vector<std::string>& args) {
    Options o;
    if (auto stop = read_options(args, o)) return *stop;
    const auto start = std::chrono::steady_clock::now();
    auto model = open_model(o.model);
    if (!model) return exit_unreadable;

    audit::AuditReport outcome;
    outcome.tool_version = GGUF_DOCTOR_VERSION;
    outcome.model_path = o.model;
    if (!o.dump.empty()) {
        auto dump = run_dump(*model, o);
        if (auto* code = std::get_if<int>(&dump)) return *code;
        outcome.dump = std::move(std::get<audit::DumpAudit>(dump));
    }
    if (!o.trace.empty()) {
        auto trace = run_trace_audit(*model, o);
        if (auto* code = std::get_if<int>(&trace)) return *code;
        outcome.trace = std::move(std::get<audit::TraceAudit>(trace));
        outcome.trace_path = o.trace;
    }
    outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!write_report_file(o.junit, report::render_junit(outcome))) return exit_usage;
    if (!o.html.empty() && !write_report_file(o.html, report::render_html(report::audit_page(outcome)))) return exit_usage;
    std::cout << (o.json ? report::render_json(outcome) : report::render_text(outcome, o.verbose)) << std::flush;
    return outcome.passed() ? exit_ok : exit_findings;
}

}  // namespace gguf::cli
