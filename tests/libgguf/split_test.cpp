// Split models (llama.cpp's gguf-split layout): opening any shard presents one model; missing or
// inconsistent shards are clear errors; writer_from turns a split model back into one file.
#include <doctest/doctest.h>

#include <filesystem>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"
#include "libgguf/open_raw.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

std::vector<std::byte> f32_bytes(std::size_t n, float first) {
    std::vector<std::byte> out(n * 4);
    for (std::size_t i = 0; i < n; ++i) store<float>(out.data() + 4 * i, first + static_cast<float>(i), ByteOrder::little);
    return out;
}

Writer model_with(std::size_t n_tensors, ByteOrder order = ByteOrder::little) {
    Writer w(order);
    w.set("general.architecture", Value::string("test"));
    w.set("test.count", Value::u32(static_cast<std::uint32_t>(n_tensors)));
    for (std::size_t i = 0; i < n_tensors; ++i) {
        auto r = w.add_tensor({"t" + std::to_string(i), 0, {4 + i}, f32_bytes(4 + i, 10.f * static_cast<float>(i))});
        REQUIRE(r.ok());
    }
    return w;
}

// A shard written by hand with the given split keys (and no others unless `first`).
void write_shard(const std::filesystem::path& path, int no, int count, int tensors_count,
                 std::vector<std::string> tensor_names) {
    Writer w;
    w.set("split.no", Value::u16(static_cast<std::uint16_t>(no)));
    w.set("split.count", Value::u16(static_cast<std::uint16_t>(count)));
    w.set("split.tensors.count", Value::i32(tensors_count));
    for (const auto& name : tensor_names) REQUIRE(w.add_tensor({name, 0, {2}, f32_bytes(2, 1.f)}).ok());
    REQUIRE(w.write(path).ok());
}

}  // namespace

TEST_CASE("split_shard_path names shards the way llama.cpp does") {
    CHECK(split_shard_path("/m/model", 0, 3) == "/m/model-00001-of-00003.gguf");
    CHECK(split_shard_path("q", 11, 12) == "q-00012-of-00012.gguf");
}

TEST_CASE("opening any shard of a split model presents the whole model") {
    for (ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
        CAPTURE(byte_order_name(order));
        test::TempDir dir;
        const Writer w = model_with(5, order);
        auto paths = write_split(w, dir / "model", 2);
        REQUIRE(paths.ok());
        REQUIRE(paths->size() == 3);
        CHECK((*paths)[2] == dir / "model-00003-of-00003.gguf");

        for (const auto& path : *paths) {
            CAPTURE(path);
            auto m = open(path);
            REQUIRE_MESSAGE(m.ok(), test::why(m));
            CHECK(m->is_split());
            REQUIRE(m->shards().size() == 3);
            CHECK(m->shards()[1].path == (*paths)[1]);
            CHECK(m->issues().empty());
            CHECK(m->get_string("general.architecture") == "test");  // the first shard's metadata
            CHECK(m->get_u64("split.count") == 3u);
            REQUIRE(m->tensors().size() == 5);
            for (std::size_t i = 0; i < 5; ++i) {
                const TensorInfo& t = m->tensors()[i];
                CHECK(t.name == "t" + std::to_string(i));
                CHECK(t.shard == i / 2);
                auto view = m->view(t);
                REQUIRE(view.ok());
                CHECK(load<float>(view->bytes.data() + 4, view->order) == 10.f * static_cast<float>(i) + 1.f);
            }
            CHECK(m->n_parameters() == 4 + 5 + 6 + 7 + 8);
        }

        // Each shard is a valid GGUF file by itself, with the split keys gguf-split writes.
        OpenOptions one;
        one.load_split = false;
        auto second = open((*paths)[1], one);
        REQUIRE(second.ok());
        CHECK_FALSE(second->is_split());
        CHECK(second->tensors().size() == 2);
        CHECK(second->find("general.architecture") == nullptr);
        CHECK(second->find("split.no")->type() == ValueType::uint16);
        CHECK(second->get_u64("split.no") == 1u);
        CHECK(second->find("split.count")->type() == ValueType::uint16);
        CHECK(second->find("split.tensors.count")->type() == ValueType::int32);
        CHECK(second->get_u64("split.tensors.count") == 5u);
    }
}

TEST_CASE("a missing shard is an error that names it") {
    test::TempDir dir;
    auto paths = write_split(model_with(4), dir / "m", 1);
    REQUIRE(paths.ok());
    std::filesystem::remove((*paths)[2]);
    for (std::size_t k : {0, 1, 3}) {
        auto m = open((*paths)[k]);
        CHECK(test::error_of(m) == ErrorCode::split_missing_shard);
        CHECK(m.error().path == (*paths)[2].string());
    }
}

TEST_CASE("shards that disagree about the split are an error") {
    test::TempDir dir;
    SUBCASE("a shard with another split.count") {
        write_shard(dir / "m-00001-of-00002.gguf", 0, 2, 2, {"a"});
        write_shard(dir / "m-00002-of-00002.gguf", 1, 3, 2, {"b"});
        CHECK(test::error_of(open(dir / "m-00001-of-00002.gguf")) == ErrorCode::split_mismatch);
    }
    SUBCASE("a shard whose split.no is not its place in the name") {
        write_shard(dir / "m-00001-of-00002.gguf", 0, 2, 2, {"a"});
        write_shard(dir / "m-00002-of-00002.gguf", 0, 2, 2, {"b"});
        CHECK(test::error_of(open(dir / "m-00001-of-00002.gguf")) == ErrorCode::split_mismatch);
        CHECK(test::error_of(open(dir / "m-00002-of-00002.gguf")) == ErrorCode::split_mismatch);
    }
    SUBCASE("split.tensors.count that does not match the tensors of all shards") {
        write_shard(dir / "m-00001-of-00002.gguf", 0, 2, 3, {"a"});
        write_shard(dir / "m-00002-of-00002.gguf", 1, 2, 3, {"b"});
        CHECK(test::error_of(open(dir / "m-00002-of-00002.gguf")) == ErrorCode::split_mismatch);
    }
    SUBCASE("shards that disagree on split.tensors.count") {
        write_shard(dir / "m-00001-of-00002.gguf", 0, 2, 2, {"a"});
        write_shard(dir / "m-00002-of-00002.gguf", 1, 2, 1, {"b"});
        CHECK(test::error_of(open(dir / "m-00001-of-00002.gguf")) == ErrorCode::split_mismatch);
    }
    SUBCASE("a split file whose name does not say where its siblings are") {
        write_shard(dir / "renamed.gguf", 0, 2, 2, {"a"});
        CHECK(test::error_of(open(dir / "renamed.gguf")) == ErrorCode::split_mismatch);
        OpenOptions one;
        one.load_split = false;
        CHECK(open(dir / "renamed.gguf", one).ok());
    }
}

TEST_CASE("a tensor name in two shards is reported as a duplicate") {
    test::TempDir dir;
    write_shard(dir / "m-00001-of-00002.gguf", 0, 2, 2, {"a"});
    write_shard(dir / "m-00002-of-00002.gguf", 1, 2, 2, {"a"});
    auto m = open(dir / "m-00001-of-00002.gguf");
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    const StructuralIssue* dup = test::find_issue(*m, IssueKind::duplicate_tensor, "a");
    REQUIRE(dup);
    CHECK(dup->shard == 1);
}

TEST_CASE("writer_from of a split model writes one self-contained file without split keys") {
    test::TempDir dir;
    auto paths = write_split(model_with(5), dir / "m", 2);
    REQUIRE(paths.ok());
    auto split = open((*paths)[1]);
    REQUIRE(split.ok());
    auto w = writer_from(*split, ByteOrder::little);
    REQUIRE(w.ok());
    REQUIRE(w->write(dir / "joined.gguf").ok());
    auto joined = open(dir / "joined.gguf");
    REQUIRE_MESSAGE(joined.ok(), test::why(joined));
    CHECK_FALSE(joined->is_split());
    CHECK(joined->issues().empty());
    CHECK(joined->find("split.no") == nullptr);
    CHECK(joined->find("split.count") == nullptr);
    CHECK(joined->find("split.tensors.count") == nullptr);
    CHECK(joined->get_u64("test.count") == 5u);
    // The same bytes as the model written as one file in the first place.
    auto original = model_with(5).serialize();
    auto rewritten = w->serialize();
    REQUIRE(original.ok());
    REQUIRE(rewritten.ok());
    CHECK(*original == *rewritten);
}

TEST_CASE("write_split of a model without tensors writes one shard, and refuses a zero shard size") {
    test::TempDir dir;
    auto paths = write_split(model_with(0), dir / "empty", 3);
    REQUIRE(paths.ok());
    REQUIRE(paths->size() == 1);
    auto m = open(paths->front());
    REQUIRE(m.ok());
    CHECK(m->get_u64("split.count") == 1u);
    CHECK(m->tensors().empty());
    CHECK(write_split(model_with(1), dir / "x", 0).error().code == ErrorCode::invalid_argument);
}
