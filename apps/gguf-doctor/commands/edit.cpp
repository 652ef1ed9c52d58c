// gguf-doctor edit FILE -o OUT --set KEY=VALUE --delete KEY --rename OLD=NEW --special-token NAME=TEXT
// --chat-template TEXT | --chat-template-file FILE [--dry-run] [--force]: a copy of the model with its
// metadata edited as gguf-py's scripts edit it, type-checked (gguf/repair/edit.hpp). Edits apply in the
// order given. Exit: 0 written (or listed with --dry-run), 2 unreadable input, 3 a refused edit or usage.
#include <fmt/format.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "gguf/repair/edit.hpp"
#include "output_guard.hpp"

namespace gguf::cli {
namespace {

// The edit options in command-line order (Boost keeps each option's values apart, which loses the
// order between, say, a --rename and a --set of the new name).
Result<std::vector<repair::MetadataEdit>> ordered_edits(const std::vector<std::string>& args) {
    std::vector<repair::MetadataEdit> edits;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i], value;
        if (name.rfind("--", 0) != 0) continue;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        } else if (i + 1 < args.size()) {
            value = args[i + 1];
        }
        Result<repair::MetadataEdit> edit = Error{};
        if (name == "--set") edit = repair::parse_set(value);
        else if (name == "--rename") edit = repair::parse_rename(value);
        else if (name == "--special-token") edit = repair::parse_special_token(value);
        else if (name == "--delete") edit = repair::MetadataEdit{repair::MetadataEdit::Kind::remove, value, {}, {}};
        else if (name == "--chat-template")
            edit = repair::MetadataEdit{repair::MetadataEdit::Kind::set, "tokenizer.chat_template", value, ValueType::string};
        else if (name == "--chat-template-file") {
            auto text = read_file_bytes(value);
            if (!text) return Error{ErrorCode::io_error, 0, "cannot read the chat template file", value};
            edit = repair::MetadataEdit{repair::MetadataEdit::Kind::set, "tokenizer.chat_template", *text, ValueType::string};
        } else continue;
        if (!edit) return edit.error();
        edits.push_back(std::move(*edit));
    }
    return edits;
}

}  // namespace

int run_edit(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string file, out;
    std::vector<std::string> unused;
    options.add_options()
        ("file", po::value(&file)->required()->value_name("FILE"), "GGUF file (any shard of a split model)")
        ("out,o", po::value(&out)->required()->value_name("FILE"), "the edited copy (never the input)")
        ("set", po::value(&unused)->value_name("KEY=VALUE"),
         "set a key; its type is the current value's, or the one llama.cpp's converter writes; KEY:TYPE=VALUE "
         "names it for other keys (uint32, int32, float32, bool, string, ...); arrays as JSON, e.g. [1, 2]")
        ("delete", po::value(&unused)->value_name("KEY"), "remove a key")
        ("rename", po::value(&unused)->value_name("OLD=NEW"), "rename a key, keeping its value and place")
        ("special-token", po::value(&unused)->value_name("NAME=TEXT"),
         "point tokenizer.ggml.NAME_token_id at the token with this text (NAME: bos, eos, eot, padding, ...)")
        ("chat-template", po::value(&unused)->value_name("TEXT"), "replace tokenizer.chat_template")
        ("chat-template-file", po::value(&unused)->value_name("FILE"), "replace tokenizer.chat_template with a file's text")
        ("dry-run", "list the changes, write nothing")
        ("force", "replace OUT if it exists");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto exit = parse(args, "edit", "FILE -o OUT [--set KEY=VALUE] [--delete KEY] [--rename OLD=NEW] ...", options,
                          positional, vm))
        return *exit;
    auto edits = ordered_edits(args);
    if (!edits) {
        print_error("edit: " + edits.error().message + (edits.error().path.empty() ? "" : " (" + edits.error().path + ")"));
        return edits.error().code == ErrorCode::io_error ? exit_unreadable : exit_usage;
    }
    if (edits->empty()) {
        print_error("edit: nothing to change (--set, --delete, --rename, --special-token, --chat-template)");
        return exit_usage;
    }
    auto model = open_model(file);
    if (!model) return exit_unreadable;
    const bool dry_run = vm.count("dry-run") > 0;
    if (!dry_run)
        if (auto why = refuse_output(out, *model, vm.count("force") > 0); !why.empty()) {
            print_error("edit: " + why);
            return exit_usage;
        }
    auto edited = repair::apply_edits(*model, *edits);
    if (!edited) {
        print_error("edit: " + edited.error().message);
        return exit_usage;
    }
    for (const auto& c : edited->changes)
        std::cout << fmt::format("{}: {} -> {}\n", c.key, c.before.value_or("(absent)"), c.after.value_or("(removed)"));
    if (dry_run) {
        std::cout << "dry run: nothing written\n";
        return exit_ok;
    }
    if (auto w = edited->writer.write(out); !w) {
        print_error("edit: " + w.error().describe());
        return exit_unreadable;
    }
    std::cout << fmt::format("wrote {} ({} change{})\n", out, edited->changes.size(), edited->changes.size() == 1 ? "" : "s");
    return exit_ok;
}

}  // namespace gguf::cli
