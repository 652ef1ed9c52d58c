// gguf-doctor merge SHARD -o OUT [--force]: the shards of a split model (any of them names the set) as one
// file, as llama.cpp's gguf-split --merge writes it: the first shard's metadata without the split.* keys,
// every tensor's bytes unchanged. Exit: 0 written, 2 unreadable input or failed write, 3 usage.
#include <fmt/format.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "gguf/writer.hpp"
#include "output_guard.hpp"

namespace gguf::cli {

int run_merge(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string file, out;
    options.add_options()
        ("file", po::value(&file)->required()->value_name("SHARD"), "any shard of the split model")
        ("out,o", po::value(&out)->required()->value_name("FILE"), "the merged file")
        ("force", "replace OUT if it exists");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto exit = parse(args, "merge", "SHARD -o OUT", options, positional, vm)) return *exit;
    auto model = open_model(file);
    if (!model) return exit_unreadable;
    if (auto why = refuse_output(out, *model, vm.count("force") > 0); !why.empty()) {
        print_error("merge: " + why);
        return exit_usage;
    }
    auto writer = writer_from(*model, model->byte_order());
    if (!writer) {
        print_error(writer.error().describe());
        return exit_unreadable;
    }
    if (auto w = writer->write(out); !w) {
        print_error("merge: " + w.error().describe());
        return exit_unreadable;
    }
    std::cout << fmt::format("wrote {}: {} shard{} merged, {} tensors\n", out, model->shards().size(),
                             model->shards().size() == 1 ? "" : "s", model->tensors().size());
    return exit_ok;
}

}  // namespace gguf::cli
