// Remote locations: which names are URLs, and how hf:// maps onto the Hub's resolve URLs.
#include <doctest/doctest.h>

#include "gguf/remote/remote.hpp"

using namespace gguf;

TEST_CASE("http, https and hf locations are remote; paths are not") {
    CHECK(remote::is_remote("http://127.0.0.1:8080/m.gguf"));
    CHECK(remote::is_remote("https://huggingface.co/a/b/resolve/main/m.gguf"));
    CHECK(remote::is_remote("hf://a/b/m.gguf"));
    CHECK_FALSE(remote::is_remote("models/m.gguf"));
    CHECK_FALSE(remote::is_remote("/tmp/http:/m.gguf"));
    CHECK_FALSE(remote::is_remote("ftp://host/m.gguf"));
}

TEST_CASE("hf://OWNER/REPO[@REVISION]/FILE is the Hub's resolve URL of that file, on main by default") {
    CHECK(remote::resolve("hf://Qwen/Qwen3-0.6B-GGUF/Qwen3-0.6B-Q8_0.gguf").value() ==
          "https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/resolve/main/Qwen3-0.6B-Q8_0.gguf");
    CHECK(remote::resolve("hf://o/r@v1.2/sub/dir/m-00001-of-00003.gguf").value() ==
          "https://huggingface.co/o/r/resolve/v1.2/sub/dir/m-00001-of-00003.gguf");
    CHECK(remote::resolve("https://example.org/x.gguf").value() == "https://example.org/x.gguf");
    for (const char* bad : {"hf://", "hf://owner", "hf://owner/repo", "hf://owner/repo/", "hf:///repo/f.gguf",
                            "hf://o//f.gguf", "hf://o/@rev/f.gguf", "hf://o/r@/f.gguf", "m.gguf"}) {
        CAPTURE(bad);
        auto r = remote::resolve(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == ErrorCode::invalid_argument);
        CHECK(r.error().path == bad);
    }
}
