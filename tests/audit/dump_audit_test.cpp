// audit_dump over whole folders: clean dumps of every kind produce no diagnosis; missing and extra
// files, name mappings, unreadable files; the .npy reader.
#include <doctest/doctest.h>

#include <fstream>

#include "fixture.hpp"
#include "gguf/audit/dump_audit.hpp"

using namespace gguf;
using audit::TensorStatus;

namespace {

audit::DumpAudit run_audit(const Container& model, const std::filesystem::path& dir, audit::DumpAuditOptions options = {}) {
    options.tensor.threads = 2;
    auto result = audit::audit_dump(model, dir, options);
    REQUIRE_MESSAGE(result.ok(), (result.ok() ? std::string() : result.error().describe()));
    return std::move(*result);
}

std::string describe(const audit::DumpAudit& a) {
    std::string s;
    for (const auto& t : a.tensors)
        if (t.status != TensorStatus::match) {
            s += t.name + ": " + std::string(audit::status_name(t.status)) + " " + t.problem;
            for (const auto& d : t.diagnoses) s += " [" + d.kind + "] " + d.message;
            s += "\n";
        }
    return s;
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("clean dumps of every weight type, both precisions and both byte orders produce no diagnosis") {
    struct Case {
        const char* preset;
        TypeId type;
        bool float16;
        ByteOrder order;
    };
    const Case cases[] = {
        {"tiny-llama", TypeId::F32, false, ByteOrder::little}, {"tiny-llama", TypeId::F16, true, ByteOrder::little},
        {"tiny-llama", TypeId::Q4_K, false, ByteOrder::little}, {"tiny-llama", TypeId::Q6_K, true, ByteOrder::big},
        {"tiny-qwen2", TypeId::Q8_0, false, ByteOrder::little}, {"tiny-qwen2", TypeId::BF16, false, ByteOrder::big},
        {"tiny-qwen3", TypeId::Q4_0, true, ByteOrder::little},
    };
    for (const Case& c : cases) {
        CAPTURE(c.preset);
        CAPTURE(type_label(test::type_id(c.type)));
        CAPTURE(c.float16);
        const test::TempDir dir;
        const Container model = test::open_model(test::write_model(dir, c.preset, test::type_id(c.type), c.order));
        test::dump_reference(model, dir / "dump", c.float16);
        const auto a = run_audit(model, dir / "dump");
        INFO(describe(a));
        CHECK(a.passed());
        CHECK(a.count(TensorStatus::match) == model.tensors().size());
        for (const auto& t : a.tensors) CHECK(t.diagnoses.empty());
    }
}

TEST_CASE("missing and extra files are listed and fail the audit unless allowed") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F16)));
    test::dump_reference(model, dir / "dump");
    std::filesystem::remove(dir / "dump" / "blk.1.ffn_up.weight.npy");
    std::filesystem::copy_file(dir / "dump" / "output_norm.weight.npy", dir / "dump" / "model.final_norm.npy");

    const auto a = run_audit(model, dir / "dump");
    CHECK_FALSE(a.passed());
    CHECK(a.count(TensorStatus::missing) == 1);
    CHECK(a.count(TensorStatus::extra) == 1);
    CHECK(a.count(TensorStatus::match) == model.tensors().size() - 1);
    for (const auto& t : a.tensors) {
        if (t.status == TensorStatus::missing) CHECK(t.name == "blk.1.ffn_up.weight");
        if (t.status == TensorStatus::extra) CHECK(t.name == "model.final_norm");
    }
    audit::DumpAuditOptions lenient;
    lenient.allow_missing = lenient.allow_extra = true;
    CHECK(run_audit(model, dir / "dump", lenient).passed());

    audit::DumpAuditOptions only_layer_0;
    only_layer_0.select = [](std::string_view name) { return name.starts_with("blk.0."); };
    const auto b = run_audit(model, dir / "dump", only_layer_0);
    CHECK(b.passed());
    CHECK(b.tensors.size() == 9);  // attn_norm, q, k, v, output, ffn_norm, gate, up, down
}

TEST_CASE("an empty folder fails (nothing compared), a missing folder is an error") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    std::filesystem::create_directories(dir / "empty");
    audit::DumpAuditOptions lenient;
    lenient.allow_missing = true;
    CHECK_FALSE(run_audit(model, dir / "empty", lenient).passed());
    const auto missing = audit::audit_dump(model, dir / "nope");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::io_error);
}

TEST_CASE("Hugging Face names: the built-in map, and rows in HF order with --qk-order hf, pass") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::Q4_K)));
    const auto hf = audit::NameMap::hugging_face();
    test::dump_reference(model, dir / "dump", false, [&](const std::string& name) { return hf.to_theirs(name); });
    CHECK(std::filesystem::exists(dir / "dump" / "model.layers.1.self_attn.q_proj.weight.npy"));
    CHECK(std::filesystem::exists(dir / "dump" / "lm_head.weight.npy"));
    audit::DumpAuditOptions options;
    options.names = hf;
    const auto a = run_audit(model, dir / "dump", options);
    INFO(describe(a));
    CHECK(a.passed());
}

TEST_CASE("a name mapping file with {L} rules; names no rule matches are GGUF names") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F16)));
    test::dump_reference(model, dir / "dump", false, [](const std::string& name) {
        if (name.starts_with("blk.") && name.ends_with(".ffn_down.weight"))
            return "layers." + name.substr(4, name.find('.', 4) - 4) + ".w2";
        return name;
    });
    write_bytes(dir / "names.json", R"({"layers.{L}.w2": "blk.{L}.ffn_down.weight"})");
    auto names = audit::NameMap::from_option((dir / "names.json").string());
    REQUIRE(names.ok());
    CHECK(names->to_gguf("layers.12.w2") == "blk.12.ffn_down.weight");
    CHECK(names->to_gguf("layers.x.w2") == "layers.x.w2");
    audit::DumpAuditOptions options;
    options.names = *names;
    CHECK(run_audit(model, dir / "dump", options).passed());

    write_bytes(dir / "bad.json", R"({"layers.{L}.w2": "blk.0.ffn_down.weight"})");
    CHECK_FALSE(audit::NameMap::from_file(dir / "bad.json").ok());
    write_bytes(dir / "bad2.json", R"(["a", "b"])");
    CHECK_FALSE(audit::NameMap::from_file(dir / "bad2.json").ok());
}

TEST_CASE("an unreadable dump file is reported for its tensor") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    test::dump_reference(model, dir / "dump");
    write_bytes(dir / "dump" / "output_norm.weight.npy", "not numpy");
    const auto a = run_audit(model, dir / "dump");
    CHECK_FALSE(a.passed());
    REQUIRE(a.count(TensorStatus::unreadable) == 1);
    for (const auto& t : a.tensors)
        if (t.status == TensorStatus::unreadable) CHECK(t.problem.find("NUMPY") != std::string::npos);
}

namespace {

std::string npy(const std::string& descr, const std::string& shape, bool fortran, const std::string& data) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header.size() & 0xFF);
    out += static_cast<char>(header.size() >> 8);
    return out + header + data;
}

std::string be_f32(std::initializer_list<float> values) {
    std::string s;
    for (const float v : values) {
        std::byte b[4];
        store<float>(b, v, ByteOrder::big);
        s.append(reinterpret_cast<const char*>(b), 4);
    }
    return s;
}

}  // namespace

TEST_CASE("npy reader: big-endian float32, Fortran order, float64; rejects integers and short data") {
    const test::TempDir dir;
    write_bytes(dir / "be.npy", npy(">f4", "(2, 3)", false, be_f32({1, 2, 3, 4, 5, 6})));
    auto be = audit::read_npy(dir / "be.npy");
    REQUIRE(be.ok());
    CHECK(be->shape == std::vector<std::uint64_t>{2, 3});
    CHECK(be->values == std::vector<float>{1, 2, 3, 4, 5, 6});

    // Fortran order: column by column. The C-order array [[1, 2, 3], [4, 5, 6]] is stored 1 4 2 5 3 6.
    write_bytes(dir / "f.npy", npy(">f4", "(2, 3)", true, be_f32({1, 4, 2, 5, 3, 6})));
    auto f = audit::read_npy(dir / "f.npy");
    REQUIRE(f.ok());
    CHECK(f->values == std::vector<float>{1, 2, 3, 4, 5, 6});

    std::string f8(16, '\0');
    const double d[2] = {0.5, -3.0};
    std::memcpy(f8.data(), d, 16);
    write_bytes(dir / "d.npy", npy("<f8", "(2,)", false, f8));
    auto dd = audit::read_npy(dir / "d.npy");
    REQUIRE(dd.ok());
    CHECK(dd->values == std::vector<float>{0.5f, -3.0f});

    write_bytes(dir / "i.npy", npy("<i4", "(1,)", false, std::string(4, '\0')));
    auto i = audit::read_npy(dir / "i.npy");
    REQUIRE_FALSE(i.ok());
    CHECK(i.error().message.find("not float16") != std::string::npos);
    write_bytes(dir / "short.npy", npy("<f4", "(4,)", false, std::string(8, '\0')));
    CHECK_FALSE(audit::read_npy(dir / "short.npy").ok());
}
