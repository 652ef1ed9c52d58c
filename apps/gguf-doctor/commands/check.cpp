// gguf-doctor check FILE: every rule (structure, architecture, vocabulary, tokenizer, values) and, for
// modelled architectures, the forward pass's logit sanity; text for people, JSON/JUnit/SARIF for CI.
#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>

#include "check_report.hpp"
#include "cli.hpp"
#include "commands.hpp"
#include "forward_setup.hpp"
#include "location.hpp"
#include "gguf/deploy/file_kind.hpp"
#include "gguf/deploy/loadability.hpp"
#include "gguf/forward/sanity.hpp"
#include "gguf/report/html.hpp"
#include "gguf/report/report.hpp"
#include "gguf/rules/check.hpp"
#include "gguf/rules/codes.hpp"
#include "gguf/stats.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/verdict/counterfactual.hpp"
#include "gguf/verdict/logit_lens.hpp"
#include "gguf/verdict/rope_pairs.hpp"
#include "gguf/verdict/weight_evidence.hpp"
#include "gguf/writer.hpp"
#include "progress.hpp"

namespace gguf::cli {
namespace {

constexpr std::string_view kUsage = "FILE [--json] [--junit FILE] [--sarif FILE] [--fail-on LEVEL] [--disable CODE]... "
                                    "[--rules FILE] [--no-forward] [--no-values] [--header-only] [--text FILE [--text-tokens N]] [--base MODEL] [--html FILE]";

struct Options {
    std::string path;
    bool json = false;
    std::string junit, sarif, html;
    Severity fail_on = Severity::error;
    rules::RuleSettings settings;
    bool forward = true;
    bool values = true;
    bool header_only = false;  // nothing but the header is read (a URL is checked before it is downloaded)
    std::string text_path;  // the perplexity text; empty: the built-in passage
    std::string text;
    std::uint32_t text_tokens = 128;
    BackendOptions backend;  // --threads (also for the statistics), --gpu, --device
    bool colour = false;
    bool progress = true;  // a progress bar on a terminal
    std::string base;  // the base model of a LoRA adapter
};

// Parses the command line into Options; returns an exit code when the command should stop.
std::optional<int> read_options(const std::vector<std::string>& args, Options& o) {
    po::options_description desc("options");
    std::string fail_on = "error", rules_file, colour = "auto";
    std::vector<std::string> disabled;
    desc.add_options()
        ("file", po::value(&o.path)->required()->value_name("FILE"),
         "the model (.gguf; one shard of a split model opens all), or with --header-only its URL: "
         "http(s)://... or hf://OWNER/REPO/FILE.gguf")
        ("json", po::bool_switch(&o.json), "print the report as JSON on stdout instead of text")
        ("junit", po::value(&o.junit)->value_name("FILE"), "also write a JUnit XML report to this file")
        ("sarif", po::value(&o.sarif)->value_name("FILE"), "also write a SARIF 2.1.0 report to this file")
        ("html", po::value(&o.html)->value_name("FILE"),
         "also write an HTML report with plots to this file (reads the tensor data a second time for histograms, "
         "and traces one prompt when the forward pass runs)")
        ("fail-on", po::value(&fail_on)->value_name("LEVEL"),
         "exit 1 when a finding has this severity or higher: error (default), warning, info")
        ("disable", po::value(&disabled)->composing()->value_name("CODE"),
         "never report this code (repeatable), e.g. GD-W009")
        ("rules", po::value(&rules_file)->value_name("FILE"),
         "thresholds, disabled codes and severity overrides (JSON; docs/rules.md)")
        ("no-forward", "skip the forward pass (logit sanity)")
        ("no-values", "skip reading tensor data (structure, schema and vocabulary only)")
        ("header-only", "read the header only (implies --no-values and --no-forward); a URL is checked this way, "
                        "its header fetched with range requests")
        ("text", po::value(&o.text_path)->value_name("FILE"),
         "measure perplexity on this UTF-8 text instead of the built-in English passage")
        ("text-tokens", po::value(&o.text_tokens)->default_value(128)->value_name("N"),
         "the perplexity text is cut to this many tokens (the forward pass's time grows with it)")
        ("base", po::value(&o.base)->value_name("MODEL"),
         "for a LoRA adapter: the base model its tensor pairs are checked against, as llama.cpp does")
        ("color", po::value(&colour)->value_name("WHEN"),
         "colour the text report: auto (default: on a terminal), always, never");
    add_backend_options(desc, o.backend);
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto stop = parse(args, "check", kUsage, desc, positional, vm)) return stop;
    if (auto stop = check_backend_options(o.backend, "check")) return stop;

    const auto level = rules::parse_severity(fail_on);
    if (!level) {
        print_error("--fail-on must be error, warning or info, not '" + fail_on + "'");
        return exit_usage;
    }
    o.fail_on = *level;
    if (!rules_file.empty()) {
        auto loaded = rules::load_settings(rules_file);
        if (!loaded) {
            print_error("--rules: " + loaded.error().describe());
            return exit_usage;
        }
        o.settings = std::move(*loaded);
    }
    for (const auto& c : disabled) {
        if (auto problem = rules::code_problem(c)) {
            print_error("--disable: " + *problem);
            return exit_usage;
        }
        o.settings.disabled.insert(c);
    }
    if (o.text_tokens < 2) {
        print_error("--text-tokens must be at least 2 (one token predicts the next)");
        return exit_usage;
    }
    if (!o.text_path.empty()) {
        auto text = read_file_bytes(o.text_path);
        if (!text || text->empty()) {
            print_error(o.text_path + ": --text: cannot read the file, or it is empty");
            return exit_unreadable;
        }
        o.text = std::move(*text);
    }
    o.header_only = vm.count("header-only") > 0;
    o.forward = !vm.count("no-forward") && !o.header_only;
    o.values = !vm.count("no-values") && !o.header_only;
    if (is_remote_location(o.path) && !o.header_only) {
        print_error("check: a URL is checked with --header-only (only its header is fetched, so the value checks "
                    "and the forward pass cannot run)");
        return exit_usage;
    }
    if (colour == "always") o.colour = true;
    else if (colour == "never") o.colour = false;
    else if (colour == "auto") o.colour = stdout_is_terminal() && !std::getenv("NO_COLOR");
    else {
        print_error("--color must be auto, always or never");
        return exit_usage;
    }
    return std::nullopt;
}

std::vector<report::CodeDescription> code_descriptions() {
    std::vector<report::CodeDescription> out;
    for (const auto& c : rules::codes()) out.push_back({std::string(c.code), std::string(c.title), c.severity});
    return out;
}

report::ModelSummary summarize(const Container& model, const rules::CheckResult& result) {
    report::ModelSummary m;
    if (result.spec) {
        m.architecture = result.spec->architecture;
        m.n_layer = result.spec->n_layer;
        m.n_embd = result.spec->n_embd;
        m.n_vocab = result.spec->n_vocab;
    } else if (auto arch = model.get_string("general.architecture")) {
        m.architecture = std::string(*arch);
    }
    m.modelled = result.modelled;
    m.n_tensors = model.tensors().size();
    m.n_parameters = model.n_parameters();
    for (const auto& s : model.shards()) m.file_bytes += s.file_size;
    return m;
}

bool has_error_in(const std::vector<model::Finding>& findings, std::string_view families) {
    for (const auto& f : findings)
        if (f.severity == Severity::error && f.code.size() > 3 && families.find(f.code[3]) != std::string_view::npos)
            return true;
    return false;
}

// The forward pass's logit sanity, when the architecture is modelled and the file is sound enough to
// evaluate. Its findings join the report; the step says what happened.
// The counterfactual passes for the HTML report: every trial as a table row, and the per-block trials
// as perplexity across blocks (one line per mistake), so that a reader sees where undoing helps.
report::Section counterfactual_section(const verdict::CounterfactualResult& result) {
    report::Section section;
    section.title = "Counterfactual passes";
    section.text = fmt::format("The model evaluated again on {} tokens of English text with each known mistake undone; as it "
                               "is, its perplexity is {:.4g}. A trial is decisive when it lowers the loss by at least "
                               "{} nats per token and ends well below guessing (docs/rules.md).",
                               result.tokens, result.perplexity, verdict::CounterfactualOptions{}.decisive_gain);
    report::Table table;
    table.columns = {"mistake undone", "block", "perplexity", "change (nats/token)", "decisive", "what would be wrong"};
    std::map<std::string, report::Series> per_block;
    for (const auto& t : result.trials) {
        table.rows.push_back({t.id, t.layer == verdict::every_layer ? std::string("all") : std::to_string(t.layer),
                              t.perplexity, t.nll - result.nll, std::string(t.decisive ? "yes" : "no"), t.mistake});
        table.row_status.push_back(t.decisive ? "error" : "");
        if (t.layer == verdict::every_layer) continue;
        report::Series& s = per_block[t.id];
        s.name = t.id;
        s.x.push_back(static_cast<double>(t.layer));
        s.y.push_back(t.perplexity);
    }
    section.blocks.push_back({"Every trial", "Red rows are decisive: the file most likely carries that mistake.", table});
    if (!per_block.empty()) {
        report::LinePlot plot;
        plot.x_label = "block";
        plot.y_label = "perplexity with the mistake undone in that block";
        plot.log_y = true;
        plot.points = true;
        for (auto& [id, series] : per_block) plot.series.push_back(std::move(series));
        report::Series as_is{"as the file is", {}, {}, true};
        for (const auto& s : plot.series)
            for (double x : s.x) {
                as_is.x.push_back(x);
                as_is.y.push_back(result.perplexity);
            }
        std::sort(as_is.x.begin(), as_is.x.end());
        as_is.x.erase(std::unique(as_is.x.begin(), as_is.x.end()), as_is.x.end());
        as_is.y.assign(as_is.x.size(), result.perplexity);
        plot.series.push_back(std::move(as_is));
        section.blocks.push_back({"Per block", "A block where undoing a mistake drops well below the dashed line is where the "
                                               "model breaks.", plot});
    }
    return section;
}

// The logit lens for the HTML report: perplexity of the residual stream after each block, read through
// the model's own output section, and the block whose output predicts worst relative to its input.
report::Section logit_lens_section(const verdict::LogitLens& lens) {
    report::Section section;
    section.title = "Logit lens";
    report::LinePlot plot;
    plot.x_label = "blocks evaluated";
    plot.y_label = "perplexity";
    plot.log_y = true;
    plot.points = lens.points.size() <= 48;
    report::Series series{"after the block", {}, {}, false};
    report::Table table;
    table.columns = {"block", "perplexity after it", "change (nats/token)"};
    std::size_t worst = 0;  // the point with the largest rise over the previous one; 0: none rises
    double worst_rise = 0;
    for (std::size_t i = 0; i < lens.points.size(); ++i) {
        const auto& p = lens.points[i];
        series.x.push_back(static_cast<double>(p.blocks));
        series.y.push_back(p.perplexity);
        const double change = i == 0 ? NAN : p.nll - lens.points[i - 1].nll;
        table.rows.push_back({std::to_string(p.blocks - 1), p.perplexity, change});
        if (i > 0 && change > worst_rise) {
            worst = i;
            worst_rise = change;
        }
    }
    plot.series.push_back(std::move(series));
    section.text = fmt::format("The residual stream after each block read through the final norm and the lm_head, on {} tokens "
                               "of English text. In a trained model the perplexity mostly falls block after block; a block "
                               "that raises it a lot is where to look first.",
                               lens.tokens);
    if (worst > 0)
        section.text += fmt::format(" The largest rise: block {} takes it from {:.4g} to {:.4g}.", worst,
                                    lens.points[worst - 1].perplexity, lens.points[worst].perplexity);
    section.blocks.push_back({"Perplexity after each block", "", plot});
    section.blocks.push_back({"Per block", "", table});
    return section;
}

// Counterfactual passes: the model again with each known converter mistake undone, on the first
// tokens of the perplexity text. Which ones run depends on their cost and on the main pass's verdict.
// Their results also become a section of the HTML report.
report::CheckStep run_counterfactuals(const Container& model, const model::ModelSpec& spec, const tokenizer::Tokenizer* tok,
                                      const Options& o, bool looks_weak, std::uint64_t sanity_positions,
                                      std::vector<model::Finding>& findings, std::vector<report::Section>& sections) {
    report::CheckStep step{"counterfactual passes", "skipped", ""};
    auto selection = verdict::select_hypotheses(verdict::hypotheses(model, spec), model.n_parameters(), looks_weak,
                                                sanity_positions);
    step.detail = selection.reason;
    if (selection.hypotheses.empty()) return step;
    // Always the built-in passage, whatever --text says: the thresholds were measured on it, and a short
    // text from another domain moves a healthy model's passes by more (0.23 nats on 20 tokens of
    // technical prose for the trained sample, against 0.03 on the passage).
    std::vector<std::int32_t> tokens = tok->encode(forward::builtin_text(), true, false);
    std::uint64_t limit = selection.tokens;
    if (spec.n_ctx_train > 0) limit = std::min(limit, spec.n_ctx_train);
    if (tokens.size() > limit) tokens.resize(limit);
    if (tokens.size() < 2) {
        step.detail = "the text has fewer than 2 tokens";
        return step;
    }
    const verdict::ForwardFactory factory = [&](const Container& m) { return make_backend(m, o.backend); };
    auto result = verdict::run_counterfactuals(model, selection.hypotheses, factory, tokens);
    if (!result) {
        step.status = "failed";
        step.detail = result.error().message;
        return step;
    }
    sections.push_back(counterfactual_section(*result));
    if (verdict::logit_lens_is_cheap(spec, model.n_parameters(), tokens.size()))
        if (auto lens = verdict::logit_lens(model, spec, factory, tokens)) sections.push_back(logit_lens_section(*lens));
    auto verdicts = verdict::counterfactual_findings(*result, "English text");
    rules::apply_settings(verdicts, o.settings);
    findings.insert(findings.end(), verdicts.begin(), verdicts.end());
    step.status = "ran";
    step.detail = fmt::format("{} passes on {} tokens: {}", result->trials.size(), result->tokens, selection.reason);
    return step;
}

// With `measured` (--html), also keeps the measures and traces one pass over the first prompt.
report::CheckStep run_forward(const Container& model, const rules::CheckResult& result, const Options& o,
                              std::vector<model::Finding>& findings, std::vector<report::CheckStep>& steps,
                              std::vector<report::Section>& sections, report::CheckMeasurements* measured) {
    report::CheckStep step{"forward pass", "skipped", ""};
    if (!o.forward) {
        step.detail = o.header_only ? "--header-only: no tensor data" : "--no-forward";
        return step;
    }
    if (!result.modelled) {
        step.detail = "architecture not modelled";
        return step;
    }
    if (has_error_in(findings, "SA")) {
        step.detail = "structural or schema errors";
        return step;
    }
    auto pass = make_backend(model, o.backend);
    if (!pass) {
        step.status = "failed";
        step.detail = pass.error().message;
        return step;
    }
    auto tokenizer = tokenizer::load_tokenizer(model);
    const tokenizer::Tokenizer* tok = tokenizer.ok() ? tokenizer.value().get() : nullptr;
    forward::SanityOptions sanity_options;
    sanity_options.text = o.text;
    sanity_options.max_text_tokens = o.text_tokens;
    if (!o.text_path.empty()) sanity_options.text_label = o.text_path;
    auto sanity = forward::logit_sanity(**pass, tok, sanity_options);
    if (!sanity) {
        step.status = "failed";
        step.detail = sanity.error().message;
        return step;
    }
    if (measured && !sanity->measures.prompts.empty()) {
        const forward::PromptEvidence& prompt = sanity->measures.prompts.front();
        forward::Trace trace;
        (*pass)->reset();
        auto traced = (*pass)->evaluate(prompt.tokens, &trace);
        (*pass)->reset();
        if (traced) {
            measured->trace = std::move(trace);
            measured->trace_prompt = prompt.prompt;
        }
    }
    if (measured) measured->sanity = sanity->measures;
    std::vector<model::Finding> forward_findings = std::move(sanity->findings);
    const bool looks_weak = std::any_of(forward_findings.begin(), forward_findings.end(),
                                        [](const model::Finding& f) { return f.severity != Severity::info; });
    rules::apply_settings(forward_findings, o.settings);
    findings.insert(findings.end(), forward_findings.begin(), forward_findings.end());
    step.status = "ran";
    step.detail = std::string((*pass)->backend());
    if (sanity->measures.perplexity_measured)
        step.detail += fmt::format(", perplexity {:.4g} on {} tokens of {}", sanity->measures.perplexity,
                                   sanity->measures.text_tokens, sanity->measures.text_label);
    pass.value().reset();  // frees the pass: the counterfactual ones make their own (one model on the GPU at a time)
    if (tok) steps.push_back(run_counterfactuals(model, *result.spec, tok, o, looks_weak,
                                                 sanity->measures.positions + sanity_options.generated_tokens, findings,
                                                 sections));
    return step;
}

// Statistics with histograms of every readable tensor, for the HTML report's plots.
std::vector<dequant::TensorStats> histogram_stats(const Container& model, int threads) {
    dequant::StatsOptions options;
    options.threads = threads;
    options.extreme_rows = 1;
    std::vector<dequant::TensorStats> out;
    for (const auto& t : model.tensors()) {
        if (!t.data_valid) continue;
        auto view = model.view(t);
        if (!view) continue;
        if (auto s = dequant::compute_stats(*view, options); s && s->supported) out.push_back(std::move(*s));
    }
    return out;
}

// Whether the reference llama.cpp will load the file; its refusal joins the findings (GD-L001).
report::CheckStep judge_loadability(const Container& model, const Options& o, std::vector<model::Finding>& findings) {
    const deploy::KindInfo kind = deploy::file_kind(model);
    std::optional<Container> base;
    if (!o.base.empty() && kind.kind == deploy::FileKind::lora_adapter) {
        auto opened = open_location(o.base);
        if (!opened) return {"llama.cpp", "failed", "--base: " + opened.error().describe()};
        base = std::move(*opened);
    }
    const deploy::LoadVerdict verdict =
        base ? deploy::lora_verdict(model, &*base) : deploy::llama_cpp_verdict(model);
    std::vector<model::Finding> refusal = deploy::verdict_findings(verdict);
    rules::apply_settings(refusal, o.settings);
    findings.insert(findings.end(), refusal.begin(), refusal.end());
    const std::size_t n = verdict.refusals.size();
    std::string detail = std::string(deploy::file_kind_name(kind.kind)) + (kind.detail.empty() ? "" : " (" + kind.detail + ")") + ": ";
    detail += verdict.refuses() ? fmt::format("will refuse the file ({} reason{})", n, n == 1 ? "" : "s")
                                           : std::string("will load the file");
    for (const auto& what : verdict.not_judged) detail += "; not judged: " + what;
    return {"llama.cpp", "ran", detail};
}

// Writes --junit / --sarif / --html files and prints the report; returns false when a file cannot be written.
bool emit(const report::Report& r, const Options& o, const report::CheckMeasurements& measured = {}) {
    bool ok = true;
    const auto write = [&](const std::string& path, const std::string& text) {
        if (path.empty()) return;
        const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
        if (auto written = write_file_atomically(path, {bytes, text.size()}); !written) {
            print_error(written.error().describe());
            ok = false;
        }
    };
    write(o.junit, report::render_junit(r));
    write(o.sarif, report::render_sarif(r));
    if (!o.html.empty()) write(o.html, report::render_html(report::check_page(r, measured)));
    std::cout << (o.json ? report::render_json(r) : report::render_text(r, o.colour)) << std::flush;
    return ok;
}

// One run of check: the report, the measures the HTML report plots, and the model they point into.
struct CheckRun {
    report::Report report;
    report::CheckMeasurements measured;
    std::unique_ptr<Container> model;  // kept for `measured`; null when the file cannot be parsed
};

CheckRun run_pipeline(const Options& o) {
    const auto start = std::chrono::steady_clock::now();
    CheckRun run;
    report::Report& r = run.report;
    r.tool_version = GGUF_DOCTOR_VERSION;
    r.path = o.path;
    r.codes = code_descriptions();
    r.fail_on = o.fail_on;

    auto opened = open_location(o.path);
    if (!opened) {
        // Reports are still written, so a pipeline sees why the model failed. The text report says it
        // already; a JSON report on stdout is for machines, so people get the reason on stderr too.
        if (o.json) print_error(opened.error().describe());
        r.findings.push_back(rules::unparsable_finding(opened.error()));
        rules::apply_settings(r.findings, o.settings);
        r.steps.push_back({"structure", "ran", "the header cannot be parsed"});
        return run;
    }
    run.model = std::make_unique<Container>(std::move(*opened));
    const Container& model = *run.model;

    rules::CheckOptions options;
    options.settings = o.settings;
    options.values = o.values;
    options.threads = o.backend.threads;
    std::uint64_t data_bytes = 0;
    for (const auto& t : model.tensors())
        if (t.data_valid) data_bytes += t.n_bytes;
    ProgressBar progress("checking", data_bytes, o.values && o.progress && stderr_is_terminal());
    options.progress = [&](std::uint64_t done, std::uint64_t) { progress.advance_to(done); };
    rules::CheckResult result = rules::check(model, options);
    progress.finish();

    r.model = summarize(model, result);
    r.findings = std::move(result.findings);
    r.steps.push_back({"structure", "ran", std::to_string(model.tensors().size()) + " tensors"});
    r.steps.push_back({"architecture", "ran", result.schema_checked ? "schema of " + result.spec->architecture : "no schema: generic checks"});
    r.steps.push_back({"vocabulary", "ran", ""});
    r.steps.push_back({"tokenizer", "ran", ""});
    r.steps.push_back(judge_loadability(model, o, r.findings));
    if (o.values)
        r.steps.push_back({"weights", "ran", std::to_string(result.tensors_read) + " tensors, " +
                                                 std::to_string(result.bytes_read / 1000000) + " MB read once"});
    else
        r.steps.push_back({"weights", "skipped",
                           o.header_only ? "--header-only: the tensor data was not read (value checks and weight "
                                           "verdicts need it)"
                                         : "--no-values"});
    report::CheckMeasurements& measured = run.measured;
    const bool html = !o.html.empty();
    if (html && o.values) {
        measured.model = &model;
        measured.tensors = histogram_stats(model, o.backend.threads);
        measured.norm_outlier_ratio = o.settings.thresholds.norm_outlier_ratio;
    }
    if (o.values && result.modelled && !has_error_in(r.findings, "SA")) {
        // Verdicts trained weights carry without a forward pass (they also run with --no-forward).
        auto verdicts = verdict::identical_blocks(model, *result.spec);
        const bool no_identical = verdicts.empty();
        const auto pairs = verdict::measure_rope_pairs(model, *result.spec);
        if (pairs)
            for (auto& f : verdict::rope_pair_findings(*pairs, *result.spec)) verdicts.push_back(std::move(f));
        rules::apply_settings(verdicts, o.settings);
        r.steps.push_back({"weight verdicts", "ran",
                           (no_identical ? "no block stored twice; " : "") + verdict::rope_pair_summary(pairs)});
        r.findings.insert(r.findings.end(), verdicts.begin(), verdicts.end());
    }
    std::vector<report::CheckStep> later_steps;
    r.steps.push_back(run_forward(model, result, o, r.findings, later_steps, r.sections, html ? &measured : nullptr));
    r.steps.insert(r.steps.end(), later_steps.begin(), later_steps.end());
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return run;
}

}  // namespace

report::Report check_report(const std::string& path, const BackendOptions& backend) {
    Options o;
    o.path = path;
    o.backend = backend;
    o.progress = false;
    return run_pipeline(o).report;
}

int run_check(const std::vector<std::string>& args) {
    Options o;
    if (auto stop = read_options(args, o)) return *stop;
    const CheckRun run = run_pipeline(o);
    if (!run.model) {
        emit(run.report, o);
        return exit_unreadable;
    }
    if (!emit(run.report, o, run.measured)) return exit_usage;  // a report file that cannot be written
    return report::verdict(run.report).passed ? exit_ok : exit_findings;
}

}  // namespace gguf::cli
