// gguf-doctor fit FILE|URL: the memory llama.cpp needs to run the model (weights per device, KV cache,
// compute buffers as an estimate) and the largest context that fits the memory given. Reads only the
// header, so a URL (http(s), hf://) is judged from its header's bytes alone.
// Exit: 0 fits (or no memory was given), 1 does not fit, 2 unreadable, 3 usage.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "gguf/deploy/fit.hpp"
#include "location.hpp"

namespace gguf::cli {
namespace {

constexpr std::string_view kUsage =
    "FILE|URL [--ctx N] [--batch N] [--ubatch N] [--kv-type f16|q8_0|q4_0|f32] [--gpu-memory SIZE]... "
    "[--host-memory SIZE] [--n-gpu-layers N] [--swa-full] [--json]";

std::string mib(std::uint64_t bytes) { return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0)); }

std::optional<std::uint32_t> kv_type_id(std::string_view name) {
    if (name == "f16") return 1;
    if (name == "q8_0") return 8;
    if (name == "q4_0") return 2;
    if (name == "f32") return 0;
    return std::nullopt;
}

std::string layer_label(const deploy::FitReport& r, std::int64_t layer) {
    if (layer < 0) return "input";
    if (static_cast<std::uint64_t>(layer) == r.n_layer) return "output";
    return std::to_string(layer);
}

std::string device_name(const deploy::FitReport& r, int device) { return r.devices[static_cast<std::size_t>(device + 1)].name; }

// "input, 0-11 -> CPU; 12-23, output -> GPU0": consecutive layers on one device as ranges.
std::string placement_text(const deploy::FitReport& r) {
    std::string out;
    std::size_t i = 0;
    while (i < r.layers.size()) {
        std::size_t j = i;
        while (j + 1 < r.layers.size() && r.layers[j + 1].device == r.layers[i].device) ++j;
        std::vector<std::string> parts;
        std::size_t k = i;
        while (k <= j) {
            if (r.layers[k].layer < 0 || static_cast<std::uint64_t>(r.layers[k].layer) == r.n_layer) {
                parts.push_back(layer_label(r, r.layers[k].layer));
                ++k;
                continue;
            }
            std::size_t m = k;
            while (m + 1 <= j && r.layers[m + 1].layer >= 0 && static_cast<std::uint64_t>(r.layers[m + 1].layer) < r.n_layer) ++m;
            parts.push_back(m == k ? layer_label(r, r.layers[k].layer)
                                   : layer_label(r, r.layers[k].layer) + "-" + layer_label(r, r.layers[m].layer));
            k = m + 1;
        }
        if (!out.empty()) out += "; ";
        for (std::size_t p = 0; p < parts.size(); ++p) out += (p ? ", " : "") + parts[p];
        out += " -> " + device_name(r, r.layers[i].device);
        i = j + 1;
    }
    return out;
}

void print_text(const std::string& path, const deploy::FitReport& r) {
    std::cout << "gguf-doctor fit  " << path << "\n";
    std::cout << fmt::format("  {}, {} layers, context {} (training {}), ubatch {}, KV cache {}\n\n", r.architecture,
                             r.n_layer, r.n_ctx, r.n_ctx_train, r.n_ubatch, find_type(r.kv_type)->name);
    std::cout << fmt::format("  {:<8}{:>14}{:>14}{:>16}{:>14}{:>14}\n", "device", "weights", "KV cache", "compute (est.)",
                             "total", "capacity");
    for (const auto& d : r.devices)
        std::cout << fmt::format("  {:<8}{:>14}{:>14}{:>16}{:>14}{:>14}{}\n", d.name, mib(d.weights), mib(d.kv_cache),
                                 mib(d.compute), mib(d.total()), d.capacity ? mib(*d.capacity) : "-",
                                 d.fits() ? "" : "  does not fit");
    std::cout << fmt::format("  {:<8}{:>14}{:>14}{:>16}{:>14}\n", "all", mib(r.weights), mib(r.kv_cache), mib(r.compute),
                             mib(r.weights + r.kv_cache + r.compute));
    std::cout << "\n  layers: " << placement_text(r) << "\n";
    std::cout << "  KV cache: K " << mib(r.kv_k) << ", V " << mib(r.kv_v) << "\n";
    if (r.recurrent_state > 0)
        std::cout << "  recurrent state (one sequence, counted in the totals): " << mib(r.recurrent_state) << "\n";
    if (r.max_context)
        std::cout << "  largest context that fits: " << *r.max_context
                  << (*r.max_context == 0 ? " (not even 256 cells)" : "") << "\n";
    std::cout << "\n  compute buffers are an estimate of llama.cpp's graph allocation (docs/deploy.md gives its measured "
                 "agreement)\n";
    for (const auto& n : r.notes) std::cout << "  note: " << n << "\n";
    if (r.max_context || r.devices.size() > 1) std::cout << "\n" << (r.fits() ? "FITS" : "DOES NOT FIT") << "\n";
}

nlohmann::json to_json(const std::string& path, const deploy::FitReport& r) {
    nlohmann::json j;
    j["file"] = path;
    j["architecture"] = r.architecture;
    j["n_layer"] = r.n_layer;
    j["n_ctx"] = r.n_ctx;
    j["n_ctx_train"] = r.n_ctx_train;
    j["n_ubatch"] = r.n_ubatch;
    j["kv_type"] = std::string(find_type(r.kv_type)->name);
    j["bytes"] = {{"weights", r.weights}, {"kv_cache", r.kv_cache}, {"kv_k", r.kv_k}, {"kv_v", r.kv_v},
                  {"recurrent_state", r.recurrent_state}, {"compute_estimate", r.compute}};
    for (const auto& d : r.devices) {
        nlohmann::json dj{{"name", d.name}, {"weights", d.weights}, {"kv_cache", d.kv_cache},
                          {"recurrent_state", d.recurrent_state}, {"compute_estimate", d.compute},
                          {"total", d.total()}, {"fits", d.fits()}};
        dj["capacity"] = d.capacity ? nlohmann::json(*d.capacity) : nlohmann::json(nullptr);
        j["devices"].push_back(dj);
    }
    for (const auto& l : r.layers)
        j["layers"].push_back({{"layer", layer_label(r, l.layer)}, {"device", device_name(r, l.device)},
                               {"weights", l.weight_bytes}, {"kv_cache", l.kv_bytes},
                               {"recurrent_state", l.recurrent_state_bytes}});
    j["max_context"] = r.max_context ? nlohmann::json(*r.max_context) : nlohmann::json(nullptr);
    j["fits"] = r.fits();
    j["notes"] = r.notes;
    return j;
}

}  // namespace

int run_fit(const std::vector<std::string>& args) {
    po::options_description desc("options");
    std::string path, kv_type = "f16", host_memory;
    std::vector<std::string> gpu_memory;
    deploy::FitOptions o;
    desc.add_options()
        ("file", po::value(&path)->required()->value_name("FILE"),
         "the model (.gguf, or an http(s):// or hf://OWNER/REPO[@REV]/FILE URL, of which only the header is fetched; "
         "one shard of a split model opens all)")
        ("ctx", po::value(&o.n_ctx)->value_name("N"), "context size (default: the training context); llama.cpp pads it to 256")
        ("batch", po::value(&o.n_batch)->default_value(2048)->value_name("N"), "logical batch size (llama.cpp's -b)")
        ("ubatch", po::value(&o.n_ubatch)->default_value(512)->value_name("N"),
         "physical batch size (llama.cpp's -ub); the compute buffers grow with it")
        ("kv-type", po::value(&kv_type)->value_name("TYPE"), "KV cache type: f16 (default), q8_0, q4_0 or f32")
        ("gpu-memory", po::value(&gpu_memory)->composing()->value_name("SIZE"),
         "memory of one GPU (repeatable, one per GPU), e.g. 24G, 8192M; layers are split in proportion")
        ("host-memory", po::value(&host_memory)->value_name("SIZE"), "system memory for the CPU's share")
        ("n-gpu-layers", po::value(&o.n_gpu_layers)->value_name("N"),
         "layers on the GPUs, counting the output layer (default: all when --gpu-memory is given)")
        ("swa-full", "sliding-window layers keep the whole context (llama.cpp's --swa-full); by default they keep "
                     "the window plus one ubatch, as llama.cpp's tools do")
        ("json", "print the plan as JSON (bytes, per device and per layer)");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto stop = parse(args, "fit", kUsage, desc, positional, vm)) return *stop;
    const auto type = kv_type_id(kv_type);
    if (!type) {
        print_error("--kv-type must be f16, q8_0, q4_0 or f32, not '" + kv_type + "'");
        return exit_usage;
    }
    o.kv_type = *type;
    o.swa_full = vm.count("swa-full") > 0;
    for (const auto& g : gpu_memory) {
        auto bytes = deploy::parse_size(g);
        if (!bytes || *bytes == 0) {
            print_error("--gpu-memory: '" + g + "' is not a size (e.g. 24G, 8192M, 1.5GiB)");
            return exit_usage;
        }
        o.gpu_memory.push_back(*bytes);
    }
    if (!host_memory.empty()) {
        o.host_memory = deploy::parse_size(host_memory);
        if (!o.host_memory || *o.host_memory == 0) {
            print_error("--host-memory: '" + host_memory + "' is not a size (e.g. 32G)");
            return exit_usage;
        }
    }
    if (o.n_ubatch == 0 || o.n_batch == 0) {
        print_error("--batch and --ubatch must be at least 1");
        return exit_usage;
    }
    if (vm.count("n-gpu-layers") && o.n_gpu_layers < 0) {
        print_error("--n-gpu-layers must be 0 or more");
        return exit_usage;
    }

    auto model = open_location(path);
    if (!model) {
        print_error(model.error().describe());
        return exit_unreadable;
    }
    auto report = deploy::plan_fit(*model, o);
    if (!report) {
        print_error(path + ": " + report.error().message);
        return exit_unreadable;
    }
    if (vm.count("json")) std::cout << to_json(path, *report).dump(2) << "\n";
    else print_text(path, *report);
    return report->fits() ? exit_ok : exit_findings;
}

}  // namespace gguf::cli
