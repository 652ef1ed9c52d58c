// open_memory() against open(): the same bytes, from memory or from a file, give the same Container or
// the same error, and the Container owns its copy of the bytes.
#include <doctest/doctest.h>

#include <cstring>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"
#include "libgguf/open_raw.hpp"

using namespace gguf;

namespace {

std::vector<std::byte> sample_file(ByteOrder order) {
    Writer w(order);
    w.set("general.architecture", Value::string("llama"));
    w.set("llama.block_count", Value::u32(3));
    const std::vector<std::string> tokens{"a", "bc", "def"};
    w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    REQUIRE(w.add_tensor({"w", 0, {8, 2}, std::vector<std::byte>(64, std::byte{0x11})}).ok());
    REQUIRE(w.add_tensor({"q", 8, {64}, std::vector<std::byte>(68, std::byte{0x22})}).ok());
    return *w.serialize();
}

void require_same(const Container& a, const Container& b) {
    REQUIRE(a.metadata().size() == b.metadata().size());
    for (std::size_t i = 0; i < a.metadata().size(); ++i) {
        CHECK(a.metadata()[i].key == b.metadata()[i].key);
        CHECK(a.metadata()[i].offset == b.metadata()[i].offset);
    }
    REQUIRE(a.tensors().size() == b.tensors().size());
    for (std::size_t i = 0; i < a.tensors().size(); ++i) {
        const TensorInfo& x = a.tensors()[i];
        const TensorInfo& y = b.tensors()[i];
        CHECK(x.name == y.name);
        CHECK(x.file_offset == y.file_offset);
        CHECK(x.n_bytes == y.n_bytes);
        CHECK(x.data_valid == y.data_valid);
        auto vx = a.view(x);
        auto vy = b.view(y);
        REQUIRE(vx.ok() == vy.ok());
        if (vx.ok()) CHECK(std::memcmp(vx->bytes.data(), vy->bytes.data(), vx->bytes.size()) == 0);
    }
    CHECK(a.issues().size() == b.issues().size());
    CHECK(a.byte_order() == b.byte_order());
    CHECK(a.data_offset() == b.data_offset());
}

}  // namespace

TEST_CASE("open_memory reads a file's bytes as open reads the file, in both byte orders") {
    for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
        const auto bytes = sample_file(order);
        auto from_file = test::open_bytes(bytes);
        auto from_memory = open_memory(bytes, "in-memory.gguf");
        REQUIRE_MESSAGE(from_file.ok(), test::why(from_file));
        REQUIRE_MESSAGE(from_memory.ok(), test::why(from_memory));
        require_same(*from_file, *from_memory);
        CHECK(from_memory->shards().front().path == "in-memory.gguf");
        CHECK(from_memory->get_u64("llama.block_count") == 3);
    }
}

TEST_CASE("open_memory fails where open fails, with the same code and offset, naming the given name") {
    const auto bytes = sample_file(ByteOrder::little);
    const std::size_t header_end = open_memory(bytes, "x").value().data_offset();
    for (std::size_t keep = 0; keep < header_end; ++keep) {
        const std::vector<std::byte> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep));
        auto from_file = test::open_bytes(cut);
        auto from_memory = open_memory(cut, "cut.gguf");
        CAPTURE(keep);
        REQUIRE(from_file.ok() == from_memory.ok());
        if (from_file.ok()) continue;  // the tensor infos ended before the padding: parsed, data out of bounds
        CHECK(from_file.error().code == from_memory.error().code);
        CHECK(from_file.error().offset == from_memory.error().offset);
        CHECK(from_memory.error().describe().find("cut.gguf") != std::string::npos);
    }
}

TEST_CASE("the container from open_memory owns its bytes: the caller's buffer may be freed") {
    auto bytes = std::make_unique<std::vector<std::byte>>(sample_file(ByteOrder::little));
    auto model = open_memory(*bytes, "owned.gguf");
    REQUIRE(model.ok());
    std::memset(bytes->data(), 0xAB, bytes->size());  // a container still reading them would see 0xAB
    bytes.reset();
    CHECK(model->get_string("general.architecture") == "llama");
    CHECK(model->find("tokenizer.ggml.tokens")->string_at(2) == "def");
    auto view = model->view(*model->find_tensor("w"));
    REQUIRE(view.ok());
    CHECK(view->bytes[0] == std::byte{0x11});
}

TEST_CASE("open_memory of nothing is a truncation error, not a crash") {
    auto model = open_memory({}, "empty");
    REQUIRE_FALSE(model.ok());
    CHECK(model.error().offset == 0);
}
