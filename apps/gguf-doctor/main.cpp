// gguf-doctor: inspect GGUF model files and validate their weights.
#include <array>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"

namespace {

using gguf::cli::Command;

constexpr std::array kCommands = {
    Command{"info", "header, metadata and tensor table (reads only the header)", gguf::cli::run_info},
    Command{"stats", "per-tensor value statistics, streamed over the data", gguf::cli::run_stats},
    Command{"dump", "one tensor as a NumPy .npy file (dequantized or raw)", gguf::cli::run_dump},
    Command{"check", "validate structure, architecture, tokenizer, values and logits", gguf::cli::run_check},
    Command{"tokenize", "token ids of a text, as the model's tokenizer produces them", gguf::cli::run_tokenize},
    Command{"logits", "reference logits for a prompt or token ids", gguf::cli::run_logits},
    Command{"trace", "per-layer, per-op activations for a prompt", gguf::cli::run_trace},
    Command{"audit", "compare your loader's tensor dumps or traces with the reference", gguf::cli::run_audit},
    Command{"hash", "per-tensor and whole-model hashes; write or verify a manifest", gguf::cli::run_hash},
    Command{"fit", "memory llama.cpp needs: weights per device, KV cache, compute; largest context", gguf::cli::run_fit},
    Command{"diff", "compare two models: metadata, tensors, and optionally their predictions", gguf::cli::run_diff},
    Command{"edit", "a copy with metadata keys set, renamed or deleted, type-checked", gguf::cli::run_edit},
    Command{"split", "shards as llama.cpp's gguf-split writes them", gguf::cli::run_split},
    Command{"merge", "the shards of a split model as one file", gguf::cli::run_merge},
    Command{"fix", "a copy with the mistakes check proves (GD-F012) undone", gguf::cli::run_fix},
};

void print_usage(std::ostream& os) {
    os << "usage: gguf-doctor <command> [options] FILE...\n\ncommands:\n";
    for (const auto& c : kCommands) os << "  " << c.name << std::string(10 - c.name.size(), ' ') << c.summary << "\n";
    os << "\n'gguf-doctor <command> --help' describes a command's options.\n"
          "exit codes: 0 ok, 1 findings or differences, 2 unreadable input, 3 usage error\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        print_usage(std::cerr);
        return gguf::cli::exit_usage;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(std::cout);
        return gguf::cli::exit_ok;
    }
    if (name == "--version") {
        std::cout << "gguf-doctor " << GGUF_DOCTOR_VERSION << "\n";
        return gguf::cli::exit_ok;
    }
    const std::vector<std::string> args(argv + 2, argv + argc);
    for (const auto& c : kCommands) {
        if (c.name != name) continue;
        try {
            return c.run(args);
        } catch (const std::exception& e) {
            // Library code reports bad input as values; an exception here is a bug worth reporting as one.
            gguf::cli::print_error(std::string("internal error in '") + name + "': " + e.what());
            return gguf::cli::exit_unreadable;
        }
    }
    gguf::cli::print_error("unknown command '" + name + "'");
    print_usage(std::cerr);
    return gguf::cli::exit_usage;
}
