// Placeholder until the module that owns 'diff' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_diff(const std::vector<std::string>&) {
    print_error("'diff' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
