// Remote locations: http(s) URLs and the hf:// shorthand for Hugging Face Hub files.
#include <cstdlib>
#include <string>

#include "gguf/remote/remote.hpp"

namespace gguf::remote {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

Error bad_location(std::string_view location, std::string message) {
    return Error{ErrorCode::invalid_argument, 0, std::move(message), std::string(location)};
}

}  // namespace

bool is_remote(std::string_view location) {
    return starts_with(location, "http://") || starts_with(location, "https://") || starts_with(location, "hf://");
}

Result<std::string> resolve(std::string_view location) {
    if (starts_with(location, "http://") || starts_with(location, "https://")) return std::string(location);
    if (!starts_with(location, "hf://"))
        return bad_location(location, "not a remote location (http://, https:// or hf://OWNER/REPO/FILE)");
    const std::string_view rest = location.substr(5);
    const auto owner_end = rest.find('/');
    const auto repo_end = owner_end == std::string_view::npos ? owner_end : rest.find('/', owner_end + 1);
    if (owner_end == 0 || repo_end == std::string_view::npos || repo_end == owner_end + 1 || repo_end + 1 >= rest.size())
        return bad_location(location, "an hf:// location is hf://OWNER/REPO/FILE or hf://OWNER/REPO@REVISION/FILE");
    std::string_view owner = rest.substr(0, owner_end);
    std::string_view repo = rest.substr(owner_end + 1, repo_end - owner_end - 1);
    std::string_view revision = "main";
    if (const auto at = repo.find('@'); at != std::string_view::npos) {
        revision = repo.substr(at + 1);
        repo = repo.substr(0, at);
        if (repo.empty() || revision.empty())
            return bad_location(location, "an hf:// location is hf://OWNER/REPO@REVISION/FILE; the repository or "
                                          "the revision is empty");
    }
    const std::string_view file = rest.substr(repo_end + 1);
    return "https://huggingface.co/" + std::string(owner) + "/" + std::string(repo) + "/resolve/" +
           std::string(revision) + "/" + std::string(file);
}

}  // namespace gguf::remote
