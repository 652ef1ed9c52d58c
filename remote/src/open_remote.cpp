// open_remote(): open_header() over HTTP range requests, and the options the environment sets.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "http_reader.hpp"

namespace gguf::remote {
namespace {

std::string shortest(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

// A number from the environment variable `name`, or nullopt when it is unset.
Result<std::optional<double>> env_number(const char* name, double min, double max) {
    const char* text = std::getenv(name);
    if (!text || !*text) return std::optional<double>{};
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !std::isfinite(v) || v < min || v > max)
        return Error{ErrorCode::invalid_argument, 0,
                     std::string(name) + " is '" + text + "'; it must be a number from " + shortest(min) + " to " +
                         shortest(max),
                     ""};
    return std::optional<double>{v};
}

// A URL split before its query: split shards are named from the path (NAME-00001-of-00003.gguf), and
// every shard is fetched with the query of the URL given (?download=true, a token). A fragment is
// never sent.
struct PathAndQuery {
    std::string path, query;
};

PathAndQuery split_query(const std::string& url) {
    const auto end = url.find_first_of("?#");
    if (end == std::string::npos) return {url, ""};
    const auto fragment = url.find('#', end);
    const std::string query = url[end] == '?' ? url.substr(end, fragment == std::string::npos ? std::string::npos : fragment - end) : "";
    return {url.substr(0, end), query};
}

}  // namespace

Result<HttpOptions> options_from_environment() {
    HttpOptions o;
    auto timeout = env_number("GGUF_DOCTOR_HTTP_TIMEOUT", 0.001, 3600);
    if (!timeout) return timeout.error();
    if (*timeout) {
        o.connect_timeout = std::chrono::milliseconds(static_cast<long>(**timeout * 1000));
        o.stall_timeout = o.connect_timeout;
    }
    auto retries = env_number("GGUF_DOCTOR_HTTP_RETRIES", 0, 20);
    if (!retries) return retries.error();
    if (*retries) o.retries = static_cast<int>(**retries);
    auto delay = env_number("GGUF_DOCTOR_HTTP_RETRY_DELAY", 0, 60);
    if (!delay) return delay.error();
    if (*delay) o.retry_delay = std::chrono::milliseconds(static_cast<long>(**delay * 1000));
    auto first = env_number("GGUF_DOCTOR_HTTP_FIRST_READ", 1, 1 << 30);
    if (!first) return first.error();
    if (*first) o.first_read = static_cast<std::uint64_t>(**first);
    auto max_header = env_number("GGUF_DOCTOR_HTTP_MAX_HEADER", 1, 1e15);
    if (!max_header) return max_header.error();
    if (*max_header) o.max_header_bytes = static_cast<std::uint64_t>(**max_header);
    if (const char* token = std::getenv("HF_TOKEN")) o.bearer_token = token;
    return o;
}

Result<Container> open_remote(std::string_view location, const OpenOptions& options, const HttpOptions& http,
                              FetchStats* stats) {
    auto url = resolve(location);
    if (!url) return url.error();
    const PathAndQuery parts = split_query(*url);
    HttpReader reader(http);
    const PrefixReader read = [&](const std::string& name, std::uint64_t want, std::vector<std::byte>& prefix) {
        return reader.read(name + parts.query, want, prefix);
    };
    auto opened = open_header(parts.path, read, options, http.first_read);
    if (stats) *stats = reader.stats();
    return opened;
}

}  // namespace gguf::remote
