#include "location.hpp"

#include "gguf/remote/remote.hpp"

namespace gguf::cli {

bool is_remote_location(std::string_view location) { return remote::is_remote(location); }

Result<Container> open_location(const std::string& location, const OpenOptions& options) {
    if (!remote::is_remote(location)) return open(location, options);
    auto http = remote::options_from_environment();
    if (!http) return http.error();
    return remote::open_remote(location, options, *http);
}

}  // namespace gguf::cli
