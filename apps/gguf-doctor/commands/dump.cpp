// Placeholder until the module that owns 'dump' lands; replaced by its implementation.
#include "cli.hpp"
#include "commands.hpp"

namespace gguf::cli {

int run_dump(const std::vector<std::string>&) {
    print_error("'dump' is not implemented yet");
    return exit_usage;
}

}  // namespace gguf::cli
