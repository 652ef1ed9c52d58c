// gguf-doctor info FILE|URL: header, metadata, tensor table, totals per type and structural issues.
// Reads only the header (milliseconds for any model size; a URL's header is fetched with range requests). Exit: 0 shown (structural issues are
// listed, not judged: that is `check`'s job), 2 unreadable, 3 usage.
#include <cstdio>

#include "cli.hpp"
#include "commands.hpp"
#include "commands/info_report.hpp"
#include "location.hpp"

namespace gguf::cli {
namespace info {

bool Selection::selected(const TensorInfo& t) const {
    if (globs.empty()) return true;
    for (const auto& g : globs)
        if (glob_match(g, t.name)) return true;
    return false;
}

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const std::size_t len = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > s.size() || !is_valid_utf8(s.substr(i, len))) return 0;
    return len;
}

std::string_view type_name(std::uint32_t type) {
    const TypeInfo* t = find_type(type);
    return t ? t->name : std::string_view("unknown");
}

std::vector<TypeTotal> totals_by_type(const Container& model, const Selection& sel) {
    std::vector<TypeTotal> by_id;
    std::vector<TypeTotal> unknown;  // ids outside the registry, in order of appearance
    for (const auto& t : model.tensors()) {
        if (!sel.selected(t)) continue;
        TypeTotal* total = nullptr;
        if (find_type(t.type)) {
            if (by_id.size() <= t.type) by_id.resize(t.type + 1);
            total = &by_id[t.type];
        } else {
            for (auto& u : unknown)
                if (u.type == t.type) total = &u;
            if (!total) total = &unknown.emplace_back();
        }
        total->type = t.type;
        total->tensors += 1;
        total->parameters += t.n_elements();
        total->bytes += t.n_bytes;
    }
    std::vector<TypeTotal> out;
    for (const auto& t : by_id)
        if (t.tensors > 0) out.push_back(t);
    out.insert(out.end(), unknown.begin(), unknown.end());
    return out;
}

}  // namespace info

int run_info(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string file;
    info::Selection sel;
    options.add_options()
        ("file", po::value(&file)->required()->value_name("FILE"),
         "GGUF file (any shard of a split model), or its URL: http(s)://... or hf://OWNER/REPO/FILE.gguf "
         "(only the header is fetched)")
        ("json", "print the JSON document described in docs/info-json.md")
        ("full", "print metadata arrays in full (default: their length and first items)")
        ("tensor", po::value(&sel.globs)->composing()->value_name("GLOB"),
         "only tensors whose name matches GLOB (repeatable)")
        ("metadata-only", "print the header and metadata, no tensors")
        ("tensors-only", "print the header and tensors, no metadata")
        ("single-shard", "read only the named file, not the other shards of its split model");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto exit = parse(args, "info", "[options] FILE", options, positional, vm)) return *exit;
    if (vm.count("metadata-only") && vm.count("tensors-only")) {
        print_error("info: --metadata-only and --tensors-only exclude each other");
        return exit_usage;
    }
    sel.file = file;
    sel.full = vm.count("full") > 0;
    sel.show_metadata = vm.count("tensors-only") == 0;
    sel.show_tensors = vm.count("metadata-only") == 0;

    OpenOptions open_options;
    open_options.load_split = vm.count("single-shard") == 0;
    auto model = open_location(file, open_options);
    if (!model) {
        print_error(model.error().describe());
        return exit_unreadable;
    }
    const std::string out = vm.count("json") ? info::render_json(*model, sel) : info::render_text(*model, sel);
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
        print_error("info: cannot write the output");
        return exit_unreadable;
    }
    return exit_ok;
}

}  // namespace gguf::cli
