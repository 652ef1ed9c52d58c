// Placeholder until the module that owns 'tokenize' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_tokenize(const std::vector<std::string>&) {
    print_error("'tokenize' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
