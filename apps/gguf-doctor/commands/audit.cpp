// Placeholder until the module that owns 'audit' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_audit(const std::vector<std::string>&) {
    print_error("'audit' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
