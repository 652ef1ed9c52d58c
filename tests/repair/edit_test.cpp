// Metadata edits: each kind of edit, the type checks that refuse a wrong value, and what an edit must not
// touch (tensor bytes, byte order, the order of the other keys).
#include <doctest/doctest.h>

#include <algorithm>

#include "gguf/container.hpp"
#include "gguf/repair/edit.hpp"
#include "repair/model_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using repair::MetadataEdit;

namespace {

Container open_fixture(const test::TempDir& dir, ByteOrder order = ByteOrder::little) {
    const auto path = dir / "in.gguf";
    REQUIRE(test::edit_fixture(order).write(path).ok());
    auto m = open(path);
    REQUIRE(m.ok());
    return std::move(*m);
}

// Applies the edits and reopens the written result.
Result<Container> edit(const test::TempDir& dir, const Container& in, std::vector<MetadataEdit> edits) {
    auto e = repair::apply_edits(in, edits);
    if (!e) return e.error();
    const auto out = dir / ("out" + std::to_string(edits.size()) + ".gguf");
    REQUIRE(e->writer.write(out).ok());
    return open(out);
}

MetadataEdit set(std::string text) {
    auto e = repair::parse_set(text);
    REQUIRE(e.ok());
    return *e;
}

std::vector<std::string> keys(const Container& m) {
    std::vector<std::string> k;
    for (const auto& e : m.metadata()) k.push_back(e.key);
    return k;
}

}  // namespace

TEST_CASE("set keeps the type of the key it replaces, and refuses a value that does not fit it") {
    test::TempDir dir;
    const Container in = open_fixture(dir);
    auto out = edit(dir, in, {set("llama.context_length=4096")});
    REQUIRE(out.ok());
    const Value* v = out->find("llama.context_length");
    REQUIRE(v);
    CHECK(v->type() == ValueType::uint32);
    CHECK(v->as_u64() == 4096);

    CHECK_FALSE(repair::apply_edits(in, std::vector{set("llama.context_length=5000000000")}).ok());  // > uint32
    CHECK_FALSE(repair::apply_edits(in, std::vector{set("llama.context_length=-1")}).ok());
    CHECK_FALSE(repair::apply_edits(in, std::vector{set("llama.context_length=1.5")}).ok());
    CHECK_FALSE(repair::apply_edits(in, std::vector{set("llama.context_length=4k")}).ok());
    // Naming a type that contradicts the key's own is refused rather than silently changing the type.
    auto e = repair::apply_edits(in, std::vector{set("llama.context_length:float32=4096")});
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().message.find("uint32") != std::string::npos);
}

TEST_CASE("a new key takes the type llama.cpp's converter writes for it; an unknown key needs its type named") {
    test::TempDir dir;
    const Container in = open_fixture(dir);
    auto out = edit(dir, in, {set("llama.rope.freq_base=500000"), set("tokenizer.ggml.add_bos_token=true"),
                              set("my.own.key:int16=-7")});
    REQUIRE(out.ok());
    CHECK(out->find("llama.rope.freq_base")->type() == ValueType::float32);
    CHECK(out->find("llama.rope.freq_base")->as_f64() == 500000.0);
    CHECK(out->find("tokenizer.ggml.add_bos_token")->type() == ValueType::boolean);
    CHECK(out->find("tokenizer.ggml.add_bos_token")->as_bool());
    CHECK(out->find("my.own.key")->type() == ValueType::int16);
    CHECK(out->find("my.own.key")->as_i64() == -7);

    auto unknown = repair::apply_edits(in, std::vector{set("my.own.key=3")});
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("my.own.key:TYPE=VALUE") != std::string::npos);
    // Keys of another architecture are not known for this one.
    CHECK_FALSE(repair::apply_edits(in, std::vector{set("qwen2.context_length=1")}).ok());
    CHECK_FALSE(repair::apply_edits(in, std::vector{set("tokenizer.ggml.add_bos_token=yes")}).ok());
}

TEST_CASE("a per-layer key can be written as a JSON array of its per-layer type") {
    test::TempDir dir;
    const Container in = open_fixture(dir);
    auto out = edit(dir, in, {set("llama.attention.head_count_kv=[2, 1]")});
    REQUIRE(out.ok());
    const Value* v = out->find("llama.attention.head_count_kv");
    REQUIRE(v->is_array());
    CHECK(v->element_type() == ValueType::uint32);
    REQUIRE(v->size() == 2);
    CHECK(v->integer_at(0) == 2);
    CHECK(v->integer_at(1) == 1);
    CHECK_FALSE(repair::apply_edits(in, std::vector{set("llama.attention.head_count_kv=[2, -1]")}).ok());
    CHECK_FALSE(repair::apply_edits(in, std::vector{set("llama.attention.head_count_kv=[2, 1")}).ok());
}

TEST_CASE("token ids are checked against the vocabulary; a special token can be named by its text") {
    test::TempDir dir;
    const Container in = open_fixture(dir);
    CHECK_FALSE(repair::apply_edits(in, std::vector{set("tokenizer.ggml.eos_token_id=5")}).ok());  // 5 tokens: 0..4
    auto by_text = repair::parse_special_token("eos=<|end|>");
    REQUIRE(by_text.ok());
    CHECK(by_text->key == "tokenizer.ggml.eos_token_id");
    auto out = edit(dir, in, {*by_text, set("tokenizer.ggml.bos_token_id=3")});
    REQUIRE(out.ok());
    CHECK(out->find("tokenizer.ggml.eos_token_id")->as_u64() == 4);
    CHECK(out->find("tokenizer.ggml.eos_token_id")->type() == ValueType::uint32);
    CHECK(out->find("tokenizer.ggml.bos_token_id")->as_u64() == 3);

    auto missing = repair::parse_special_token("eos=<nope>");
    REQUIRE(missing.ok());
    CHECK_FALSE(repair::apply_edits(in, std::vector{*missing}).ok());
    CHECK_FALSE(repair::parse_special_token("banana=<s>").ok());
}

TEST_CASE("delete and rename: the key must exist, a rename keeps the value and its place") {
    test::TempDir dir;
    const Container in = open_fixture(dir);
    auto rename = repair::parse_rename("custom.note=general.description");
    REQUIRE(rename.ok());
    auto out = edit(dir, in, {MetadataEdit{MetadataEdit::Kind::remove, "general.name", {}, {}}, *rename});
    REQUIRE(out.ok());
    CHECK(out->find("general.name") == nullptr);
    CHECK(out->find("custom.note") == nullptr);
    REQUIRE(out->find("general.description"));
    CHECK(out->find("general.description")->as_string() == "kept");
    std::vector<std::string> expected = keys(in);
    expected.erase(expected.begin() + 1);                               // general.name
    std::replace(expected.begin(), expected.end(), std::string("custom.note"), std::string("general.description"));
    CHECK(keys(*out) == expected);

    CHECK_FALSE(repair::apply_edits(in, std::vector{MetadataEdit{MetadataEdit::Kind::remove, "no.such.key", {}, {}}}).ok());
    auto onto_existing = repair::parse_rename("custom.note=general.name");
    REQUIRE(onto_existing.ok());
    CHECK_FALSE(repair::apply_edits(in, std::vector{*onto_existing}).ok());
    // A string cannot become a key llama.cpp reads as a number.
    auto wrong_type = repair::parse_rename("custom.note=llama.rope.freq_base");
    REQUIRE(wrong_type.ok());
    CHECK_FALSE(repair::apply_edits(in, std::vector{*wrong_type}).ok());
}

TEST_CASE("edits leave tensor bytes and the byte order as they were") {
    for (ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
        test::TempDir dir;
        const Container in = open_fixture(dir, order);
        auto out = edit(dir, in, {set("general.name=renamed")});
        REQUIRE(out.ok());
        CHECK(out->byte_order() == order);
        REQUIRE(out->tensors().size() == in.tensors().size());
        for (std::size_t i = 0; i < in.tensors().size(); ++i) {
            auto a = in.view(in.tensors()[i]);
            auto b = out->view(out->tensors()[i]);
            REQUIRE(a.ok());
            REQUIRE(b.ok());
            CHECK(std::equal(a->bytes.begin(), a->bytes.end(), b->bytes.begin(), b->bytes.end()));
        }
        CHECK(out->find("general.name")->as_string() == "renamed");
    }
}

TEST_CASE("the command-line forms are parsed strictly") {
    CHECK_FALSE(repair::parse_set("novalue").ok());
    CHECK_FALSE(repair::parse_set("=3").ok());
    CHECK_FALSE(repair::parse_set("a.b:notatype=3").ok());
    auto typed = repair::parse_set("a.b:uint8=3");
    REQUIRE(typed.ok());
    CHECK(typed->key == "a.b");
    CHECK(typed->type == ValueType::uint8);
    CHECK(typed->argument == "3");
    auto with_equals = repair::parse_set("tokenizer.chat_template={{ a == b }}");
    REQUIRE(with_equals.ok());
    CHECK(with_equals->argument == "{{ a == b }}");
    CHECK_FALSE(repair::parse_rename("a=").ok());
    CHECK_FALSE(repair::parse_value("300", ValueType::uint8).ok());
    CHECK(repair::parse_value("-128", ValueType::int8)->as_i64() == -128);
    CHECK_FALSE(repair::parse_value("1e39", ValueType::float32).ok());
    CHECK_FALSE(repair::parse_value("nan", ValueType::float32).ok());
}
