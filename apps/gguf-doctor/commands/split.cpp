// gguf-doctor split FILE (--max-size SIZE | --max-tensors N) [-o PREFIX] [--dry-run] [--force]: the
// model as shards named and keyed as llama.cpp's gguf-split writes them (PREFIX-00001-of-0000N.gguf,
// split.no / split.count / split.tensors.count), loadable by llama.cpp and by `gguf-doctor merge`.
// Exit: 0 written (or planned with --dry-run), 2 unreadable input or failed write, 3 usage.
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "gguf/writer.hpp"
#include "output_guard.hpp"

namespace gguf::cli {
namespace {

// "2G", "500M" as gguf-split reads them (decimal units), plus K, T, the binary KiB/MiB/GiB/TiB and plain bytes.
std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || n == 0) return std::nullopt;
    std::string unit(ptr, text.data() + text.size());
    for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::pair<std::string_view, std::uint64_t> units[] = {
        {"", 1}, {"B", 1}, {"K", 1000}, {"M", 1000'000}, {"G", 1000'000'000}, {"T", 1000'000'000'000},
        {"KIB", 1ull << 10}, {"MIB", 1ull << 20}, {"GIB", 1ull << 30}, {"TIB", 1ull << 40}};
    for (const auto& [name, factor] : units)
        if (unit == name) {
            if (n > UINT64_MAX / factor) return std::nullopt;
            return n * factor;
        }
    return std::nullopt;
}

std::string default_prefix(const std::string& file) {
    std::string p = file;
    if (p.size() > 5 && p.substr(p.size() - 5) == ".gguf") p.resize(p.size() - 5);
    // A shard of a split model names the model without its -0000k-of-0000n part.
    if (p.size() > 15 && p.compare(p.size() - 15, 1, "-") == 0 && p.compare(p.size() - 9, 4, "-of-") == 0) p.resize(p.size() - 15);
    return p;
}

}  // namespace

int run_split(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string file, prefix, max_size;
    std::uint64_t max_tensors = 0;
    options.add_options()
        ("file", po::value(&file)->required()->value_name("FILE"), "GGUF file (a split model is re-split)")
        ("max-size", po::value(&max_size)->value_name("SIZE"),
         "most tensor data per shard, as gguf-split --split-max-size: 500M, 2G (decimal), 4GiB, or bytes")
        ("max-tensors", po::value(&max_tensors)->value_name("N"), "most tensors per shard (--split-max-tensors)")
        ("out,o", po::value(&prefix)->value_name("PREFIX"), "shard name prefix (default: FILE without .gguf)")
        ("dry-run", "print the shards, write nothing")
        ("force", "replace shard files that exist");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto exit = parse(args, "split", "FILE (--max-size SIZE | --max-tensors N) [-o PREFIX]", options, positional, vm))
        return *exit;
    SplitLimits limits{max_tensors, 0};
    if (!max_size.empty()) {
        auto bytes = parse_size(max_size);
        if (!bytes) {
            print_error(fmt::format("split: '{}' is not a size (e.g. 500M, 2G, 4GiB)", max_size));
            return exit_usage;
        }
        limits.max_bytes = *bytes;
    }
    if (limits.max_bytes == 0 && limits.max_tensors == 0) {
        print_error("split: give --max-size SIZE or --max-tensors N");
        return exit_usage;
    }
    auto model = open_model(file);
    if (!model) return exit_unreadable;
    auto writer = writer_from(*model, model->byte_order());
    if (!writer) {
        print_error(writer.error().describe());
        return exit_unreadable;
    }
    auto plan = plan_split(*writer, limits);
    if (!plan) {
        print_error("split: " + plan.error().message);
        return exit_usage;
    }
    if (prefix.empty()) prefix = default_prefix(file);
    const bool force = vm.count("force") > 0, dry_run = vm.count("dry-run") > 0;
    for (std::uint64_t k = 0; k < plan->size(); ++k) {
        const auto path = split_shard_path(prefix, k, plan->size());
        if (!dry_run)
            if (auto why = refuse_output(path, *model, force); !why.empty()) {
                print_error("split: " + why);
                return exit_usage;
            }
        const SplitShard& s = (*plan)[k];
        std::cout << fmt::format("{}: {} tensor{}, {} bytes of tensor data\n", path.string(), s.n_tensors,
                                 s.n_tensors == 1 ? "" : "s", s.data_bytes);
    }
    if (dry_run) {
        std::cout << "dry run: nothing written\n";
        return exit_ok;
    }
    if (auto written = write_split(*writer, prefix, limits); !written) {
        print_error("split: " + written.error().describe());
        return exit_unreadable;
    }
    std::cout << fmt::format("wrote {} shard{}\n", plan->size(), plan->size() == 1 ? "" : "s");
    return exit_ok;
}

}  // namespace gguf::cli
