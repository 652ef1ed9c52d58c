// Checking a model before downloading it: the header of a GGUF file on an HTTP(S) server or the Hugging
// Face Hub, read with range requests and parsed by open_header(). No tensor data is fetched.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "gguf/container.hpp"

namespace gguf::remote {

// Whether `location` names a remote file: http://, https:// or hf://.
bool is_remote(std::string_view location);

// The URL a location is read from: http(s) URLs as they are; hf://OWNER/REPO/PATH and
// hf://OWNER/REPO@REVISION/PATH become https://huggingface.co/OWNER/REPO/resolve/REVISION/PATH (main
// when no revision is given). Fails (invalid_argument, naming the location) for anything else.
Result<std::string> resolve(std::string_view location);

struct HttpOptions {
    std::chrono::milliseconds connect_timeout{15000};
    // A transfer that receives nothing for this long fails (and is retried): a server that hangs.
    std::chrono::milliseconds stall_timeout{30000};
    int retries = 3;                                  // further attempts after a cut, a timeout, HTTP 5xx/429/408
    std::chrono::milliseconds retry_delay{500};       // before the first retry; doubled for each next one
    std::uint64_t first_read = default_first_read;    // bytes of the first request (open_header())
    // No more than this is read of one file: a damaged length field could otherwise make its "header"
    // the whole file. Real headers (a 256k-token vocabulary, thousands of tensors) take tens of MB.
    std::uint64_t max_header_bytes = std::uint64_t{256} << 20;
    std::string bearer_token;                         // sent to huggingface.co only (gated repositories)
};

// Defaults, changed by the environment: GGUF_DOCTOR_HTTP_TIMEOUT (seconds, both timeouts),
// GGUF_DOCTOR_HTTP_RETRIES, GGUF_DOCTOR_HTTP_RETRY_DELAY (seconds), GGUF_DOCTOR_HTTP_FIRST_READ and
// GGUF_DOCTOR_HTTP_MAX_HEADER (bytes), HF_TOKEN. Fails (invalid_argument, naming the variable) for a value that is not a number in range.
Result<HttpOptions> options_from_environment();

struct FetchStats {
    std::uint64_t bytes = 0;  // body bytes received, over all requests and attempts
    int requests = 0;         // HTTP requests made (a redirect followed counts once)
};

// Opens the model at `location` from its headers alone (a split model: every shard's header, the
// siblings found by the shard name pattern). Shard::header_only is set where the data was not fetched.
// Errors name the URL: HTTP errors (404...), a server that ignores Range (the transfer is stopped at the
// first byte of a full response), a connection cut or timed out after the retries, a header longer
// than the file.
Result<Container> open_remote(std::string_view location, const OpenOptions& options = {},
                              const HttpOptions& http = {}, FetchStats* stats = nullptr);

}  // namespace gguf::remote
