#include "http_reader.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>
#include <optional>
#include <thread>

namespace gguf::remote {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
    return s;
}

bool iequals_prefix(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
    return true;
}

std::optional<std::uint64_t> number(std::string_view s) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// "bytes 0-1023/4096" (a part), "bytes */4096" (416: nothing satisfiable). The total may be "*".
struct ContentRange {
    std::optional<std::uint64_t> first, last, total;
};

ContentRange parse_content_range(std::string_view v) {
    ContentRange r;
    if (v.substr(0, 6) != "bytes ") return r;
    v.remove_prefix(6);
    const auto slash = v.find('/');
    if (slash == std::string_view::npos) return r;
    r.total = number(v.substr(slash + 1));
    const std::string_view range = v.substr(0, slash);
    if (const auto dash = range.find('-'); dash != std::string_view::npos) {
        r.first = number(range.substr(0, dash));
        r.last = number(range.substr(dash + 1));
    }
    return r;
}

bool transient_status(long status) { return status == 408 || status == 429 || (status >= 500 && status <= 599); }

bool transient_curl(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR: return true;
        default: return false;
    }
}

bool is_huggingface(const std::string& url) {
    return url.rfind("https://huggingface.co/", 0) == 0 || url.rfind("https://hf.co/", 0) == 0;
}

}  // namespace

// What one request found: the response's facts and, when it failed, why and whether to try again.
struct HttpReader::Transfer {
    // Filled by the callbacks, for the last response (a redirect's headers are forgotten).
    long status = 0;
    ContentRange range;
    std::optional<std::uint64_t> content_length;
    std::uint64_t begin = 0, want = 0;  // requested [begin, want)
    std::uint64_t received = 0;
    std::vector<std::byte>* sink = nullptr;
    CURL* curl = nullptr;
    bool checked = false;  // the response was judged at its first body byte

    // Outcome.
    std::string failure;  // empty: the bytes arrived
    bool transient = false;
    std::optional<std::uint64_t> total;  // the file's size, once known

    // At the first body byte: only a 206 for the range asked for (or a 200 whose whole body is no more
    // than was asked for) is read on; anything else stops the transfer before its body is downloaded.
    bool accept_body() {
        checked = true;
        long code = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        status = code;
        if (status == 206) {
            if (range.first != begin) {
                failure = "the server answered the range request for bytes " + std::to_string(begin) + "- with " +
                          (range.first ? "bytes from " + std::to_string(*range.first) : std::string("no Content-Range"));
                return false;
            }
            if (!range.total) {
                failure = "the server does not say the file's size (Content-Range without a total)";
                return false;
            }
            total = range.total;
            return true;
        }
        if (status == 200) {
            if (begin == 0 && content_length && *content_length <= want) {
                total = content_length;  // the whole file is no more than was asked for
                return true;
            }
            failure = "the server ignored the range request (HTTP 200 with the whole file" +
                      (content_length ? " of " + std::to_string(*content_length) + " bytes" : std::string()) +
                      "); the transfer was stopped instead of downloading the file";
            return false;
        }
        return false;  // an error status: judged after the transfer, its body is not wanted
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) {
        auto& t = *static_cast<Transfer*>(self);
        const std::string_view line(data, size * n);
        if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect or a 100 Continue)
            t.range = {};
            t.content_length.reset();
        } else if (iequals_prefix(line, "content-range:")) {
            t.range = parse_content_range(trim(line.substr(14)));
        } else if (iequals_prefix(line, "content-length:")) {
            t.content_length = number(trim(line.substr(15)));
        }
        return size * n;
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self) {
        auto& t = *static_cast<Transfer*>(self);
        if (!t.checked && !t.accept_body()) return 0;
        if (!t.failure.empty()) return 0;
        const std::size_t bytes = size * n;
        if (t.received + bytes > t.want - t.begin) {
            t.failure = "the server sent more bytes than the range asked for";
            return 0;
        }
        const auto* b = reinterpret_cast<const std::byte*>(data);
        t.sink->insert(t.sink->end(), b, b + bytes);
        t.received += bytes;
        return bytes;
    }
};

HttpReader::HttpReader(HttpOptions options) : options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl_ = curl_easy_init();
}

HttpReader::~HttpReader() {
    if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpReader::Transfer HttpReader::request(const std::string& url, std::uint64_t want, std::vector<std::byte>& prefix) {
    CURL* curl = static_cast<CURL*>(curl_);
    Transfer t;
    t.curl = curl;
    t.begin = prefix.size();
    t.want = want;
    t.sink = &prefix;
    curl_easy_reset(curl);
    const std::string range = std::to_string(t.begin) + "-" + std::to_string(want - 1);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "gguf-doctor");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    // A stall: less than one byte a second for the stall timeout (curl counts it in whole seconds).
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     std::max<long>(1, static_cast<long>((options_.stall_timeout.count() + 999) / 1000)));
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    if (!options_.bearer_token.empty() && is_huggingface(url)) {
        // curl sends it to the host named here only, not to the CDN the Hub redirects to.
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, options_.bearer_token.c_str());
    }
    ++stats_.requests;
    const CURLcode code = curl_easy_perform(curl);
    stats_.bytes += t.received;
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    t.status = status;

    if (!t.failure.empty()) return t;  // judged by the callbacks: not worth another attempt
    if (status == 416) {
        // Nothing of the range exists: the file ends at or before `begin`.
        if (t.range.total && *t.range.total <= t.begin) {
            t.total = t.range.total;
            return t;
        }
        t.failure = "HTTP 416 (range not satisfiable) for bytes " + range;
        return t;
    }
    if (status >= 300 || (code == CURLE_OK && status != 200 && status != 206)) {
        t.failure = "HTTP " + std::to_string(status) + (status == 404 ? " (not found)" : "");
        t.transient = transient_status(status);
        return t;
    }
    if (code != CURLE_OK) {
        const char* what = curl_easy_strerror(code);
        if (code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING)
            t.failure = "the connection was cut after " + std::to_string(t.received) + " bytes of the range " + range +
                        " (" + what + ")";
        else if (code == CURLE_OPERATION_TIMEDOUT)
            t.failure = "timed out (" + std::string(what) + ")";
        else
            t.failure = what;
        t.transient = transient_curl(code);
        return t;
    }
    if (!t.checked) {  // a 200/206 without a body
        if (!t.accept_body()) return t;
    }
    std::uint64_t expected = std::min(want, *t.total) - std::min(t.begin, *t.total);
    // A server may answer with less than the range asked for (some cap a response's size): what it
    // announced is what counts here, and open_header() asks again for the rest.
    if (t.status == 206 && t.range.last && *t.range.last >= t.begin) expected = std::min(expected, *t.range.last + 1 - t.begin);
    if (t.received < expected) {
        t.failure = "the connection was cut after " + std::to_string(t.received) + " of " + std::to_string(expected) +
                    " bytes of the range " + range;
        t.transient = true;
    }
    return t;
}

Result<std::uint64_t> HttpReader::read(const std::string& url, std::uint64_t want, std::vector<std::byte>& prefix) {
    if (!curl_) return Error{ErrorCode::io_error, prefix.size(), "libcurl could not be initialised", url};
    if (prefix.size() >= options_.max_header_bytes)
        return Error{ErrorCode::io_error, prefix.size(),
                     "the header goes on past " + std::to_string(options_.max_header_bytes) +
                         " bytes, the most read of one file (GGUF_DOCTOR_HTTP_MAX_HEADER); a damaged length field, "
                         "or a header larger than any model's",
                     url};
    want = std::min(want, options_.max_header_bytes);
    auto delay = options_.retry_delay;
    for (int attempt = 0;; ++attempt) {
        if (want <= prefix.size())
            return Error{ErrorCode::invalid_argument, prefix.size(), "nothing to read: the bytes are at hand", url};
        Transfer t = request(url, want, prefix);
        if (t.failure.empty()) return *t.total;
        if (!t.transient || attempt >= options_.retries) {
            std::string message = t.failure;
            if (attempt > 0) message += " (" + std::to_string(attempt + 1) + " attempts)";
            return Error{ErrorCode::io_error, t.begin, message, url};
        }
        // What arrived before a cut is kept: the next attempt asks for the rest.
        std::this_thread::sleep_for(delay);
        delay *= 2;
    }
}

}  // namespace gguf::remote
