#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

std::vector<std::byte> f32_bytes(std::initializer_list<float> values) {
    std::vector<std::byte> out(values.size() * 4);
    std::size_t i = 0;
    for (float v : values) std::memcpy(out.data() + 4 * i++, &v, 4);
    return out;
}

}  // namespace

TEST_CASE("a written file reads back with the same metadata and tensors, in both byte orders") {
    for (ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
        CAPTURE(byte_order_name(order));
        test::TempDir dir;
        Writer w(order);
        w.set("general.architecture", Value::string("llama"));
        w.set("llama.block_count", Value::u32(2));
        w.set("test.i64", Value::i64(-5));
        w.set("test.f64", Value::f64(0.25));
        w.set("test.bool", Value::boolean(true));
        const std::vector<std::string> tokens{"a", "bc", "", "\xff"};
        w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
        const std::vector<float> scores{1.f, -2.f, 3.5f, 0.f};
        w.set("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, scores));
        const std::vector<Value> nested{Value::array<float>(ValueType::float32, scores), Value::string_array(tokens)};
        w.set("test.nested", Value::array_of(ValueType::array, nested));
        REQUIRE(w.add_tensor({"a", static_cast<std::uint32_t>(TypeId::F32), {3}, f32_bytes({1, 2, 3})}).ok());
        REQUIRE(w.add_tensor({"b", static_cast<std::uint32_t>(TypeId::F32), {2, 2}, f32_bytes({4, 5, 6, 7})}).ok());
        REQUIRE(w.write(dir / "m.gguf").ok());

        auto model = open(dir / "m.gguf");
        REQUIRE_MESSAGE(model.ok(), (model.ok() ? "" : model.error().describe()));
        CHECK(model->version() == 3);
        CHECK(model->byte_order() == order);
        CHECK(model->issues().empty());
        CHECK(model->get_string("general.architecture") == "llama");
        CHECK(model->get_u64("llama.block_count") == 2u);
        CHECK(model->find("test.i64")->as_i64() == -5);
        CHECK(model->find("test.f64")->as_f64() == 0.25);
        CHECK(model->find("test.bool")->as_bool());
        const Value* toks = model->find("tokenizer.ggml.tokens");
        REQUIRE(toks);
        CHECK(toks->size() == 4);
        CHECK(toks->string_at(1) == "bc");
        CHECK(toks->string_at(3) == "\xff");
        CHECK(model->find("tokenizer.ggml.scores")->number_at(2) == 3.5);
        const Value* n = model->find("test.nested");
        REQUIRE(n);
        CHECK(n->at(0).number_at(1) == -2.0);
        CHECK(n->at(1).string_at(1) == "bc");
        CHECK(*n == w.find("test.nested")[0]);

        REQUIRE(model->tensors().size() == 2);
        const TensorInfo* b = model->find_tensor("b");
        REQUIRE(b);
        CHECK(b->ne[0] == 2);
        CHECK(b->ne[1] == 2);
        CHECK(b->offset == 32);  // 12 bytes of "a" padded to the default alignment
        auto view = model->view(*b);
        REQUIRE(view.ok());
        CHECK(load<float>(view->bytes.data() + 4, view->order) == 5.f);
    }
}
