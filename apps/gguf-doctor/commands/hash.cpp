// gguf-doctor hash FILE [--manifest OUT.json | --check MANIFEST.json]: per-tensor xxh64 of the raw bytes
// and of the dequantized values, per-key metadata hashes, whole-file xxh64 (and sha256) of every shard.
// --check verifies a file against a manifest before deployment and names every difference.
// docs/hash.md defines the manifest. --header-only hashes what the header holds, for a file checked
// before it is downloaded (a URL: docs/deploy.md).
#include <fmt/format.h>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "gguf/audit/manifest.hpp"
#include "location.hpp"
#include "progress.hpp"

namespace gguf::cli {
namespace {

constexpr std::string_view kUsage =
    "FILE|URL [--manifest OUT.json] [--check MANIFEST.json] [--sha256] [--no-values] [--header-only] [--json]";

std::string shape_text(const std::vector<std::uint64_t>& ne) { return fmt::format("[{}]", fmt::join(ne, ", ")); }

void print_manifest(const audit::Manifest& m) {
    if (m.header_only) {
        for (const auto& [key, hash] : m.metadata) std::cout << fmt::format("key {:<40} {}\n", key, hash);
        for (const auto& t : m.tensors)
            std::cout << fmt::format("{:<40} {:<8} {} {} bytes\n", t.name, t.type, shape_text(t.ne), t.bytes);
        for (const auto& f : m.files)
            std::cout << fmt::format("file {} ({} bytes): header only, the data is not hashed\n", f.name, f.bytes);
        return;
    }
    for (const auto& t : m.tensors)
        std::cout << fmt::format("{:<40} {:<8} {} {}\n", t.name, t.type, t.xxh64,
                                 t.values_xxh64 ? "values " + *t.values_xxh64 : "");
    for (const auto& f : m.files)
        std::cout << fmt::format("file {} ({} bytes): xxh64 {}{}\n", f.name, f.bytes, f.xxh64, f.sha256 ? ", sha256 " + *f.sha256 : "");
}

}  // namespace

int run_hash(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string path, manifest_out, check_path;
    bool sha256 = false, no_values = false, values_only = false, json = false, header_only = false;
    int threads = 0;
    options.add_options()
        ("file", po::value(&path)->required()->value_name("FILE"),
         "the model (one shard of a split model hashes all shards), or with --header-only its URL: "
         "http(s)://... or hf://OWNER/REPO/FILE.gguf")
        ("manifest", po::value(&manifest_out)->value_name("FILE"),
         "write the manifest (JSON, docs/hash.md) to this file")
        ("check", po::value(&check_path)->value_name("FILE"),
         "verify the file against this manifest; exit 1 naming every difference")
        ("sha256", po::bool_switch(&sha256), "also sha256 each whole file (with --check: when the manifest has them)")
        ("no-values", po::bool_switch(&no_values), "hash only the stored bytes, not the dequantized values (faster)")
        ("values-only", po::bool_switch(&values_only), "with --check: compare decoded values only (accept a file "
                                                       "re-encoded in another byte order or repacked)")
        ("header-only", po::bool_switch(&header_only),
         "hash only what the header holds (metadata, tensor names, types, shapes, sizes), not the data; with "
         "--check, compare only that")
        ("json", po::bool_switch(&json), "print the manifest, or the check's differences, as JSON")
        ("threads", po::value(&threads)->default_value(0)->value_name("N"), "threads (0: every core)");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto done = parse(args, "hash", kUsage, options, positional, vm)) return *done;
    if (!check_path.empty() && !manifest_out.empty()) {
        print_error("hash: give --manifest or --check, not both");
        return exit_usage;
    }
    if (values_only && (check_path.empty() || no_values)) {
        print_error("hash: --values-only needs --check and the values' hashes");
        return exit_usage;
    }

    if (is_remote_location(path) && !header_only) {
        print_error("hash: a URL is hashed with --header-only (only its header is fetched, not the tensor data)");
        return exit_usage;
    }
    if (header_only && (sha256 || values_only)) {
        print_error("hash: --sha256 and --values-only need the tensor data, which --header-only does not read");
        return exit_usage;
    }

    std::optional<audit::Manifest> expected;
    if (!check_path.empty()) {
        auto read = audit::read_manifest(check_path);
        if (!read) {
            print_error("hash: " + read.error().describe());
            return exit_unreadable;
        }
        expected = std::move(*read);
    }
    auto model = open_location(path);
    if (!model) {
        print_error(model.error().describe());
        return exit_unreadable;
    }

    audit::HashOptions hash_options;
    hash_options.threads = threads;
    hash_options.values = !no_values;
    hash_options.sha256 = sha256;
    hash_options.header_only = header_only;
    if (expected) {
        // Compute what the manifest can be compared with, and nothing more.
        bool has_values = false, has_sha = false;
        for (const auto& t : expected->tensors) has_values = has_values || t.values_xxh64.has_value();
        for (const auto& f : expected->files) has_sha = has_sha || f.sha256.has_value();
        hash_options.values = has_values && !no_values;
        hash_options.sha256 = has_sha && !values_only;
    }
    // The library reports bytes of its own total (files and tensors, once or twice): shown per mille.
    ProgressBar progress("hashing", 1000, stderr_is_terminal() && !json);
    hash_options.progress = [&](std::uint64_t done, std::uint64_t total) { progress.advance_to(total ? done * 1000 / total : 0); };
    auto manifest = audit::compute_manifest(*model, hash_options);
    progress.finish();
    if (!manifest) {
        print_error(path + ": " + manifest.error().describe());
        return exit_unreadable;
    }

    if (!expected) {
        if (!manifest_out.empty()) {
            if (auto written = audit::write_manifest(manifest_out, *manifest); !written) {
                print_error(written.error().describe());
                return exit_unreadable;
            }
            std::cerr << fmt::format("manifest of {} tensors, {} keys, {} files written to {}\n", manifest->tensors.size(),
                                     manifest->metadata.size(), manifest->files.size(), manifest_out);
        }
        if (json) std::cout << audit::manifest_json(*manifest);
        else if (manifest_out.empty()) print_manifest(*manifest);
        return exit_ok;
    }

    const auto differences = audit::check_manifest(*expected, *manifest, {.values_only = values_only});
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& d : differences) out.push_back({{"kind", d.kind}, {"subject", d.subject}, {"message", d.message}});
        std::cout << nlohmann::json{{"manifest", check_path}, {"model", path}, {"passed", differences.empty()}, {"differences", out}}.dump(1)
                  << "\n";
    } else {
        for (const auto& d : differences)
            std::cout << fmt::format("{:<18} {}{}{}\n", d.kind, d.subject, d.subject.empty() ? "" : ": ", d.message);
        std::cout << (differences.empty()
                          ? fmt::format("OK  {} tensors, {} metadata keys and {} files agree with {}{}\n", manifest->tensors.size(),
                                        manifest->metadata.size(), manifest->files.size(), check_path,
                                        header_only || expected->header_only
                                            ? " (header only: names, types, shapes and sizes compared, not the data)"
                                        : values_only ? " (decoded values compared)"
                                                      : "")
                          : fmt::format("FAIL  {} differences from {}\n", differences.size(), check_path));
    }
    return differences.empty() ? exit_ok : exit_findings;
}

}  // namespace gguf::cli
