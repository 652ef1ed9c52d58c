// `gguf-doctor stats` and `gguf-doctor dump`, run as programs on files written here: the numbers they
// print are compared with values worked out from what was written, the .npy files are parsed back.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "dequant/test_data.hpp"
#include "gguf/container.hpp"
#include "gguf/dequant.hpp"
#include "gguf/quantize.hpp"
#include "gguf/writer.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using Json = nlohmann::json;

namespace {

struct Run : test::CommandResult {
    std::string err;
};

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// stderr goes to a file rather than the pipe, so that `out` holds only what the command wrote to stdout.
Run doctor(const test::TempDir& dir, const std::string& args) {
    const auto err_path = dir / "stderr.txt";
    Run r{test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' " + args + " 2>" + q(err_path))};
    r.err = test::read_file(err_path);
    return r;
}

std::vector<std::byte> f32_bytes(const std::vector<float>& v) {
    std::vector<std::byte> out(v.size() * 4);
    std::memcpy(out.data(), v.data(), out.size());
    return out;
}

// A parsed .npy: its dtype, shape and data bytes.
struct Npy {
    std::string descr;
    std::vector<std::uint64_t> shape;
    std::string data;
};

Npy read_npy(const std::filesystem::path& p) {
    const std::string s = test::read_file(p);
    REQUIRE(s.size() >= 10);
    REQUIRE(s.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)) == 0);
    const std::size_t header_len = static_cast<unsigned char>(s[8]) | static_cast<unsigned char>(s[9]) << 8;
    REQUIRE((10 + header_len) % 64 == 0);
    const std::string header = s.substr(10, header_len);
    std::smatch m;
    REQUIRE(std::regex_search(header, m, std::regex("'descr': '([^']*)'")));
    Npy n{m[1], {}, s.substr(10 + header_len)};
    REQUIRE(std::regex_search(header, m, std::regex("'shape': \\(([^)]*)\\)")));
    const std::string dims = m[1];
    const std::regex number("[0-9]+");
    for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it)
        n.shape.push_back(std::stoull(it->str()));
    CHECK(header.find("'fortran_order': False") != std::string::npos);
    return n;
}

// 4 rows of 8: row 0 = 0..7, row 1 all zero, row 2 = -1 x 8 with a NaN, row 3 = 10 x 8 with +Inf.
std::vector<float> small_matrix() {
    std::vector<float> v(32);
    for (int i = 0; i < 8; ++i) v[i] = static_cast<float>(i);
    for (int i = 16; i < 24; ++i) v[i] = -1.0f;
    for (int i = 24; i < 32; ++i) v[i] = 10.0f;
    v[20] = std::numeric_limits<float>::quiet_NaN();
    v[31] = std::numeric_limits<float>::infinity();
    return v;
}

std::filesystem::path write_sample(const test::TempDir& dir, ByteOrder order = ByteOrder::little) {
    Writer w(order);
    REQUIRE(w.add_tensor({"small", static_cast<std::uint32_t>(TypeId::F32), {8, 4}, f32_bytes(small_matrix())}).ok());
    const auto weights = test::weight_like(6, 256, 3);
    REQUIRE(w.add_tensor({"blk.0.ffn_up.weight", static_cast<std::uint32_t>(TypeId::Q8_0), {256, 6},
                          *dequant::quantize(static_cast<std::uint32_t>(TypeId::Q8_0), weights, 256)})
                .ok());
    REQUIRE(w.add_tensor({"blk.0.ffn_down.weight", static_cast<std::uint32_t>(TypeId::Q4_K), {256, 6},
                          *dequant::quantize(static_cast<std::uint32_t>(TypeId::Q4_K), weights, 256)})
                .ok());
    REQUIRE(w.add_tensor({"exotic", static_cast<std::uint32_t>(TypeId::Q8_K), {256, 2}, std::vector<std::byte>(2 * 292)}).ok());
    const auto path = dir / (order == ByteOrder::little ? "le.gguf" : "be.gguf");
    REQUIRE(w.write(path).ok());
    return path;
}

const Json& tensor_named(const Json& doc, const std::string& name) {
    for (const auto& t : doc["tensors"])
        if (t["name"] == name) return t;
    FAIL("no tensor " << name << " in the JSON");
    return doc;
}

}  // namespace

TEST_CASE("stats --json reports the statistics of what was written") {
    test::TempDir dir;
    const auto file = write_sample(dir);
    const Run r = doctor(dir, "stats " + q(file) + " --json");
    REQUIRE(r.status == 0);
    const Json doc = Json::parse(r.out);
    CHECK(doc["schema"] == "gguf-doctor/stats/1");
    REQUIRE(doc["tensors"].size() == 4);

    // The finite values of small_matrix: 0..7, 8 zeros, seven -1, seven 10 (30 values).
    const Json& s = tensor_named(doc, "small");
    CHECK(s["status"] == "ok");
    CHECK(s["finite"] == 30);
    CHECK(s["nan"] == 1);
    CHECK(s["pos_inf"] == 1);
    CHECK(s["zero"] == 9);
    CHECK(s["min"] == -1.0);
    CHECK(s["max"] == 10.0);
    const double mean = (28.0 - 7.0 + 70.0) / 30.0;
    CHECK(s["mean"].get<double>() == doctest::Approx(mean).epsilon(1e-14));
    const double mean_square = (140.0 + 7.0 + 700.0) / 30.0;
    CHECK(s["std"].get<double>() == doctest::Approx(std::sqrt(mean_square - mean * mean)).epsilon(1e-12));
    CHECK(s["rms"].get<double>() == doctest::Approx(std::sqrt(mean_square)).epsilon(1e-12));
    CHECK(s["rows"]["zero"] == 1);
    CHECK(s["rows"]["nonfinite"] == 2);
    REQUIRE(s["rows"]["largest_rms"].size() == 2);
    CHECK(s["rows"]["largest_rms"][0]["row"] == 0);  // rms sqrt(17.5) of 0..7; row 1 (zeros) is the smallest
    CHECK(s["rows"]["smallest_rms"][0]["row"] == 1);
    CHECK(s["percentiles"]["50"] == 0.0);  // the 15th/16th of 30 sorted values are both 0
    std::uint64_t histogram = 0;
    for (const auto& c : s["histogram"]["counts"]) histogram += c.get<std::uint64_t>();
    CHECK(histogram == 30);
    CHECK(s["raw_exponents"].size() == 256);
    CHECK_FALSE(s.contains("block_scales"));

    // The quantized tensors: the statistics of their decoded values, their block scales.
    const Json& q8 = tensor_named(doc, "blk.0.ffn_up.weight");
    CHECK(q8["block_scales"].size() == 1);
    CHECK(q8["block_scales"][0]["name"] == "d");
    CHECK(q8["block_scales"][0]["count"] == 48);
    CHECK(tensor_named(doc, "blk.0.ffn_down.weight")["block_scales"][1]["name"] == "dmin");
    auto model = open(file);
    REQUIRE(model.ok());
    const auto decoded = dequant::to_float(*model->view(*model->find_tensor("blk.0.ffn_up.weight")));
    REQUIRE(decoded.ok());
    double lo = 1e30, hi = -1e30;
    for (float x : *decoded) {
        lo = std::min<double>(lo, x);
        hi = std::max<double>(hi, x);
    }
    CHECK(q8["min"] == lo);
    CHECK(q8["max"] == hi);

    // The unsupported type: named as such, no numbers.
    const Json& exotic = tensor_named(doc, "exotic");
    CHECK(exotic["status"] == "unsupported");
    CHECK_FALSE(exotic.contains("mean"));
    bool listed = false;
    for (const auto& t : doc["types"])
        if (t["type"] == "Q8_K") listed = t["unsupported"] == 1;
    CHECK(listed);
}

TEST_CASE("stats and dump decode NVFP4, Q1_0 and Q2_0 tensors built by hand") {
    test::TempDir dir;
    // One block each; the values are worked out from ggml-common.h's layouts.
    std::vector<std::byte> q1(18, std::byte{0}), q2(18, std::byte{0x55}), nv(36, std::byte{0});
    q1[0] = std::byte{0x00}, q1[1] = std::byte{0x38};  // d = 0.5
    q1[2] = std::byte{0x01};                            // value 0: +0.5, the other 127: -0.5
    q2[0] = std::byte{0x00}, q2[1] = std::byte{0x40};  // d = 2
    q2[2] = std::byte{0xE4};                            // values 0-3: -2, 0, 2, 4; the other 60: code 1 -> 0
    nv[0] = std::byte{0x38};                            // sub-block 0 scale 1, the others 0
    nv[4] = std::byte{0xD7};                            // value 0: +6, value 8: -3; the other 62: 0
    Writer w;
    REQUIRE(w.add_tensor({"q1", static_cast<std::uint32_t>(TypeId::Q1_0), {128, 1}, q1}).ok());
    REQUIRE(w.add_tensor({"q2", static_cast<std::uint32_t>(TypeId::Q2_0), {64, 1}, q2}).ok());
    REQUIRE(w.add_tensor({"nv", static_cast<std::uint32_t>(TypeId::NVFP4), {64, 1}, nv}).ok());
    const auto file = dir / "newtypes.gguf";
    REQUIRE(w.write(file).ok());

    const Run r = doctor(dir, "stats " + q(file) + " --json");
    REQUIRE(r.status == 0);
    const Json doc = Json::parse(r.out);
    const Json& t1 = tensor_named(doc, "q1");
    CHECK(t1["status"] == "ok");
    CHECK(t1["min"] == -0.5);
    CHECK(t1["max"] == 0.5);
    CHECK(t1["mean"].get<double>() == doctest::Approx((0.5 - 127 * 0.5) / 128).epsilon(1e-14));
    CHECK(t1["block_scales"][0]["name"] == "d");
    CHECK(t1["block_scales"][0]["max"] == 0.5);
    const Json& t2 = tensor_named(doc, "q2");
    CHECK(t2["status"] == "ok");
    CHECK(t2["min"] == -2.0);
    CHECK(t2["max"] == 4.0);
    CHECK(t2["zero"] == 61);
    const Json& t3 = tensor_named(doc, "nv");
    CHECK(t3["status"] == "ok");
    CHECK(t3["min"] == -3.0);
    CHECK(t3["max"] == 6.0);
    CHECK(t3["zero"] == 62);
    // NVFP4's four sub-block scales, as UE4M3 values (not ggml's halved ones): 1, 0, 0, 0.
    CHECK(t3["block_scales"][0]["name"] == "d");
    CHECK(t3["block_scales"][0]["count"] == 4);
    CHECK(t3["block_scales"][0]["max"] == 1.0);
    CHECK(t3["block_scales"][0]["zero"] == 3);
    for (const auto& t : doc["types"]) CHECK(t.value("unsupported", 0) == 0);

    REQUIRE(doctor(dir, "dump " + q(file) + " --tensor nv --out " + q(dir / "nv.npy")).status == 0);
    const Npy n = read_npy(dir / "nv.npy");
    REQUIRE(n.data.size() == 64 * 4);
    float v[64];
    std::memcpy(v, n.data.data(), sizeof v);
    CHECK(v[0] == 6.0f);
    CHECK(v[8] == -3.0f);
}

TEST_CASE("stats selects tensors by glob, prints a table and CSV") {
    test::TempDir dir;
    const auto file = write_sample(dir);
    const Run csv = doctor(dir, "stats " + q(file) + " --csv --tensor 'blk.*' --threads 2");
    REQUIRE(csv.status == 0);
    std::vector<std::string> lines;
    for (std::size_t at = 0, nl; (nl = csv.out.find('\n', at)) != std::string::npos; at = nl + 1)
        lines.push_back(csv.out.substr(at, nl - at));
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].rfind("name,type,ne,", 0) == 0);
    for (const auto& l : lines) CHECK(std::count(l.begin(), l.end(), ',') == std::count(lines[0].begin(), lines[0].end(), ','));
    CHECK(lines[1].rfind("\"blk.0.ffn_up.weight\",Q8_0,256x6,1536,ok,", 0) == 0);

    const Run text = doctor(dir, "stats " + q(file));
    REQUIRE(text.status == 0);
    CHECK(text.out.find("exotic") != std::string::npos);
    CHECK(text.out.find("unsupported") != std::string::npos);
    CHECK(text.out.find("per type") != std::string::npos);
    CHECK(text.out.find("Q8_K has no dequantizer") != std::string::npos);
}

TEST_CASE("stats --experts lists each expert of a 3-D expert stack as an entry of its own") {
    test::TempDir dir;
    // 3 experts of 4 rows of 8: expert e holds the value e + 1 everywhere, except expert 1, all zero.
    std::vector<float> stack(3 * 32);
    for (std::size_t i = 0; i < stack.size(); ++i) stack[i] = i / 32 == 1 ? 0.0f : static_cast<float>(i / 32 + 1);
    Writer w;
    REQUIRE(w.add_tensor({"blk.0.ffn_up_exps.weight", static_cast<std::uint32_t>(TypeId::F32), {8, 4, 3}, f32_bytes(stack)}).ok());
    REQUIRE(w.add_tensor({"small", static_cast<std::uint32_t>(TypeId::F32), {8, 4}, f32_bytes(small_matrix())}).ok());
    const auto file = dir / "experts.gguf";
    REQUIRE(w.write(file).ok());

    const Run r = doctor(dir, "stats " + q(file) + " --json --experts");
    REQUIRE(r.status == 0);
    const Json doc = Json::parse(r.out);
    REQUIRE(doc["tensors"].size() == 4);  // three experts, then the plain tensor
    const double expected_rms[] = {1.0, 0.0, 3.0};
    for (int e = 0; e < 3; ++e) {
        const Json& t = tensor_named(doc, "blk.0.ffn_up_exps.weight[" + std::to_string(e) + "]");
        CHECK(t["ne"] == Json::array({8, 4}));
        CHECK(t["count"] == 32);
        CHECK(t["rms"] == expected_rms[e]);
        CHECK(t["zero"] == (e == 1 ? 32 : 0));
    }
    CHECK(tensor_named(doc, "small")["count"] == 32);
    // Without the option the stack is one entry.
    const Json whole = Json::parse(doctor(dir, "stats " + q(file) + " --json").out);
    CHECK(tensor_named(whole, "blk.0.ffn_up_exps.weight")["count"] == 96);
}

TEST_CASE("stats and dump exit codes: usage errors 3, unreadable input 2") {
    test::TempDir dir;
    const auto file = write_sample(dir);
    CHECK(doctor(dir, "stats " + q(file) + " --json --csv").status == 3);
    CHECK(doctor(dir, "stats " + q(dir / "missing.gguf")).status == 2);
    CHECK(doctor(dir, "dump " + q(file) + " --tensor nope --out " + q(dir / "x.npy")).status == 3);
    CHECK(doctor(dir, "dump " + q(file) + " --tensor small").status == 3);
    const Run unsupported = doctor(dir, "dump " + q(file) + " --tensor exotic --out " + q(dir / "x.npy"));
    CHECK(unsupported.status == 2);
    CHECK(unsupported.err.find("Q8_K") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "x.npy"));

    // A file cut short: the last tensor's data is missing.
    const std::string bytes = test::read_file(file);
    const auto cut = dir / "cut.gguf";
    std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 100));
    const Run r = doctor(dir, "stats " + q(cut) + " --json");
    CHECK(r.status == 2);
    CHECK_FALSE(r.err.empty());
}

TEST_CASE("dump writes float32 in NumPy order, and the raw bytes with --raw") {
    test::TempDir dir;
    const auto file = write_sample(dir);
    REQUIRE(doctor(dir, "dump " + q(file) + " --tensor small --out " + q(dir / "small.npy")).status == 0);
    const Npy small = read_npy(dir / "small.npy");
    CHECK(small.descr == "<f4");
    CHECK(small.shape == std::vector<std::uint64_t>{4, 8});  // [ne1, ne0]
    const auto expected = f32_bytes(small_matrix());
    REQUIRE(small.data.size() == expected.size());
    CHECK(std::memcmp(small.data.data(), expected.data(), expected.size()) == 0);

    auto model = open(file);
    REQUIRE(model.ok());
    const auto view = model->view(*model->find_tensor("blk.0.ffn_down.weight"));
    REQUIRE(doctor(dir, "dump " + q(file) + " --tensor blk.0.ffn_down.weight --out " + q(dir / "q.npy")).status == 0);
    const Npy q4 = read_npy(dir / "q.npy");
    CHECK(q4.shape == std::vector<std::uint64_t>{6, 256});
    const auto decoded = dequant::to_float(*view);
    REQUIRE(q4.data.size() == decoded->size() * 4);
    CHECK(std::memcmp(q4.data.data(), decoded->data(), q4.data.size()) == 0);

    REQUIRE(doctor(dir, "dump " + q(file) + " --tensor exotic --raw --out " + q(dir / "raw.npy")).status == 0);
    const Npy raw = read_npy(dir / "raw.npy");
    CHECK(raw.descr == "|u1");
    CHECK(raw.shape == std::vector<std::uint64_t>{2, 292});  // [ne1, bytes per row]
    CHECK(raw.data == std::string(2 * 292, '\0'));
    REQUIRE(doctor(dir, "dump " + q(file) + " --tensor blk.0.ffn_down.weight --raw --out " + q(dir / "raw.bin"))
                .status == 0);
    const std::string bin = test::read_file(dir / "raw.bin");
    REQUIRE(bin.size() == view->bytes.size());
    CHECK(std::memcmp(bin.data(), view->bytes.data(), bin.size()) == 0);
}

TEST_CASE("dump of a big-endian file gives the floats of the little-endian one") {
    test::TempDir dir;
    const auto le = write_sample(dir, ByteOrder::little);
    const auto be = write_sample(dir, ByteOrder::big);
    for (const char* name : {"small", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"}) {
        CAPTURE(name);
        REQUIRE(doctor(dir, "dump " + q(le) + " --tensor " + name + " --out " + q(dir / "le.npy")).status == 0);
        REQUIRE(doctor(dir, "dump " + q(be) + " --tensor " + name + " --out " + q(dir / "be.npy")).status == 0);
        CHECK(read_npy(dir / "le.npy").data == read_npy(dir / "be.npy").data);
    }
}

TEST_CASE("stats reports sub-block scales and code usage of an IQ tensor in the table, JSON and CSV") {
    test::TempDir dir;
    // Four IQ2_S blocks built by hand: d = 1, every group on grid entry 5 with all signs set, every
    // scale byte 0x73 (sub-block scales 3 and 7).
    std::vector<std::byte> blocks(4 * 82, std::byte{0});
    for (std::size_t b = 0; b < 4; ++b) {
        std::byte* p = blocks.data() + 82 * b;
        p[1] = std::byte{0x3C};
        std::fill(p + 2, p + 34, std::byte{5});
        std::fill(p + 34, p + 66, std::byte{0xFF});
        std::fill(p + 74, p + 82, std::byte{0x73});
    }
    Writer w;
    REQUIRE(w.add_tensor({"blk.0.attn_q.weight", static_cast<std::uint32_t>(TypeId::IQ2_S), {256, 4}, blocks}).ok());
    const auto file = dir / "iq.gguf";
    REQUIRE(w.write(file).ok());

    const Run json = doctor(dir, "stats " + q(file) + " --json");
    REQUIRE(json.status == 0);
    const Json t = Json::parse(json.out)["tensors"][0];
    REQUIRE(t.contains("sub_block_scales"));
    const Json& sub = t["sub_block_scales"][0];
    CHECK(sub["name"] == "scales");
    CHECK(sub["bits"] == 4);
    CHECK(sub["count"] == 4 * 16);
    CHECK(sub["histogram"][3] == 32);
    CHECK(sub["histogram"][7] == 32);
    CHECK(sub["mean"].get<double>() == 5.0);
    const Json& usage = t["code_usage"];
    CHECK(usage["grid_size"] == 1024);
    CHECK(usage["grid_used"] == 1);
    CHECK(usage["grid_lookups"] == 4 * 32);
    CHECK(usage["sign_fraction"].get<double>() == 1.0);
    CHECK_FALSE(usage.contains("delta_bits"));

    const Run text = doctor(dir, "stats " + q(file));
    REQUIRE(text.status == 0);
    CHECK(text.out.find("sub-block scales and code usage") != std::string::npos);
    CHECK(text.out.find("1 of 1024") != std::string::npos);
    CHECK(text.out.find("100.00%") != std::string::npos);

    const Run csv = doctor(dir, "stats " + q(file) + " --csv");
    REQUIRE(csv.status == 0);
    const auto newline = csv.out.find('\n');
    const std::string header = csv.out.substr(0, newline), row = csv.out.substr(newline + 1);
    CHECK(std::count(header.begin(), header.end(), ',') == std::count(row.begin(), row.end(), ','));
    CHECK(header.find("sub1,sub1_mean,sub2,sub2_mean,grid_used_fraction,sign_fraction,delta_negative_fraction") != std::string::npos);
    CHECK(row.find(",scales,5,,,0.0009765625,1,\n") != std::string::npos);
}
