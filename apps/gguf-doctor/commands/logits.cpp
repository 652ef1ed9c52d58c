// Placeholder until the module that owns 'logits' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_logits(const std::vector<std::string>&) {
    print_error("'logits' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
