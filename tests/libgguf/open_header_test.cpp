// open_header() against open(): a model read from the first bytes of its files, through a reader that
// counts what it is asked for, is the model open() reads from the whole file, less the tensor data; the
// bytes read stay within max(first read, 2 x header); errors are open()'s, at the same offset.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"
#include "libgguf/open_raw.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

// Files held in memory by name, read the way the HTTP reader reads: whole requests, counted.
struct CountingReader {
    std::map<std::string, std::vector<std::byte>> files;
    std::uint64_t bytes_read = 0;
    int requests = 0;

    PrefixReader reader() {
        return [this](const std::string& name, std::uint64_t want, std::vector<std::byte>& prefix) -> Result<std::uint64_t> {
            const auto it = files.find(name);
            if (it == files.end()) return Error{ErrorCode::io_error, 0, "no such file", name};
            const auto& file = it->second;
            const std::size_t end = static_cast<std::size_t>(std::min<std::uint64_t>(want, file.size()));
            if (end > prefix.size()) {
                bytes_read += end - prefix.size();
                ++requests;
                prefix.insert(prefix.end(), file.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                              file.begin() + static_cast<std::ptrdiff_t>(end));
            }
            return static_cast<std::uint64_t>(file.size());
        };
    }
};

// A header of some size: a vocabulary of `n_tokens` strings, and tensors with real data after it.
std::vector<std::byte> sample_file(std::size_t n_tokens) {
    Writer w;
    w.set("general.architecture", Value::string("llama"));
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < n_tokens; ++i) tokens.push_back("token" + std::to_string(i));
    w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    REQUIRE(w.add_tensor({"w", 0, {512, 512}, std::vector<std::byte>(512 * 512 * 4, std::byte{0x11})}).ok());
    REQUIRE(w.add_tensor({"q", 8, {64}, std::vector<std::byte>(68, std::byte{0x22})}).ok());
    return *w.serialize();
}

void require_same_header(const Container& whole, const Container& header) {
    REQUIRE(whole.metadata().size() == header.metadata().size());
    for (std::size_t i = 0; i < whole.metadata().size(); ++i) {
        CHECK(whole.metadata()[i].key == header.metadata()[i].key);
        const auto a = whole.metadata()[i].value.encoded(), b = header.metadata()[i].value.encoded();
        CHECK(std::equal(a.begin(), a.end(), b.begin(), b.end()));
    }
    REQUIRE(whole.tensors().size() == header.tensors().size());
    for (std::size_t i = 0; i < whole.tensors().size(); ++i) {
        CHECK(whole.tensors()[i].name == header.tensors()[i].name);
        CHECK(whole.tensors()[i].file_offset == header.tensors()[i].file_offset);
        CHECK(whole.tensors()[i].data_valid == header.tensors()[i].data_valid);
    }
    REQUIRE(whole.issues().size() == header.issues().size());
    for (std::size_t i = 0; i < whole.issues().size(); ++i) CHECK(whole.issues()[i].message == header.issues()[i].message);
    REQUIRE(whole.shards().size() == header.shards().size());
    for (std::size_t k = 0; k < whole.shards().size(); ++k) {
        CHECK(whole.shards()[k].file_size == header.shards()[k].file_size);
        CHECK(whole.shards()[k].header_bytes == header.shards()[k].header_bytes);
        CHECK(whole.shards()[k].data_offset == header.shards()[k].data_offset);
    }
}

}  // namespace

TEST_CASE("open_header reads the header in growing requests, at most twice its size, and nothing of the data") {
    for (const std::size_t n_tokens : {1u, 100u, 5000u}) {
        const auto bytes = sample_file(n_tokens);
        auto whole = open_memory(bytes, "m.gguf");
        REQUIRE(whole.ok());
        const std::uint64_t header = whole->shards()[0].header_bytes;
        for (const std::uint64_t first_read : {1u, 24u, 1000u, 4096u}) {
            CAPTURE(n_tokens);
            CAPTURE(first_read);
            CountingReader files;
            files.files["m.gguf"] = bytes;
            auto opened = open_header("m.gguf", files.reader(), {}, first_read);
            REQUIRE_MESSAGE(opened.ok(), test::why(opened));
            require_same_header(*whole, *opened);
            CHECK(files.bytes_read <= std::max(first_read, 2 * header));
            CHECK(files.bytes_read >= header);
            CHECK(files.bytes_read < bytes.size());  // the 1 MiB tensor is never read
            CHECK(opened->shards()[0].header_only);
            for (const auto& t : opened->tensors()) {
                auto view = opened->view(t);
                REQUIRE_FALSE(view.ok());
                CHECK(view.error().code == ErrorCode::tensor_unreadable);
            }
        }
    }
}

TEST_CASE("a first read larger than the file reads the file once, and its tensors can be viewed") {
    const auto bytes = sample_file(10);
    CountingReader files;
    files.files["m.gguf"] = bytes;
    auto opened = open_header("m.gguf", files.reader(), {}, 4 << 20);
    REQUIRE(opened.ok());
    CHECK(files.requests == 1);
    CHECK_FALSE(opened->shards()[0].header_only);
    CHECK(opened->view(opened->tensors()[0]).ok());
}

TEST_CASE("a file cut inside its header fails as open() fails it, at the same offset, naming the file") {
    const auto bytes = sample_file(20);
    const std::size_t header_end = open_memory(bytes, "x").value().data_offset();
    for (std::size_t keep = 0; keep < header_end; keep += 3) {
        CAPTURE(keep);
        const std::vector<std::byte> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep));
        auto from_file = test::open_bytes(cut);
        CountingReader files;
        files.files["https://example.org/cut.gguf"] = cut;
        auto from_header = open_header("https://example.org/cut.gguf", files.reader(), {}, 16);
        REQUIRE(from_file.ok() == from_header.ok());
        if (from_file.ok()) continue;
        CHECK(from_file.error().code == from_header.error().code);
        CHECK(from_file.error().offset == from_header.error().offset);
        CHECK(from_file.error().message == from_header.error().message);
        CHECK(from_header.error().describe().find("https://example.org/cut.gguf") != std::string::npos);
    }
}

TEST_CASE("a forged count is judged against the file's size, not by reading on to the end") {
    auto bytes = sample_file(10);
    bytes.resize(bytes.size() + (8 << 20));  // a big file, so that reading on would be costly
    // The metadata count (bytes 16..23) says 2^40 keys, which cannot fit in the file.
    const std::uint64_t forged = std::uint64_t{1} << 40;
    store<std::uint64_t>(bytes.data() + 16, forged, ByteOrder::little);
    CountingReader files;
    files.files["m.gguf"] = bytes;
    auto opened = open_header("m.gguf", files.reader(), {}, 4096);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == ErrorCode::count_too_large);
    CHECK(files.bytes_read == 4096);
}

TEST_CASE("open_header finds the shards of a split model by name and reads only their headers") {
    test::TempDir dir;
    Writer w;
    w.set("general.architecture", Value::string("llama"));
    for (int i = 0; i < 4; ++i)
        REQUIRE(w.add_tensor({"t" + std::to_string(i), 0, {256}, std::vector<std::byte>(1024, std::byte{0x33})}).ok());
    auto paths = write_split(w, dir / "m", 1);
    REQUIRE(paths.ok());
    REQUIRE(paths->size() == 4);
    CountingReader files;
    for (const auto& p : *paths) {
        const std::string text = test::read_file(p);
        const auto* b = reinterpret_cast<const std::byte*>(text.data());
        files.files["https://host/repo/" + p.filename().string()] = std::vector<std::byte>(b, b + text.size());
    }
    auto whole = open(paths->at(0));
    REQUIRE(whole.ok());
    for (const auto& p : *paths) {
        files.bytes_read = 0;
        auto opened = open_header("https://host/repo/" + p.filename().string(), files.reader(), {}, 64);
        REQUIRE_MESSAGE(opened.ok(), test::why(opened));
        require_same_header(*whole, *opened);
        std::uint64_t headers = 0;
        for (const auto& s : opened->shards()) headers += s.header_bytes;
        CHECK(files.bytes_read <= 2 * headers);
        CHECK(opened->shards()[3].path == "https://host/repo/m-00004-of-00004.gguf");
    }
    files.files.erase("https://host/repo/m-00003-of-00004.gguf");
    auto missing = open_header("https://host/repo/m-00001-of-00004.gguf", files.reader(), {}, 64);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().path == "https://host/repo/m-00003-of-00004.gguf");
}
