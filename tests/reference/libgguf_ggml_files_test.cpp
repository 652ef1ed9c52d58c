// libgguf against ggml's own GGUF code (libggml-base.so of the reference release): the type registry
// against ggml's type traits, files written by ggml's writer, files written by our writer (which must
// be byte-identical to ggml's for the same content), and the real vocabulary files of llama.cpp's tests.
#include <doctest/doctest.h>

#include <cctype>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"
#include "reference/libgguf_ggml_compare.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

// ggml's value type ids (gguf.h), spelled out for the calls into ggml.
constexpr int GGUF_UINT8 = 0, GGUF_INT8 = 1, GGUF_UINT16 = 2, GGUF_INT16 = 3, GGUF_UINT32 = 4, GGUF_INT32 = 5,
              GGUF_FLOAT32 = 6, GGUF_BOOL = 7, GGUF_UINT64 = 10, GGUF_INT64 = 11, GGUF_FLOAT64 = 12;

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

void fill_pattern(void* data, std::size_t n, std::uint32_t seed) {
    auto* p = static_cast<unsigned char*>(data);
    std::uint32_t x = seed * 2654435761u + 7;
    for (std::size_t i = 0; i < n; ++i) {
        x = x * 1103515245u + 12345u;
        p[i] = static_cast<unsigned char>(x >> 16);
    }
}

// The same content for both writers: one key of every scalar type, arrays of every element type
// ggml supports (ggml has no arrays of arrays), and one tensor of every live type with 1 to 4 dims.
struct Content {
    const std::vector<std::uint8_t> a_u8{1, 2, 255};
    const std::vector<std::int8_t> a_i8{-1, 127};
    const std::vector<std::uint16_t> a_u16{0xBEEF};
    const std::vector<std::int16_t> a_i16{-300, 300, 0};
    const std::vector<std::uint32_t> a_u32{7, 0xFFFFFFFFu};
    const std::vector<std::int32_t> a_i32{-7};
    const std::vector<float> a_f32{0.5f, -1e-5f, 3e38f};
    const std::vector<std::uint8_t> a_bool{1, 0, 1, 1};
    const std::vector<std::uint64_t> a_u64{~0ull};
    const std::vector<std::int64_t> a_i64{-(1ll << 62), 5};
    const std::vector<double> a_f64{0.1, -2.5};
    const std::vector<std::string> a_str{"", "token", "héllo", "▁the"};

    struct Tensor {
        std::string name;
        std::uint32_t type;
        std::vector<std::uint64_t> ne;
    };
    std::vector<Tensor> tensors;

    Content() {
        std::uint32_t dims = 1;
        for (const TypeInfo& t : all_types()) {
            if (t.removed) continue;
            std::vector<std::uint64_t> ne{t.block_size * std::uint64_t{2}};
            for (std::uint32_t d = 1; d < dims; ++d) ne.push_back(d + 1);  // 2, 3, 4: no trailing 1s
            tensors.push_back({"tensor." + std::string(t.name), static_cast<std::uint32_t>(t.id), ne});
            dims = dims % 4 + 1;
        }
    }
};

void set_all(gguf_context* ctx, const Content& c) {
    gguf_set_val_str(ctx, "general.architecture", "test");
    gguf_set_val_u8(ctx, "u8", 0xAB);
    gguf_set_val_i8(ctx, "i8", -128);
    gguf_set_val_u16(ctx, "u16", 0xBEEF);
    gguf_set_val_i16(ctx, "i16", -12345);
    gguf_set_val_u32(ctx, "u32", 0xDEADBEEFu);
    gguf_set_val_i32(ctx, "i32", -2147483647 - 1);
    gguf_set_val_f32(ctx, "f32", 1e-5f);
    gguf_set_val_bool(ctx, "bool", true);
    gguf_set_val_str(ctx, "string", "héllo wörld");
    gguf_set_val_u64(ctx, "u64", ~0ull);
    gguf_set_val_i64(ctx, "i64", -(1ll << 62));
    gguf_set_val_f64(ctx, "f64", 0.1);
    gguf_set_arr_data(ctx, "a.u8", GGUF_UINT8, c.a_u8.data(), c.a_u8.size());
    gguf_set_arr_data(ctx, "a.i8", GGUF_INT8, c.a_i8.data(), c.a_i8.size());
    gguf_set_arr_data(ctx, "a.u16", GGUF_UINT16, c.a_u16.data(), c.a_u16.size());
    gguf_set_arr_data(ctx, "a.i16", GGUF_INT16, c.a_i16.data(), c.a_i16.size());
    gguf_set_arr_data(ctx, "a.u32", GGUF_UINT32, c.a_u32.data(), c.a_u32.size());
    gguf_set_arr_data(ctx, "a.i32", GGUF_INT32, c.a_i32.data(), c.a_i32.size());
    gguf_set_arr_data(ctx, "a.f32", GGUF_FLOAT32, c.a_f32.data(), c.a_f32.size());
    gguf_set_arr_data(ctx, "a.bool", GGUF_BOOL, c.a_bool.data(), c.a_bool.size());
    gguf_set_arr_data(ctx, "a.u64", GGUF_UINT64, c.a_u64.data(), c.a_u64.size());
    gguf_set_arr_data(ctx, "a.i64", GGUF_INT64, c.a_i64.data(), c.a_i64.size());
    gguf_set_arr_data(ctx, "a.f64", GGUF_FLOAT64, c.a_f64.data(), c.a_f64.size());
    std::vector<const char*> strs;
    for (const auto& s : c.a_str) strs.push_back(s.c_str());
    gguf_set_arr_str(ctx, "a.string", strs.data(), strs.size());
}

void set_all(Writer& w, const Content& c) {
    w.set("general.architecture", Value::string("test"));
    w.set("u8", Value::u8(0xAB));
    w.set("i8", Value::i8(-128));
    w.set("u16", Value::u16(0xBEEF));
    w.set("i16", Value::i16(-12345));
    w.set("u32", Value::u32(0xDEADBEEFu));
    w.set("i32", Value::i32(-2147483647 - 1));
    w.set("f32", Value::f32(1e-5f));
    w.set("bool", Value::boolean(true));
    w.set("string", Value::string("héllo wörld"));
    w.set("u64", Value::u64(~0ull));
    w.set("i64", Value::i64(-(1ll << 62)));
    w.set("f64", Value::f64(0.1));
    w.set("a.u8", Value::array<std::uint8_t>(ValueType::uint8, c.a_u8));
    w.set("a.i8", Value::array<std::int8_t>(ValueType::int8, c.a_i8));
    w.set("a.u16", Value::array<std::uint16_t>(ValueType::uint16, c.a_u16));
    w.set("a.i16", Value::array<std::int16_t>(ValueType::int16, c.a_i16));
    w.set("a.u32", Value::array<std::uint32_t>(ValueType::uint32, c.a_u32));
    w.set("a.i32", Value::array<std::int32_t>(ValueType::int32, c.a_i32));
    w.set("a.f32", Value::array<float>(ValueType::float32, c.a_f32));
    w.set("a.bool", Value::array<std::uint8_t>(ValueType::boolean, c.a_bool));
    w.set("a.u64", Value::array<std::uint64_t>(ValueType::uint64, c.a_u64));
    w.set("a.i64", Value::array<std::int64_t>(ValueType::int64, c.a_i64));
    w.set("a.f64", Value::array<double>(ValueType::float64, c.a_f64));
    w.set("a.string", Value::string_array(c.a_str));
}

// Writes `c` with ggml's writer (gguf_init_empty, gguf_set_*, gguf_add_tensor, gguf_write_to_file).
void write_with_ggml(const Content& c, const std::filesystem::path& path) {
    ggml_context* tctx = ggml_init(ggml_init_params{64u << 20, nullptr, false});
    REQUIRE(tctx);
    gguf_context* ctx = gguf_init_empty();
    set_all(ctx, c);
    for (std::size_t i = 0; i < c.tensors.size(); ++i) {
        const auto& t = c.tensors[i];
        std::vector<int64_t> ne(t.ne.begin(), t.ne.end());
        ggml_tensor* tensor = ggml_new_tensor(tctx, static_cast<int>(t.type), static_cast<int>(ne.size()), ne.data());
        REQUIRE(tensor);
        ggml_set_name(tensor, t.name.c_str());
        std::uint64_t n = 1;
        for (auto d : t.ne) n *= d;
        fill_pattern(ggml_get_data(tensor), *byte_size(t.type, n), static_cast<std::uint32_t>(i));
        gguf_add_tensor(ctx, tensor);
    }
    REQUIRE(gguf_write_to_file(ctx, path.c_str(), false));
    gguf_free(ctx);
    ggml_free(tctx);
}

Writer write_with_libgguf(const Content& c) {
    Writer w;
    set_all(w, c);
    for (std::size_t i = 0; i < c.tensors.size(); ++i) {
        const auto& t = c.tensors[i];
        std::uint64_t n = 1;
        for (auto d : t.ne) n *= d;
        std::vector<std::byte> data(*byte_size(t.type, n));
        fill_pattern(data.data(), data.size(), static_cast<std::uint32_t>(i));
        auto r = w.add_tensor({t.name, t.type, t.ne, std::move(data)});
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().describe()));
    }
    return w;
}

}  // namespace

TEST_CASE("the type registry agrees with ggml's type traits for every type id") {
    for (const TypeInfo& t : all_types()) {
        CAPTURE(t.name);
        const ggml_type_traits* traits = ggml_get_type_traits(static_cast<int>(t.id));
        REQUIRE(traits);
        if (t.removed) {
            // ggml keeps removed ids as placeholders without a block size.
            CHECK(traits->blck_size == 0);
            continue;
        }
        CHECK(upper(traits->type_name) == t.name);
        CHECK(traits->blck_size == t.block_size);
        CHECK(traits->type_size == t.type_size);
        CHECK(traits->is_quantized == t.quantized);
    }
}

TEST_CASE("a file written by ggml's writer reads the same in libgguf and in ggml") {
    const Content c;
    test::TempDir dir;
    write_with_ggml(c, dir / "ggml.gguf");
    reference::check_same_as_ggml(dir / "ggml.gguf");

    // And with the values that were set, not only the values ggml reads back.
    auto m = open(dir / "ggml.gguf");
    REQUIRE(m.ok());
    CHECK(m->issues().empty());
    CHECK(m->get_u64("u32") == 0xDEADBEEFu);
    CHECK(m->find("i64")->as_i64() == -(1ll << 62));
    CHECK(m->find("a.string")->string_at(3) == "▁the");
    CHECK(m->find("a.f32")->number_at(1) == static_cast<double>(-1e-5f));
    REQUIRE(m->tensors().size() == c.tensors.size());
    for (std::size_t i = 0; i < c.tensors.size(); ++i) {
        CHECK(m->tensors()[i].n_dims == c.tensors[i].ne.size());
        CHECK(m->tensors()[i].ne[0] == c.tensors[i].ne[0]);
    }
}

TEST_CASE("our writer produces the bytes ggml's writer produces, and ggml reads them") {
    const Content c;
    test::TempDir dir;
    write_with_ggml(c, dir / "ggml.gguf");
    const Writer w = write_with_libgguf(c);
    REQUIRE(w.write(dir / "ours.gguf").ok());
    const auto theirs = test::read_file(dir / "ggml.gguf");
    const auto ours = test::read_file(dir / "ours.gguf");
    CHECK(ours.size() == theirs.size());
    CHECK(ours == theirs);
    reference::check_same_as_ggml(dir / "ours.gguf");
}

TEST_CASE("ggml reads a file with a non-default alignment written by our writer") {
    const Content c;
    const Writer packed = write_with_libgguf(c);
    Writer w(ByteOrder::little, 256);
    for (const auto& [k, v] : packed.metadata()) w.set(k, v);
    for (const auto& t : packed.tensors()) REQUIRE(w.add_tensor(t).ok());
    test::TempDir dir;
    REQUIRE(w.write(dir / "aligned.gguf").ok());
    reference::check_same_as_ggml(dir / "aligned.gguf");
}

TEST_CASE("llama.cpp's vocabulary files read the same in libgguf and in ggml") {
    const std::filesystem::path vocab = std::filesystem::path(GGUF_DOCTOR_REFERENCE_DIR) / "vocab";
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(vocab)) {
        if (e.path().extension() != ".gguf") continue;
        ++files;
        reference::check_same_as_ggml(e.path());
    }
    CHECK(files >= 6);
}
