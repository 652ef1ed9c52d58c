// The writer refuses what ggml would refuse to load, keeps alignment and general.alignment in step,
// and replaces its target atomically.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"
#include "libgguf/open_raw.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {
std::vector<std::byte> zeros(std::size_t n) { return std::vector<std::byte>(n); }
}  // namespace

TEST_CASE("a non-default alignment is written as general.alignment and aligns every tensor") {
    Writer w(ByteOrder::little, 128);
    REQUIRE(w.find("general.alignment"));
    CHECK(w.find("general.alignment")->type() == ValueType::uint32);
    REQUIRE(w.add_tensor({"a", 0, {3}, zeros(12)}).ok());
    REQUIRE(w.add_tensor({"b", 0, {5}, zeros(20)}).ok());
    test::TempDir dir;
    REQUIRE(w.write(dir / "a.gguf").ok());
    auto m = open(dir / "a.gguf");
    REQUIRE(m.ok());
    CHECK(m->alignment() == 128);
    CHECK(m->data_offset() % 128 == 0);
    CHECK(m->tensors()[1].offset == 128);
    CHECK(m->issues().empty());
    CHECK(m->shards()[0].file_size == m->data_offset() + 256);  // the last tensor is padded too, as ggml does

    Writer s;
    s.set("general.alignment", Value::u32(64));
    CHECK(s.alignment() == 64);
    CHECK(s.erase("general.alignment"));
    CHECK(s.alignment() == 32);
}

TEST_CASE("the writer refuses an alignment that ggml would refuse") {
    for (std::uint64_t a : {0ull, 3ull, 1ull << 32}) {
        CAPTURE(a);
        CHECK(Writer(ByteOrder::little, a).serialize().error().code == ErrorCode::invalid_argument);
    }
    Writer u64_alignment;
    u64_alignment.set("general.alignment", Value::u64(64));
    CHECK(u64_alignment.serialize().error().code == ErrorCode::invalid_argument);
    Writer odd;
    odd.set("general.alignment", Value::u32(24));
    test::TempDir dir;
    CHECK(odd.write(dir / "x.gguf").error().code == ErrorCode::invalid_argument);
    CHECK_FALSE(std::filesystem::exists(dir / "x.gguf"));
}

TEST_CASE("the writer refuses tensors that ggml would not load") {
    Writer w;
    REQUIRE(w.add_tensor({"ok", 0, {2}, zeros(8)}).ok());
    auto code = [&](WriterTensor t) { auto r = w.add_tensor(std::move(t)); return r.ok() ? ErrorCode{} : r.error().code; };
    CHECK(code({"ok", 0, {2}, zeros(8)}) == ErrorCode::invalid_argument);                  // duplicate name
    CHECK(code({std::string(64, 'x'), 0, {2}, zeros(8)}) == ErrorCode::invalid_argument);  // name too long
    CHECK(code({std::string(63, 'x'), 0, {2}, zeros(8)}) == ErrorCode{});
    CHECK(code({"no_dims", 0, {}, zeros(0)}) == ErrorCode::invalid_argument);
    CHECK(code({"five_dims", 0, {1, 1, 1, 1, 1}, zeros(4)}) == ErrorCode::invalid_argument);
    CHECK(code({"short_data", 0, {4}, zeros(12)}) == ErrorCode::invalid_argument);
    CHECK(code({"partial_block", 2, {48}, zeros(27)}) == ErrorCode::invalid_argument);
    CHECK(code({"unknown_type", 77, {4}, zeros(16)}) == ErrorCode::invalid_argument);
    CHECK(code({"overflow", 0, {1ull << 32, 1ull << 32}, zeros(0)}) == ErrorCode::invalid_argument);
    CHECK(w.tensors().size() == 2);
}

TEST_CASE("borrowed tensor data is written like owned data, converted when the byte order differs") {
    std::vector<std::byte> le(8);
    store<float>(le.data(), 1.5f, ByteOrder::little);
    store<float>(le.data() + 4, -3.f, ByteOrder::little);
    std::vector<std::byte> be(8);
    store<float>(be.data(), 1.5f, ByteOrder::big);
    store<float>(be.data() + 4, -3.f, ByteOrder::big);
    for (ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
        Writer owned(order);
        REQUIRE(owned.add_tensor({"t", 0, {2}, le}).ok());
        Writer borrowed(order);
        WriterTensor t{"t", 0, {2}, {}};
        t.borrowed = be;
        t.borrowed_order = ByteOrder::big;
        REQUIRE(borrowed.add_tensor(std::move(t)).ok());
        CHECK(*owned.serialize() == *borrowed.serialize());
    }
}

TEST_CASE("writing replaces the target atomically and leaves no temporary file behind") {
    test::TempDir dir;
    const auto path = dir / "m.gguf";
    {
        std::ofstream f(path);
        f << "previous content";
    }
    Writer w;
    w.set("k", Value::u32(1));
    REQUIRE(w.write(path).ok());
    auto m = open(path);
    REQUIRE(m.ok());
    CHECK(m->get_u64("k") == 1u);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
    CHECK(files == 1);

    auto failed = w.write(dir / "no-such-dir" / "m.gguf");
    CHECK(failed.error().code == ErrorCode::write_failed);
}
