// The type registry, checked against block layouts worked out by hand from ggml-common.h's structs
// (the differential test in tests/reference checks every live id against ggml itself).
#include <doctest/doctest.h>

#include <vector>

#include "gguf/types.hpp"

using namespace gguf;

TEST_CASE("the registry knows the block layouts of common types") {
    struct Fact { const char* name; std::uint32_t id, block, bytes; };
    // Q4_0: f16 d + 16 bytes of nibbles; Q8_0: f16 d + 32 int8; Q4_K: 2 f16 + 12 scale bytes + 128 nibble
    // bytes; Q6_K: 128 + 64 + 16 + f16; BF16: one 16-bit number.
    for (const Fact& f : {Fact{"F32", 0, 1, 4}, Fact{"F16", 1, 1, 2}, Fact{"Q4_0", 2, 32, 18}, Fact{"Q8_0", 8, 32, 34},
                          Fact{"Q4_K", 12, 256, 144}, Fact{"Q6_K", 14, 256, 210}, Fact{"BF16", 30, 1, 2},
                          Fact{"I64", 27, 1, 8}}) {
        CAPTURE(f.name);
        const TypeInfo* t = find_type(f.id);
        REQUIRE(t);
        CHECK(t->name == f.name);
        CHECK(t->block_size == f.block);
        CHECK(t->type_size == f.bytes);
        CHECK(find_type(std::string_view(f.name)) == t);
    }
    CHECK(find_type(std::string_view("q4_k")) == find_type(TypeId::Q4_K));
    CHECK(find_type(43u) == nullptr);
    CHECK(find_type(std::string_view("Q9_9")) == nullptr);
}

TEST_CASE("removed and unknown type ids are named as such") {
    CHECK(find_type(TypeId::Q4_2)->removed);
    CHECK(find_type(TypeId::IQ4_NL_8_8)->removed);
    CHECK_FALSE(find_type(TypeId::TQ2_0)->removed);
    CHECK(type_label(4) == "Q4_2 (removed)");
    CHECK(type_label(12) == "Q4_K");
    CHECK(type_label(77) == "unknown type 77");
    for (std::size_t i = 0; i < all_types().size(); ++i) CHECK(static_cast<std::size_t>(all_types()[i].id) == i);
}

TEST_CASE("byte sizes need whole blocks and do not overflow") {
    CHECK(byte_size(12, 512) == 288u);
    CHECK(byte_size(12, 300) == std::nullopt);
    CHECK(byte_size(0, 0) == 0u);
    CHECK(byte_size(28, std::uint64_t{1} << 62) == std::nullopt);  // F64: 2^65 bytes
    CHECK(byte_size(99, 32) == std::nullopt);
}

TEST_CASE("swapping block fields twice gives the original bytes and touches only multi-byte fields") {
    std::vector<std::byte> q8(34 * 2);
    for (std::size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<std::byte>(i);
    auto swapped = q8;
    REQUIRE(swap_block_fields(8, swapped));
    // Q8_0: the f16 scale at the start of each block is swapped, the 32 int8 quants are not.
    CHECK(swapped[0] == q8[1]);
    CHECK(swapped[1] == q8[0]);
    CHECK(swapped[2] == q8[2]);
    CHECK(swapped[34] == q8[35]);
    REQUIRE(swap_block_fields(8, swapped));
    CHECK(swapped == q8);
    std::vector<std::byte> partial(33);
    CHECK_FALSE(swap_block_fields(8, partial));
    CHECK_FALSE(byte_swap_layout(static_cast<std::uint32_t>(TypeId::IQ1_M)).has_value());
    CHECK_FALSE(byte_swap_layout(4).has_value());
}
