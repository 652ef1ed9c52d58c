// `gguf-doctor info`, run as a program on files written here: the JSON fields carry the values that
// were written, filters select what they say, and exit codes follow the CLI contract.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"
#include "libgguf/raw_gguf.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using Json = nlohmann::json;

namespace {

struct Run : test::CommandResult {
    std::string err;
};

// stderr goes to a file rather than the pipe, so that `out` holds only the report on stdout.
Run info(const test::TempDir& dir, const std::string& args) {
    const auto err_path = dir / "stderr.txt";
    Run r{test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' info " + args + " 2>'" + err_path.string() + "'")};
    r.err = test::read_file(err_path);
    return r;
}

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::vector<std::byte> f32s(std::initializer_list<float> v) {
    std::vector<std::byte> out(v.size() * 4);
    std::size_t i = 0;
    for (float x : v) store<float>(out.data() + 4 * i++, x, ByteOrder::little);
    return out;
}

// A small model with the kinds of values `info` renders: numbers, strings, a long string array.
Writer sample(ByteOrder order = ByteOrder::little) {
    Writer w(order);
    w.set("general.architecture", Value::string("llama"));
    w.set("llama.block_count", Value::u32(2));
    w.set("llama.attention.layer_norm_rms_epsilon", Value::f32(1e-5f));
    w.set("test.i64", Value::i64(-42));
    w.set("test.u64", Value::u64(18446744073709551615ull));
    w.set("test.bool", Value::boolean(true));
    w.set("test.f64", Value::f64(0.1));
    std::vector<std::string> tokens;
    for (int i = 0; i < 100; ++i) tokens.push_back("tok" + std::to_string(i));
    w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    const std::vector<std::int32_t> short_array{3, -1, 4};
    w.set("test.short", Value::array<std::int32_t>(ValueType::int32, short_array));
    REQUIRE(w.add_tensor({"token_embd.weight", 0, {4, 3}, f32s({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})}).ok());
    REQUIRE(w.add_tensor({"blk.0.attn_q.weight", 8, {64, 2}, std::vector<std::byte>(136)}).ok());
    REQUIRE(w.add_tensor({"blk.1.attn_q.weight", 8, {32}, std::vector<std::byte>(34)}).ok());
    REQUIRE(w.add_tensor({"output_norm.weight", 0, {4}, f32s({1, 1, 1, 1})}).ok());
    return w;
}

}  // namespace

TEST_CASE("info --json reports the header, metadata and tensors that were written") {
    for (ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
        CAPTURE(byte_order_name(order));
        test::TempDir dir;
        REQUIRE(sample(order).write(dir / "m.gguf").ok());
        const Run r = info(dir, "--json " + q(dir / "m.gguf"));
        REQUIRE_MESSAGE(r.status == 0, r.err);
        CHECK(r.err.empty());
        const Json j = Json::parse(r.out);
        CHECK(j["schema"] == "gguf-doctor/info/1");
        CHECK(j["version"] == 3);
        CHECK(j["byte_order"] == std::string(byte_order_name(order)));
        CHECK(j["alignment"] == 32);
        CHECK(j["file_size"] == std::filesystem::file_size(dir / "m.gguf"));
        CHECK(j["n_tensors"] == 4);
        CHECK(j["n_parameters"] == 12 + 128 + 32 + 4);

        const Json& md = j["metadata"];
        CHECK(md["general.architecture"] == "llama");
        CHECK(md["llama.block_count"] == 2);
        CHECK(md["llama.attention.layer_norm_rms_epsilon"].get<double>() == 1e-05);  // the float32's shortest form
        CHECK(md["test.i64"] == -42);
        CHECK(md["test.u64"].get<std::uint64_t>() == 18446744073709551615ull);
        CHECK(md["test.bool"] == true);
        CHECK(md["test.f64"] == 0.1);
        CHECK(md["test.short"] == Json::array({3, -1, 4}));
        // A long array: its length and first items.
        CHECK(md["tokenizer.ggml.tokens"]["length"] == 100);
        REQUIRE(md["tokenizer.ggml.tokens"]["first"].size() == 16);
        CHECK(md["tokenizer.ggml.tokens"]["first"][15] == "tok15");
        CHECK(j["metadata_types"]["tokenizer.ggml.tokens"] == "array[string]");
        CHECK(j["metadata_types"]["llama.block_count"] == "uint32");

        const Json& t = j["tensors"];
        REQUIRE(t.size() == 4);
        CHECK(t[0]["name"] == "token_embd.weight");
        CHECK(t[0]["type"] == "F32");
        CHECK(t[0]["dims"] == Json::array({4, 3}));
        CHECK(t[0]["offset"] == 0);
        CHECK(t[0]["bytes"] == 48);
        CHECK(t[1]["type"] == "Q8_0");
        CHECK(t[1]["type_id"] == 8);
        CHECK(t[1]["dims"] == Json::array({64, 2}));
        CHECK(t[1]["offset"] == 64);  // 48 bytes padded to 32
        CHECK(t[1]["bytes"] == 136);
        CHECK(t[1]["file_offset"] == j["data_offset"].get<std::uint64_t>() + 64);
        CHECK(j["totals"]["by_type"]["Q8_0"]["tensors"] == 2);
        CHECK(j["totals"]["by_type"]["F32"]["parameters"] == 16);
        CHECK(j["totals"]["bytes"] == 48 + 136 + 34 + 16);
        CHECK(j["issues"].empty());
        REQUIRE(j["shards"].size() == 1);
        CHECK(j["shards"][0]["n_tensors"] == 4);
    }
}

TEST_CASE("info filters tensors by glob and sections by option, and prints arrays in full on request") {
    test::TempDir dir;
    REQUIRE(sample().write(dir / "m.gguf").ok());
    Run r = info(dir, "--json --tensor 'blk.*.attn_q.weight' " + q(dir / "m.gguf"));
    REQUIRE(r.status == 0);
    Json j = Json::parse(r.out);
    REQUIRE(j["tensors"].size() == 2);
    CHECK(j["tensors"][1]["name"] == "blk.1.attn_q.weight");
    CHECK(j["totals"]["tensors"] == 2);
    CHECK(j["n_tensors"] == 4);  // the file's count, not the selection's

    j = Json::parse(info(dir, "--json --metadata-only " + q(dir / "m.gguf")).out);
    CHECK(j.contains("metadata"));
    CHECK_FALSE(j.contains("tensors"));
    j = Json::parse(info(dir, "--json --tensors-only " + q(dir / "m.gguf")).out);
    CHECK_FALSE(j.contains("metadata"));
    CHECK(j["tensors"].size() == 4);

    j = Json::parse(info(dir, "--json --full " + q(dir / "m.gguf")).out);
    REQUIRE(j["metadata"]["tokenizer.ggml.tokens"].is_array());
    CHECK(j["metadata"]["tokenizer.ggml.tokens"].size() == 100);
    CHECK(j["metadata"]["tokenizer.ggml.tokens"][99] == "tok99");

    r = info(dir, q(dir / "m.gguf"));
    REQUIRE(r.status == 0);
    CHECK(r.out.find("GGUF v3, little-endian, alignment 32") != std::string::npos);
    CHECK(r.out.find("[string; 100]") != std::string::npos);
    CHECK(r.out.find("92 more]") != std::string::npos);
    CHECK(r.out.find("blk.0.attn_q.weight") != std::string::npos);
    CHECK(r.out.find("64 x 2") != std::string::npos);
    CHECK(r.out.find("structural issues: none") != std::string::npos);
    r = info(dir, "--tensor 'output*' " + q(dir / "m.gguf"));
    CHECK(r.out.find("output_norm.weight") != std::string::npos);
    CHECK(r.out.find("token_embd.weight") == std::string::npos);
}

TEST_CASE("info escapes strings that are not UTF-8, so its JSON stays valid") {
    test::TempDir dir;
    test::RawGguf g;
    g.counts(1, 2).kv_str("bad.\xFF", "caf\xE9 ok").kv_str("fine", "\xE2\x82\xAC");
    g.tensor("t\x80", {4}, 0, 0).pad_to(32).zeros(16);
    g.save(dir / "bad.gguf");
    const Run r = info(dir, "--json " + q(dir / "bad.gguf"));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const Json j = Json::parse(r.out);  // throws on invalid UTF-8
    CHECK(j["metadata"]["bad.\\xFF"] == "caf\\xE9 ok");
    CHECK(j["metadata"]["fine"] == "\xE2\x82\xAC");
    CHECK(j["tensors"][0]["name"] == "t\\x80");
    std::size_t utf8_issues = 0;
    for (const auto& i : j["issues"]) utf8_issues += i["kind"] == "invalid_utf8";
    CHECK(utf8_issues == 3);
    CHECK(info(dir, q(dir / "bad.gguf")).status == 0);
}

TEST_CASE("info lists structural issues of a damaged file and still exits 0") {
    test::TempDir dir;
    auto bytes = sample().serialize();
    REQUIRE(bytes.ok());
    test::RawGguf::save_bytes(dir / "cut.gguf", *bytes, bytes->size() - 40);
    const Run r = info(dir, "--json " + q(dir / "cut.gguf"));
    REQUIRE(r.status == 0);
    const Json j = Json::parse(r.out);
    bool out_of_bounds = false;
    for (const auto& i : j["issues"])
        if (i["kind"] == "tensor_out_of_bounds" && i["subject"] == "output_norm.weight") out_of_bounds = i["severity"] == "error";
    CHECK(out_of_bounds);
    CHECK(j["tensors"][3]["data_valid"] == false);
}

TEST_CASE("info shows every shard of a split model") {
    test::TempDir dir;
    auto paths = write_split(sample(), dir / "m", 2);
    REQUIRE(paths.ok());
    const Run r = info(dir, "--json " + q(paths->back()));
    REQUIRE(r.status == 0);
    const Json j = Json::parse(r.out);
    REQUIRE(j["shards"].size() == 2);
    CHECK(j["tensors"].size() == 4);
    CHECK(j["tensors"][2]["shard"] == 1);
    CHECK(j["tensors"][2]["offset"] == 0);
    CHECK(j["metadata"]["general.architecture"] == "llama");
    const Json one = Json::parse(info(dir, "--json --single-shard " + q(paths->back())).out);
    CHECK(one["shards"].size() == 1);
    CHECK(one["tensors"].size() == 2);
}

TEST_CASE("info exits 2 on unreadable input and 3 on bad usage, with messages on stderr") {
    test::TempDir dir;
    {
        std::ofstream f(dir / "not.gguf");
        f << "this is not a gguf file";
    }
    Run r = info(dir, q(dir / "not.gguf"));
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("bad_magic") != std::string::npos);
    r = info(dir, q(dir / "missing.gguf"));
    CHECK(r.status == 2);
    CHECK_FALSE(r.err.empty());
    CHECK(info(dir, "").status == 3);
    CHECK(info(dir, "--metadata-only --tensors-only " + q(dir / "not.gguf")).status == 3);
    CHECK(info(dir, "--no-such-option " + q(dir / "not.gguf")).status == 3);
    r = info(dir, "--help");
    CHECK(r.status == 0);
    CHECK(r.out.find("--tensor") != std::string::npos);
}
