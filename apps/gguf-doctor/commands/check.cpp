// Placeholder until the module that owns 'check' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_check(const std::vector<std::string>&) {
    print_error("'check' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
