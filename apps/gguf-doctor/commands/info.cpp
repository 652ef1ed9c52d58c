// Placeholder until the module that owns 'info' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_info(const std::vector<std::string>&) {
    print_error("'info' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
