// Placeholder until the module that owns 'stats' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_stats(const std::vector<std::string>&) {
    print_error("'stats' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
