// Metadata values: conversions, lazy element access, UTF-8 validation, and equality across byte orders.
#include <doctest/doctest.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gguf/value.hpp"

using namespace gguf;

TEST_CASE("integer conversions succeed only when the value fits") {
    CHECK(Value::i32(-1).try_u64() == std::nullopt);
    CHECK(Value::i32(-1).try_i64() == -1);
    CHECK(Value::u64(std::numeric_limits<std::uint64_t>::max()).try_i64() == std::nullopt);
    CHECK(Value::u64(std::numeric_limits<std::uint64_t>::max()).try_u64() == std::numeric_limits<std::uint64_t>::max());
    CHECK(Value::u8(200).try_f64() == 200.0);
    CHECK(Value::f32(1.5f).try_u64() == std::nullopt);
    CHECK(Value::string("7").try_u64() == std::nullopt);
    CHECK(Value::boolean(true).try_u64() == std::nullopt);
    CHECK(Value::boolean(true).as_bool());
    CHECK_THROWS_AS(Value::string("x").as_u64(), std::logic_error);
    CHECK_THROWS_AS(Value::u32(1).as_string(), std::logic_error);
}

TEST_CASE("array elements are reached by index without copying the array") {
    std::vector<std::string> tokens;
    for (int i = 0; i < 1000; ++i) tokens.push_back("tok" + std::to_string(i));
    const Value v = Value::string_array(tokens);
    CHECK(v.size() == 1000);
    CHECK(v.element_type() == ValueType::string);
    CHECK(v.string_at(999) == "tok999");
    CHECK(v.string_at(0) == "tok0");
    CHECK(v.at(500).as_string() == "tok500");
    // Elements are views of the array's own bytes.
    const auto* base = v.encoded().data();
    const auto s = v.string_at(10);
    CHECK(reinterpret_cast<const std::byte*>(s.data()) >= base);
    CHECK(reinterpret_cast<const std::byte*>(s.data()) < base + v.encoded().size());
    CHECK_THROWS_AS(v.string_at(1000), std::out_of_range);
    CHECK_THROWS_AS(v.number_at(0), std::logic_error);

    const std::vector<std::int16_t> ids{-3, 4};
    const Value n = Value::array<std::int16_t>(ValueType::int16, ids);
    CHECK(n.integer_at(0) == -3);
    CHECK(n.number_at(1) == 4.0);
    CHECK(n.at(1).as_i64() == 4);
    CHECK_THROWS_AS(n.string_at(0), std::logic_error);
    CHECK_THROWS_AS((Value::array<std::int16_t>(ValueType::int32, ids)), std::invalid_argument);
}

TEST_CASE("values compare by content, not by encoding") {
    CHECK(Value::u32(5) == Value::u32(5));
    CHECK_FALSE(Value::u32(5) == Value::i32(5));  // the type is part of the value
    CHECK_FALSE(Value::string("a") == Value::string("b"));
    const std::vector<std::string> a{"x", "y"}, b{"x", "z"};
    CHECK(Value::string_array(a) == Value::string_array(a));
    CHECK_FALSE(Value::string_array(a) == Value::string_array(b));
    CHECK(Value::f32(std::numeric_limits<float>::quiet_NaN()) == Value::f32(std::numeric_limits<float>::quiet_NaN()));
    CHECK_FALSE(Value::f32(0.0f) == Value::f32(-0.0f));  // bitwise: the sign of zero is kept

    // A big-endian view of the same number equals the owned little-endian value.
    const std::byte be[4] = {std::byte{0}, std::byte{0}, std::byte{1}, std::byte{2}};
    const Value view = Value::view(ValueType::uint32, ByteOrder::big, be, nullptr);
    CHECK(view.as_u64() == 0x0102u);
    CHECK(view == Value::u32(0x0102));
}

TEST_CASE("UTF-8 validation rejects malformed, overlong and surrogate sequences") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("\xC3\xA9"));          // é
    CHECK(is_valid_utf8("\xE2\x82\xAC"));      // €
    CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));  // 😀
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    CHECK(is_valid_utf8(std::string_view("a\0b", 3)));
    CHECK_FALSE(is_valid_utf8("\x80"));
    CHECK_FALSE(is_valid_utf8("\xC3"));              // cut
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8("long ascii run then \xE2\x82"));
}
