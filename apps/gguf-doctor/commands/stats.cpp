// gguf-doctor stats FILE: per-tensor value statistics, streamed over the tensor data on all cores
// (dequant::compute_stats), as a table, JSON or CSV. The tensors are shared out as check's value pass
// shares them: one work-sharing loop hands each thread whole tensors, largest first; only a tensor
// larger than a thread's share of the data is read by all threads at once. No thread then waits at a
// barrier after each small tensor. Exit: 0 done (tensors of unsupported types are
// listed as such), 2 unreadable file or tensor data, 3 usage.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <mutex>
#include <deque>

#include "cli.hpp"
#include "commands.hpp"
#include "gguf/model/schema.hpp"
#include "gguf/report/html.hpp"
#include "gguf/report/stats.hpp"
#include "gguf/writer.hpp"
#include "gguf/stats.hpp"
#include "progress.hpp"

namespace gguf::cli {
namespace {

// A stack of per-expert matrices, ne = [n_in, n_out, n_expert], whose bytes lie in the file.
bool is_expert_stack_tensor(const TensorInfo& t) {
    return t.n_dims == 3 && t.data_valid && t.n_rows() > 0 && t.n_bytes % t.ne[2] == 0 &&
           model::is_expert_stack(model::role_from_name(t.name));
}

// Expert e of a stack as a tensor of its own: NAME[e], ne = [n_in, n_out], its bytes within the stack's.
TensorInfo expert_info(const TensorInfo& stack, std::uint64_t e) {
    TensorInfo t = stack;
    t.name = stack.name + "[" + std::to_string(e) + "]";
    t.n_dims = 2;
    t.ne[2] = 1;
    t.n_bytes = stack.n_bytes / stack.ne[2];
    t.offset = stack.offset + e * t.n_bytes;
    if (stack.file_offset != UINT64_MAX) t.file_offset = stack.file_offset + e * t.n_bytes;
    return t;
}

// Fills each entry's stats or error; returns whether every tensor could be read.
// sources[i]: the file's tensor whose bytes entry i reads (an expert's entry reads part of its stack's).
bool compute_all(const Container& model, std::vector<report::stats::Entry>& entries,
                 const std::vector<const TensorInfo*>& sources, const dequant::StatsOptions& options, ProgressBar& bar) {
    std::uint64_t total_bytes = 0;
    for (const auto& e : entries) total_bytes += e.info->n_bytes;
    const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
    std::vector<std::size_t> large, small;
    for (std::size_t i = 0; i < entries.size(); ++i)
        (entries[i].info->n_bytes * 2 * static_cast<std::uint64_t>(threads) > total_bytes ? large : small).push_back(i);
    std::stable_sort(small.begin(), small.end(),
                     [&](std::size_t a, std::size_t b) { return entries[a].info->n_bytes > entries[b].info->n_bytes; });

    std::mutex progress_mutex;
    std::uint64_t done_bytes = 0;  // guarded by progress_mutex: tensors finished
    const auto compute = [&](std::size_t i, const dequant::StatsOptions& o) {
        report::stats::Entry& e = entries[i];
        auto view = model.view(*sources[i]);
        if (view && e.info != sources[i]) {  // an expert: its bytes within the stack's
            const std::uint64_t at = e.info->offset - sources[i]->offset;
            view = TensorView{e.info, view->bytes.subspan(at, e.info->n_bytes), view->order};
        }
        auto s = view ? dequant::compute_stats(*view, o) : Result<dequant::TensorStats>(view.error());
        if (s) e.stats = std::move(*s);
        else e.error = s.error().describe();
    };

    dequant::StatsOptions one_thread = options;
    one_thread.threads = 1;
    one_thread.progress = nullptr;
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(small.size()); ++i) {
        try {
            const std::size_t k = small[static_cast<std::size_t>(i)];
            compute(k, one_thread);
            const report::stats::Entry& e = entries[k];
            std::lock_guard lock(progress_mutex);
            done_bytes += e.info->n_bytes;
            bar.advance_to(done_bytes);
        } catch (...) {
            std::lock_guard lock(progress_mutex);
            if (!failure) failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);
    for (std::size_t i : large) {
        dequant::StatsOptions all_threads = options;
        all_threads.threads = threads;
        all_threads.progress = [&, before = done_bytes](std::uint64_t done) { bar.advance_to(before + done); };
        compute(i, all_threads);
        done_bytes += entries[i].info->n_bytes;
    }
    return std::none_of(entries.begin(), entries.end(), [](const report::stats::Entry& e) { return !e.error.empty(); });
}

}  // namespace

int run_stats(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string file;
    std::vector<std::string> globs;
    std::string html;
    int threads = 0;
    dequant::StatsOptions stats_options;
    options.add_options()
        ("file", po::value(&file)->required()->value_name("FILE"), "GGUF file (any shard of a split model)")
        ("tensor", po::value(&globs)->composing()->value_name("GLOB"),
         "only tensors whose name matches GLOB (repeatable)")
        ("json", "print JSON (docs/stats.md)")
        ("csv", "print CSV, one line per tensor (docs/stats.md)")
        ("html", po::value(&html)->value_name("FILE"),
         "also write an HTML report (sortable table, histograms) to this file")
        ("threads", po::value(&threads)->default_value(0)->value_name("N"), "worker threads (0: all cores)")
        ("bins", po::value(&stats_options.linear_bins)->default_value(64)->value_name("N"),
         "bins of the linear histogram (JSON)")
        ("rows", po::value(&stats_options.extreme_rows)->default_value(3)->value_name("N"),
         "rows listed with the smallest and largest rms (JSON)")
        ("experts", "list each 3-D expert stack (ffn_*_exps) as its experts, one entry NAME[e] per expert");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto exit = parse(args, "stats", "[options] FILE", options, positional, vm)) return *exit;
    if (vm.count("json") && vm.count("csv")) {
        print_error("stats: --json and --csv exclude each other");
        return exit_usage;
    }
    if (threads < 0) {
        print_error("stats: --threads must be 0 (all cores) or positive");
        return exit_usage;
    }
    stats_options.threads = threads;

    auto model = open_model(file);
    if (!model) return exit_unreadable;
    std::vector<report::stats::Entry> entries;
    std::deque<TensorInfo> expert_infos;  // the experts' entries point at these
    std::vector<const TensorInfo*> sources;  // per entry: the file's tensor whose bytes it reads
    std::uint64_t total_bytes = 0;
    for (const auto& t : model->tensors()) {
        bool selected = globs.empty();
        for (const auto& g : globs) selected = selected || glob_match(g, t.name);
        if (!selected) continue;
        total_bytes += t.n_bytes;
        if (vm.count("experts") && is_expert_stack_tensor(t)) {
            for (std::uint64_t e = 0; e < t.ne[2]; ++e) {
                entries.push_back({&expert_infos.emplace_back(expert_info(t, e)), {}, {}});
                sources.push_back(&t);
            }
            continue;
        }
        entries.push_back({&t, {}, {}});
        sources.push_back(&t);
    }

    ProgressBar bar("stats", total_bytes, stderr_is_terminal());
    const bool unreadable = !compute_all(*model, entries, sources, stats_options, bar);
    bar.finish();

    const std::string out = vm.count("json") ? report::stats::render_json(file, entries)
                            : vm.count("csv") ? report::stats::render_csv(entries)
                                              : report::stats::render_text(file, entries);
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
        print_error("stats: cannot write the output");
        return exit_unreadable;
    }
    if (!html.empty()) {
        const std::string page = report::render_html(report::stats_page(file, entries, GGUF_DOCTOR_VERSION));
        if (auto written = write_file_atomically(html, std::as_bytes(std::span(page.data(), page.size()))); !written) {
            print_error(written.error().describe());
            return exit_usage;
        }
    }
    if (unreadable) print_error("stats: some tensors cannot be read (see their entries)");
    return unreadable ? exit_unreadable : exit_ok;
}

}  // namespace gguf::cli
