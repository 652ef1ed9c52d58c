// Models named by a local path or by a URL (http://, https://, hf://OWNER/REPO/FILE): remote files are
// opened from their headers alone (gguf/remote), so the commands that accept them read no tensor data.
#pragma once

#include <string>
#include <string_view>

#include "gguf/container.hpp"

namespace gguf::cli {

bool is_remote_location(std::string_view location);

// open() for a path; for a URL, open_remote() with the HTTP settings of the environment (docs/deploy.md).
// Errors name the file or the URL.
Result<Container> open_location(const std::string& location, const OpenOptions& options = {});

}  // namespace gguf::cli
