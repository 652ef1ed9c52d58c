// Byte ranges of files on HTTP(S) servers, with libcurl: the PrefixReader behind open_remote().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gguf/remote/remote.hpp"

namespace gguf::remote {

class HttpReader {
public:
    explicit HttpReader(HttpOptions options);
    ~HttpReader();
    HttpReader(const HttpReader&) = delete;
    HttpReader& operator=(const HttpReader&) = delete;

    // Extends `prefix` (the first bytes of the file at `url`) to `want` bytes, or to the end of a shorter
    // file, with one range request (and its retries); returns the file's size. A server that answers
    // with a shorter range than asked leaves the prefix shorter; open_header() asks again.
    Result<std::uint64_t> read(const std::string& url, std::uint64_t want, std::vector<std::byte>& prefix);

    const FetchStats& stats() const { return stats_; }

private:
    struct Transfer;
    // One request for bytes [prefix.size(), want): appends what arrives, whatever the outcome.
    Transfer request(const std::string& url, std::uint64_t want, std::vector<std::byte>& prefix);

    HttpOptions options_;
    void* curl_ = nullptr;  // one handle, so connections are reused between the requests
    FetchStats stats_;
};

}  // namespace gguf::remote
