// Placeholder until the module that owns 'hash' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_hash(const std::vector<std::string>&) {
    print_error("'hash' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
