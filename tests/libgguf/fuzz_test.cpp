// Mutation fuzzing with a fixed seed: random byte changes, forged 64-bit fields and truncations of a
// valid file must give an error or a model whose every value and tensor view is safe to touch. Run
// under the GGUF_DOCTOR_SANITIZE=ON build, this is what catches an out-of-bounds read.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"
#include "libgguf/open_raw.hpp"

using namespace gguf;

namespace {

std::vector<std::byte> seed_file(ByteOrder order) {
    Writer w(order);
    w.set("general.architecture", Value::string("llama"));
    w.set("llama.block_count", Value::u32(2));
    w.set("llama.rope.freq_base", Value::f32(10000.f));
    std::vector<std::string> tokens;
    for (int i = 0; i < 40; ++i) tokens.push_back("t" + std::to_string(i));
    w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    const std::vector<float> scores(40, -1.f);
    w.set("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, scores));
    const std::vector<Value> inner{Value::string_array(tokens), Value::array<float>(ValueType::float32, scores)};
    w.set("test.nested", Value::array_of(ValueType::array, inner));
    w.set("test.i64", Value::i64(-9));
    REQUIRE(w.add_tensor({"a", 0, {8, 2}, std::vector<std::byte>(64)}).ok());
    REQUIRE(w.add_tensor({"q", 8, {64}, std::vector<std::byte>(68)}).ok());
    REQUIRE(w.add_tensor({"k", 12, {256}, std::vector<std::byte>(144)}).ok());
    return *w.serialize();
}

// Reads everything a value holds, recursively.
std::uint64_t touch(const Value& v) {
    std::uint64_t h = static_cast<std::uint64_t>(v.type());
    switch (v.type()) {
        case ValueType::string: return h + v.as_string().size();
        case ValueType::array:
            for (std::uint64_t i = 0; i < v.size(); ++i) {
                if (v.element_type() == ValueType::string) h += v.string_at(i).size();
                else if (v.element_type() == ValueType::array) h += touch(v.at(i));
                else h += static_cast<std::uint64_t>(v.number_at(i) == 0.0);
            }
            return h;
        case ValueType::boolean: return h + v.as_bool();
        default: return h + static_cast<std::uint64_t>(v.try_f64().value_or(0.0) == 0.0);
    }
}

std::uint64_t exercise(const Container& m) {
    std::uint64_t h = m.n_parameters() + m.issues().size();
    for (const auto& e : m.metadata()) h += e.key.size() + touch(e.value);
    for (const auto& t : m.tensors()) {
        auto view = m.view(t);
        if (!view) continue;
        CHECK(view->bytes.size() == t.n_bytes);
        if (!view->bytes.empty()) h += static_cast<std::uint64_t>(view->bytes.front()) + static_cast<std::uint64_t>(view->bytes.back());
    }
    // Copying the model exercises the writer on whatever the reader accepted.
    if (auto w = writer_from(m, ByteOrder::little)) (void)w->serialize();
    return h;
}

// A GGUF v1 file (32-bit counts and lengths), laid out by hand.
std::vector<std::byte> seed_v1() {
    test::RawGguf g(test::RawGguf::little, 1);
    g.counts(2, 3).kv_u32("n", 7).kv_str("name", "legacy");
    g.key("tokens", test::gguf_type::array).array(test::gguf_type::string, 3).str("ab").str("c").str("");
    g.tensor("w", {4, 2}, 0, 0).tensor("q", {32}, 8, 32).pad_to(32).zeros(32 + 34);
    return g.bytes();
}

}  // namespace

TEST_CASE("random mutations of a valid file never crash the reader") {
    for (const auto& original : {seed_file(ByteOrder::little), seed_file(ByteOrder::big), seed_v1()}) {
        REQUIRE(test::open_bytes(original).ok());
        std::mt19937_64 rng(20240601);
        const std::uint64_t forged[] = {0, 1, 0xFF, 0xFFFFFFFFull, 0x100000000ull, std::uint64_t{1} << 63,
                                        ~std::uint64_t{0}, ~std::uint64_t{0} - 7, 0x7FFFFFFFFFFFFFFFull};
        int opened = 0, rejected = 0;
        std::uint64_t sink = 0;
        for (int round = 0; round < 2000; ++round) {
            std::vector<std::byte> bytes = original;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) {
                // Mostly in the header, where every count and length lives.
                const std::size_t limit = rng() % 4 == 0 ? bytes.size() : std::min<std::size_t>(bytes.size(), 700);
                const std::size_t at = rng() % limit;
                switch (rng() % 3) {
                    case 0: bytes[at] = static_cast<std::byte>(rng()); break;
                    case 1: {
                        const std::uint64_t v = forged[rng() % std::size(forged)];
                        const std::size_t n = std::min<std::size_t>(8, bytes.size() - at);
                        std::memcpy(bytes.data() + at, &v, n);
                        break;
                    }
                    default: bytes.resize(at); break;
                }
                if (bytes.empty()) break;
            }
            CAPTURE(round);
            auto m = test::open_bytes(bytes);
            if (m.ok()) {
                ++opened;
                sink += exercise(*m);
            } else {
                ++rejected;
                CHECK(m.error().offset <= bytes.size());
            }
        }
        MESSAGE("opened " << opened << ", rejected " << rejected << " (checksum " << sink % 10 << ")");
        CHECK(opened > 0);
        CHECK(rejected > 0);
    }
}
