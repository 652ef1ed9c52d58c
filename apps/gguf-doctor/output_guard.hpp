// The rule every command that writes a model obeys: never over a file it reads, and never over an
// existing file unless asked to (--force).
#pragma once

#include <filesystem>
#include <string>

#include "gguf/container.hpp"

namespace gguf::cli {

// Empty when `out` may be written; else the reason (the caller prints it and exits with exit_usage).
std::string refuse_output(const std::filesystem::path& out, const Container& input, bool force);

}  // namespace gguf::cli
