// Placeholder until the module that owns 'trace' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_trace(const std::vector<std::string>&) {
    print_error("'trace' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
