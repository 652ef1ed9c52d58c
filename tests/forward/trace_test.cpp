// Traces: every op of every layer, statistics that match the values, the structure of the pass visible
// in them, and the JSON / .npy files.
#include <algorithm>
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/forward/trace_io.hpp"
#include "support/command.hpp"

using namespace gguf;

namespace {

const std::vector<std::string> kLayerOps{"attn_norm", "q_proj", "k_proj", "q", "k", "v", "attn", "attn_out",
                                         "attn_residual", "ffn_norm", "gate", "up", "ffn_act", "down", "ffn_residual"};

forward::Trace traced(const Container& model, std::span<const std::int32_t> tokens, forward::TraceOptions options,
                      forward::Logits* logits = nullptr) {
    auto pass = test::cpu_pass(model);
    forward::Trace trace(options);
    auto result = pass->evaluate(tokens, &trace);
    REQUIRE(result.ok());
    if (logits) *logits = std::move(*result);
    return trace;
}

void check_values_close(std::span<const float> got, std::span<const float> want, float tolerance) {
    REQUIRE(got.size() == want.size());
    float worst = 0;
    for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
    CHECK(worst <= tolerance);
}

}  // namespace

TEST_CASE("a trace has every op of every layer in order, with [n_tokens, width] shapes") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_preset(dir, "tiny-qwen3", "f32"));
    const std::vector<std::int32_t> tokens{1, 2, 3};
    const auto trace = traced(model, tokens, {});
    std::vector<std::pair<int, std::string>> expected{{-1, "embedding"}};
    for (int layer = 0; layer < 2; ++layer)
        for (const auto& op : kLayerOps) expected.emplace_back(layer, op);
    expected.emplace_back(-1, "output_norm");
    expected.emplace_back(-1, "logits");
    REQUIRE(trace.records().size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(trace.records()[i].layer == expected[i].first);
        CHECK(trace.records()[i].op == expected[i].second);
        CHECK(trace.records()[i].shape.size() == 2);
        CHECK(trace.records()[i].shape[0] == 3);
    }
    // tiny-qwen3: n_embd 256, 4 heads of 128 (q is wider than n_embd), 2 kv heads, n_ff 512, 512 tokens.
    CHECK(trace.find(0, "q")->shape[1] == 512);
    CHECK(trace.find(0, "k")->shape[1] == 256);
    CHECK(trace.find(1, "gate")->shape[1] == 512);
    CHECK(trace.find(1, "ffn_residual")->shape[1] == 256);
    CHECK(trace.find(-1, "logits")->shape[1] == 512);
    CHECK(trace.find(-1, "first_layer") == nullptr);
}

TEST_CASE("trace statistics and first values match the recorded values") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_preset(dir, "tiny-llama", "f16"));
    const std::vector<std::int32_t> tokens{4, 8, 15, 16, 23, 42};
    forward::Logits logits;
    const auto trace = traced(model, tokens, {.first_values = 5, .keep_values = true}, &logits);
    for (const auto& r : trace.records()) {
        CAPTURE(r.op);
        REQUIRE(r.values.size() == r.shape[0] * r.shape[1]);
        double lo = INFINITY, hi = -INFINITY, sum = 0, squares = 0;
        for (const float v : r.values) {
            lo = std::min<double>(lo, v);
            hi = std::max<double>(hi, v);
            sum += v;
            squares += static_cast<double>(v) * v;
        }
        const double n = static_cast<double>(r.values.size());
        CHECK(r.min == lo);
        CHECK(r.max == hi);
        CHECK(r.mean == doctest::Approx(sum / n).epsilon(1e-12));
        CHECK(r.rms == doctest::Approx(std::sqrt(squares / n)).epsilon(1e-12));
        CHECK(r.non_finite == 0);
        CHECK(std::vector<float>(r.values.begin(), r.values.begin() + 5) == r.first);
    }
    CHECK(std::ranges::equal(trace.find(-1, "logits")->values, logits.values));
}

TEST_CASE("the trace shows the residual stream, the SwiGLU and the RMSNorms of the pass") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_preset(dir, "tiny-qwen2", "f32"));
    const std::vector<std::int32_t> tokens{10, 20, 30, 40};
    const auto trace = traced(model, tokens, {.keep_values = true});
    const auto values = [&](int layer, const char* op) -> const std::vector<float>& {
        const auto* r = trace.find(layer, op);
        REQUIRE(r != nullptr);
        return r->values;
    };
    std::vector<float> expected(values(0, "attn_out").size());
    // residual = stream before the block + block output
    forward::ops::add(values(-1, "embedding"), values(0, "attn_out"), expected);
    check_values_close(values(0, "attn_residual"), expected, 0);
    forward::ops::add(values(0, "attn_residual"), values(0, "down"), expected);
    check_values_close(values(0, "ffn_residual"), expected, 0);
    forward::ops::add(values(0, "ffn_residual"), values(1, "attn_out"), expected);
    check_values_close(values(1, "attn_residual"), expected, 0);
    // ffn_act = silu(gate) * up
    std::vector<float> act(values(1, "gate").size());
    for (std::size_t i = 0; i < act.size(); ++i) {
        const float g = values(1, "gate")[i];
        act[i] = g / (1 + std::exp(-g)) * values(1, "up")[i];
    }
    check_values_close(values(1, "ffn_act"), act, 1e-6f);
    // RoPE is a rotation: it keeps the length of every head of q
    const auto& before = values(1, "q_proj");
    const auto& after = values(1, "q");
    for (std::size_t head = 0; head < before.size() / 64; ++head) {
        double a = 0, b = 0;
        for (std::size_t i = head * 64; i < (head + 1) * 64; ++i) {
            a += static_cast<double>(before[i]) * before[i];
            b += static_cast<double>(after[i]) * after[i];
        }
        CHECK(b == doctest::Approx(a).epsilon(1e-5));
    }
    // position 0 is not rotated
    CHECK(std::equal(before.begin(), before.begin() + 256, after.begin()));
}

TEST_CASE("trace statistics skip non-finite values and count them") {
    forward::Trace trace({.first_values = 3});
    const std::vector<float> data{1, NAN, 3, INFINITY, -1};
    trace.record(2, "attn", {1, 5}, data);
    const auto& r = trace.records().front();
    CHECK(r.non_finite == 2);
    CHECK(r.min == -1);
    CHECK(r.max == 3);
    CHECK(r.mean == doctest::Approx(1.0));
    CHECK(r.rms == doctest::Approx(std::sqrt(11.0 / 3)));
    CHECK(r.first.size() == 3);
    CHECK(std::isnan(r.first[1]));
}

TEST_CASE("a trace written as JSON reads back the same, with .npy files of the full values") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_preset(dir, "tiny-llama", "f32"));
    const std::vector<std::int32_t> tokens{1, 2, 3, 4};
    auto trace = traced(model, tokens, {.first_values = 4, .keep_values = true});
    trace.record(-1, "with_nan", {1, 2}, std::vector<float>{NAN, -INFINITY});
    const forward::TraceHeader header{"tiny-llama-f32.gguf", "cpu", tokens, 0};
    const auto json_path = dir / "out" / "trace.json";
    std::filesystem::create_directories(dir / "out" / "npy");
    REQUIRE(forward::write_trace(json_path, header, trace, dir / "out" / "npy").ok());

    auto back = forward::read_trace(json_path);
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.error().describe()));
    CHECK(back->header.tokens == tokens);
    CHECK(back->header.backend == "cpu");
    REQUIRE(back->records.size() == trace.records().size());
    for (std::size_t i = 0; i + 1 < trace.records().size(); ++i) {
        const auto& a = trace.records()[i];
        const auto& b = back->records[i];
        CHECK(a.layer == b.layer);
        CHECK(a.op == b.op);
        CHECK(a.shape == b.shape);
        CHECK(a.min == b.min);
        CHECK(a.max == b.max);
        CHECK(a.mean == b.mean);
        CHECK(a.rms == b.rms);
        CHECK(a.first == b.first);  // floats survive the decimal round trip exactly
    }
    const auto& nan_record = back->records.back();
    CHECK(std::isnan(nan_record.first[0]));
    CHECK(nan_record.first[1] == -INFINITY);
    CHECK(nan_record.non_finite == 2);

    // The layer-1 "q" activation as .npy: header, then the float32 values.
    const auto* q = trace.find(1, "q");
    const auto npy = back->npy[static_cast<std::size_t>(q - trace.records().data())];
    CHECK(npy.filename() == "blk.1.q.npy");
    const std::string bytes = test::read_file(npy);
    REQUIRE(bytes.size() > 10);
    CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    const std::size_t header_length = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    CHECK((10 + header_length) % 64 == 0);
    const std::string dict = bytes.substr(10, header_length);
    CHECK(dict.find("'descr': '<f4'") != std::string::npos);
    CHECK(dict.find("'shape': (4, 256)") != std::string::npos);
    REQUIRE(bytes.size() == 10 + header_length + q->values.size() * 4);
    std::vector<float> values(q->values.size());
    std::memcpy(values.data(), bytes.data() + 10 + header_length, bytes.size() - 10 - header_length);
    CHECK(values == q->values);
}

TEST_CASE("reading a trace rejects what is not one, naming the record and field") {
    const test::TempDir dir;
    const auto path = dir / "trace.json";
    const auto error_for = [&](const nlohmann::json& doc) {
        std::ofstream(path) << doc.dump();
        auto r = forward::read_trace(path);
        REQUIRE_FALSE(r.ok());
        return r.error().message;
    };
    const nlohmann::json good_record = {{"layer", 0}, {"op", "q"}, {"shape", {1, 2}},
                                        {"min", 0}, {"max", 1}, {"mean", 0.5}, {"rms", "nan"}};
    nlohmann::json doc = {{"format", "gguf-doctor-trace"}, {"version", 1}, {"records", {good_record}}};
    std::ofstream(path) << doc.dump();
    auto ok = forward::read_trace(path);
    REQUIRE(ok.ok());
    CHECK(std::isnan(ok->records[0].rms));

    CHECK(error_for({{"format", "other"}, {"version", 1}, {"records", nlohmann::json::array()}}).find("format") != std::string::npos);
    CHECK(error_for({{"format", "gguf-doctor-trace"}, {"version", 2}, {"records", nlohmann::json::array()}}).find("version") !=
          std::string::npos);
    auto missing = good_record;
    missing.erase("max");
    doc["records"] = {good_record, missing};
    CHECK(error_for(doc) == "record 1: \"max\" is missing");
    auto bad_shape = good_record;
    bad_shape["shape"] = {1, -2};
    doc["records"] = nlohmann::json::array({bad_shape});  // {x} alone is x itself under clang, an array under GCC
    CHECK(error_for(doc).find("record 0: \"shape\"") != std::string::npos);
    std::ofstream(path) << "{ not json";
    CHECK_FALSE(forward::read_trace(path).ok());
    CHECK(forward::read_trace(dir / "absent.json").error().code == ErrorCode::io_error);
}

// Found while fuzzing the reader (fuzz/fuzz_trace): numbers out of the range of the field's C++ type
// were converted anyway, which C++ leaves undefined (UBSan: "1e+300 is outside the range of
// representable values of type 'int'").
TEST_CASE("parsing a trace refuses numbers its fields cannot hold, from memory as from a file") {
    const auto parse = [](const nlohmann::json& doc) { return forward::parse_trace(doc.dump(), "/in/memory/trace.json"); };
    const nlohmann::json record = {{"layer", 0}, {"op", "q"}, {"shape", {1}}, {"min", 0}, {"max", 1}, {"mean", 0}, {"rms", 0}};
    nlohmann::json doc = {{"format", "gguf-doctor-trace"}, {"version", 1}, {"tokens", {1, 2, -3}},
                          {"first_position", 5}, {"records", {record}}};
    auto ok = parse(doc);
    REQUIRE(ok.ok());
    CHECK(ok->header.tokens == std::vector<std::int32_t>{1, 2, -3});
    CHECK(ok->header.first_position == 5);

    for (const nlohmann::json& tokens : {nlohmann::json{1e300}, nlohmann::json{1.5}, nlohmann::json{std::int64_t{1} << 40},
                                         nlohmann::json("12"), nlohmann::json{std::uint64_t{0xFFFFFFFFFFFFFFFF}}}) {
        auto bad = doc;
        bad["tokens"] = tokens;
        CAPTURE(tokens.dump());
        auto r = parse(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("\"tokens\"") != std::string::npos);
        CHECK(r.error().describe().find("/in/memory/trace.json") != std::string::npos);
    }
    for (const nlohmann::json& position : {nlohmann::json(1e300), nlohmann::json(-1), nlohmann::json(2.5)}) {
        auto bad = doc;
        bad["first_position"] = position;
        CAPTURE(position.dump());
        auto r = parse(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("\"first_position\"") != std::string::npos);
    }
    // Found by fuzz/fuzz_trace: a "format" that is not a string threw out of the reader.
    for (const nlohmann::json& format : {nlohmann::json::array(), nlohmann::json(7), nlohmann::json(nullptr)}) {
        auto bad = doc;
        bad["format"] = format;
        CHECK(parse(bad).error().message.find("\"format\"") != std::string::npos);
    }
    auto far_layer = record;
    far_layer["layer"] = std::int64_t{1} << 40;
    doc["records"] = nlohmann::json::array({far_layer});
    CHECK(parse(doc).error().message == "record 0: \"layer\" is not a 32-bit integer");
}
