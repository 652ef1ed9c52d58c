// Each diagnosis of `audit --dump`, proven on a dump corrupted in exactly that way by the test itself
// (never by the code under test), and a corruption no hypothesis explains left undiagnosed.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include "fixture.hpp"
#include "gguf/audit/tensor_audit.hpp"
#include "gguf/blocks/iq_grids.hpp"
#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"

using namespace gguf;
using audit::TensorStatus;

namespace {

struct Audited {
    audit::TensorAudit result;
    const audit::Diagnosis* find(std::string_view kind) const {
        for (const auto& d : result.diagnoses)
            if (d.kind == kind) return &d;
        return nullptr;
    }
    std::string first_kind() const { return result.diagnoses.empty() ? "" : result.diagnoses.front().kind; }
    std::string evidence(std::string_view kind, std::string_view name) const {
        if (const auto* d = find(kind))
            for (const auto& e : d->evidence)
                if (e.name == name) return e.value;
        return "";
    }
    std::string describe() const {
        std::string s = std::string(audit::status_name(result.status)) + ":";
        for (const auto& d : result.diagnoses) s += " [" + d.kind + "] " + d.message;
        return s + " " + result.problem;
    }
};

Audited audit_values(const Container& model, std::string_view tensor, std::vector<float> values,
                     std::vector<std::uint64_t> shape = {}, audit::TensorAuditOptions options = {}, bool float16 = false) {
    const TensorInfo* info = model.find_tensor(tensor);
    REQUIRE(info != nullptr);
    audit::NpyArray theirs;
    theirs.shape = shape.empty() ? test::numpy_shape(*info) : std::move(shape);
    theirs.dtype = float16 ? "<f2" : "<f4";
    if (float16)
        for (float& v : values) v = fp16_to_fp32(fp32_to_fp16(v));
    theirs.values = std::move(values);
    if (options.threads == 0) options.threads = 2;
    Audited a{audit::audit_tensor(model, *info, theirs, options)};
    INFO(a.describe());
    return a;
}

struct Model {
    test::TempDir dir;
    std::filesystem::path path;
    Container model;
    // `quantized`: the matrices encoded as `type` (the others stay F32); every matrix when empty.
    Model(std::string_view preset, std::uint32_t type, std::set<std::string> quantized = {}, ByteOrder order = ByteOrder::little)
        : path(test::write_model(dir, preset, type, order, quantized)), model(test::open_model(path)) {}
    std::vector<float> reference(std::string_view name) const { return test::reference_values(model, name); }
    const TensorInfo& info(std::string_view name) const { return *model.find_tensor(name); }
};

// Decodes `n_values` of `type` from the file's bytes starting `shift` bytes after `tensor`'s start, as a
// loader with that offset would (the reference decoder reads the bytes; the shift is the bug).
std::vector<float> decode_shifted(const Container& model, std::string_view tensor, std::int64_t shift, std::uint32_t type,
                                  std::uint64_t n_values) {
    const TensorInfo& t = *model.find_tensor(tensor);
    const TypeInfo* ti = find_type(type);
    const auto file = model.shards()[t.shard].bytes;
    const std::uint64_t n_blocks = n_values / ti->block_size;
    const auto start = static_cast<std::uint64_t>(static_cast<std::int64_t>(t.file_offset) + shift);
    REQUIRE(start + n_blocks * ti->type_size <= file.size());
    std::vector<float> out(n_blocks * ti->block_size);
    dequant::decode_blocks(type, file.subspan(start, n_blocks * ti->type_size), ByteOrder::little, out);
    return out;
}

}  // namespace

TEST_CASE("a dump equal to the reference is a match without diagnosis, for float32 and float16 dumps") {
    const Model m("tiny-llama", test::type_id(TypeId::Q4_K), {"blk.0.attn_q.weight"});
    for (const bool f16 : {false, true}) {
        const auto a = audit_values(m.model, "blk.0.attn_q.weight", m.reference("blk.0.attn_q.weight"), {}, {}, f16);
        CHECK(a.result.status == TensorStatus::match);
        CHECK(a.result.diagnoses.empty());
    }
}

TEST_CASE("transposed: W^T with the transposed shape, and W^T in column-major order with W's shape") {
    const Model m("tiny-llama", test::type_id(TypeId::F32));
    const std::string name = "blk.0.ffn_up.weight";  // ne = [256, 512]: 512 rows of 256
    const auto r = m.reference(name);
    const std::uint64_t cols = m.info(name).ne[0], rows = m.info(name).ne[1];
    std::vector<float> t(r.size());
    for (std::uint64_t i = 0; i < rows; ++i)
        for (std::uint64_t j = 0; j < cols; ++j) t[j * rows + i] = r[i * cols + j];
    const auto a = audit_values(m.model, name, t, {cols, rows});
    CHECK(a.result.status == TensorStatus::mismatch);
    CHECK(a.first_kind() == "transposed");
    CHECK(a.evidence("transposed", "your_shape") == "(256, 512)");
    const auto b = audit_values(m.model, name, t, {rows, cols});
    CHECK(b.first_kind() == "transposed");
    CHECK(b.find("transposed")->message.find("column-major") != std::string::npos);
}

TEST_CASE("shape: the right values in memory order under a transposed shape") {
    const Model m("tiny-llama", test::type_id(TypeId::F32));
    const std::string name = "blk.1.ffn_down.weight";
    const auto& t = m.info(name);
    const auto a = audit_values(m.model, name, m.reference(name), {t.ne[0], t.ne[1]});
    CHECK(a.result.status == TensorStatus::mismatch);
    CHECK(a.first_kind() == "shape");
}

TEST_CASE("scaled: a tensor 20x too small reports the factor") {
    const Model m("tiny-llama", test::type_id(TypeId::Q8_0), {"blk.1.attn_v.weight"});
    auto v = m.reference("blk.1.attn_v.weight");
    for (float& x : v) x *= 0.05f;
    const auto a = audit_values(m.model, "blk.1.attn_v.weight", v);
    CHECK(a.first_kind() == "scaled");
    CHECK(std::stod(a.evidence("scaled", "factor")) == doctest::Approx(0.05).epsilon(1e-6));
    CHECK(a.find("scaled")->message.find("20x too small") != std::string::npos);
}

TEST_CASE("scaled: an embedding multiplied by sqrt(n_embd) is recognised as that constant") {
    const Model m("tiny-qwen2", test::type_id(TypeId::F16));
    auto v = m.reference("token_embd.weight");
    for (float& x : v) x *= 16.0f;  // n_embd = 256
    const auto a = audit_values(m.model, "token_embd.weight", v);
    CHECK(a.first_kind() == "scaled");
    CHECK(a.evidence("scaled", "factor_is") == "sqrt(n_embd)");
}

TEST_CASE("element_offset: values shifted by k elements, for a float tensor and whole Q8_0 blocks") {
    {
        const Model m("tiny-llama", test::type_id(TypeId::F32));
        auto r = m.reference("blk.0.attn_k.weight");
        std::vector<float> v(r.size(), 0.0f);
        std::copy(r.begin() + 5, r.end(), v.begin());  // reading started 5 elements late
        const auto a = audit_values(m.model, "blk.0.attn_k.weight", v);
        CHECK(a.first_kind() == "element_offset");
        CHECK(a.evidence("element_offset", "k_elements") == "5");
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::Q8_0), {"blk.1.ffn_gate.weight"});
        auto r = m.reference("blk.1.ffn_gate.weight");
        std::vector<float> v(r.size(), 0.0f);
        std::copy(r.begin(), r.end() - 96, v.begin() + 96);  // three blocks too early
        const auto a = audit_values(m.model, "blk.1.ffn_gate.weight", v);
        CHECK(a.first_kind() == "element_offset");
        CHECK(a.evidence("element_offset", "k_elements") == "-96");
        CHECK(a.find("element_offset")->message.find("3 blocks = 102 bytes") != std::string::npos);
    }
}

TEST_CASE("byte_offset: float32 read 2 bytes late, and a Q4_K tensor read without the data section's start") {
    {
        const Model m("tiny-llama", test::type_id(TypeId::F32));
        const std::string name = "blk.0.attn_output.weight";
        const auto n = m.reference(name).size();
        const auto file = m.model.shards()[0].bytes;
        std::vector<float> v(n);
        std::memcpy(v.data(), file.data() + m.info(name).file_offset + 2, 4 * n);  // little-endian host
        const auto a = audit_values(m.model, name, v);
        CHECK(a.first_kind() == "byte_offset");
        CHECK(a.evidence("byte_offset", "k_bytes") == "2");
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::Q4_K), {"blk.1.ffn_up.weight"});
        const std::string name = "blk.1.ffn_up.weight";
        const auto& t = m.info(name);
        const auto shift = static_cast<std::int64_t>(t.offset) - static_cast<std::int64_t>(t.file_offset);
        const auto v = decode_shifted(m.model, name, shift, t.type, t.n_elements());
        const auto a = audit_values(m.model, name, v);
        REQUIRE(a.find("byte_offset") != nullptr);
        CHECK(a.evidence("byte_offset", "k_bytes") == std::to_string(shift));
        CHECK(a.find("byte_offset")->message.find("without adding the data section's start") != std::string::npos);
    }
}

TEST_CASE("byte_offset: another tensor's data read instead") {
    const Model m("tiny-llama", test::type_id(TypeId::Q8_0), {"blk.0.ffn_gate.weight", "blk.0.ffn_up.weight"});
    const auto& wanted = m.info("blk.0.ffn_gate.weight");
    const auto& other = m.info("blk.0.ffn_up.weight");
    REQUIRE(wanted.type == other.type);
    const auto shift = static_cast<std::int64_t>(other.file_offset) - static_cast<std::int64_t>(wanted.file_offset);
    const auto v = decode_shifted(m.model, "blk.0.ffn_gate.weight", shift, wanted.type, wanted.n_elements());
    const auto a = audit_values(m.model, "blk.0.ffn_gate.weight", v);
    REQUIRE(a.find("byte_offset") != nullptr);
    CHECK(a.find("byte_offset")->message.find("tensor blk.0.ffn_up.weight starts") != std::string::npos);
}

TEST_CASE("byte_swapped: F16 values with their two bytes exchanged, and Q8_0 blocks with swapped scales") {
    {
        const Model m("tiny-llama", test::type_id(TypeId::F16));
        const auto bytes = test::tensor_bytes(m.model, "blk.0.attn_q.weight");
        std::vector<float> v(bytes.size() / 2);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = fp16_to_fp32(load<std::uint16_t>(bytes.data() + 2 * i, ByteOrder::big));
        const auto a = audit_values(m.model, "blk.0.attn_q.weight", v);
        CHECK(a.first_kind() == "byte_swapped");
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::Q8_0), {"blk.1.attn_q.weight"});
        const auto bytes = test::tensor_bytes(m.model, "blk.1.attn_q.weight");
        std::vector<std::byte> swapped(bytes.begin(), bytes.end());
        for (std::size_t b = 0; b < swapped.size(); b += 34) std::swap(swapped[b], swapped[b + 1]);  // d: f16 at 0
        std::vector<float> v(swapped.size() / 34 * 32);
        dequant::decode_blocks(test::type_id(TypeId::Q8_0), swapped, ByteOrder::little, v);
        const auto a = audit_values(m.model, "blk.1.attn_q.weight", v);
        CHECK(a.first_kind() == "byte_swapped");
    }
}

TEST_CASE("wrong_type: F16 read as BF16, F32 read as F16, Q4_0 read as Q4_1") {
    {
        const Model m("tiny-llama", test::type_id(TypeId::F16));
        const auto bytes = test::tensor_bytes(m.model, "blk.0.ffn_down.weight");
        std::vector<float> v(bytes.size() / 2);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = bf16_to_fp32(load<std::uint16_t>(bytes.data() + 2 * i, ByteOrder::little));
        const auto a = audit_values(m.model, "blk.0.ffn_down.weight", v);
        CHECK(a.first_kind() == "wrong_type");
        CHECK(a.evidence("wrong_type", "read_as") == "BF16");
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::F32));
        const auto bytes = test::tensor_bytes(m.model, "blk.0.attn_v.weight");
        std::vector<float> v(bytes.size() / 4);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = fp16_to_fp32(load<std::uint16_t>(bytes.data() + 2 * i, ByteOrder::little));
        const auto a = audit_values(m.model, "blk.0.attn_v.weight", v);
        CHECK(a.first_kind() == "wrong_type");
        CHECK(a.evidence("wrong_type", "read_as") == "F16");
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::Q4_0), {"blk.0.ffn_up.weight"});
        const auto& t = m.info("blk.0.ffn_up.weight");
        const auto v = decode_shifted(m.model, "blk.0.ffn_up.weight", 0, test::type_id(TypeId::Q4_1), t.n_elements());
        const auto a = audit_values(m.model, "blk.0.ffn_up.weight", v);
        CHECK(a.first_kind() == "wrong_type");
        CHECK(a.evidence("wrong_type", "read_as") == "Q4_1");
    }
}

TEST_CASE("wrong_type: F16 bits read as BF16 give tiny values; only that reading fits them, no tiny factor") {
    // Values around 1e-13, far below the reference's absolute tolerance: each hypothesis must reproduce
    // them at their own scale, so neither "scaled by 1e-14" nor another type's tiny numbers fit.
    const Model m("tiny-llama", test::type_id(TypeId::F16));
    const auto bytes = test::tensor_bytes(m.model, "blk.0.ffn_down.weight");
    std::vector<float> v(bytes.size() / 2);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = bf16_to_fp32(load<std::uint16_t>(bytes.data() + 2 * i, ByteOrder::little));
    const auto a = audit_values(m.model, "blk.0.ffn_down.weight", v);
    REQUIRE(a.result.diagnoses.size() == 1);
    CHECK(a.first_kind() == "wrong_type");
    CHECK(a.evidence("wrong_type", "read_as") == "BF16");
}

namespace {

// Q4_K/Q5_K's 12 scale bytes <-> eight (scale, min) pairs of 6 bits, packed as ggml packs them.
void unpack_scales(const std::uint8_t* s, int scale[8], int min[8]) {
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            scale[j] = s[j] & 63;
            min[j] = s[j + 4] & 63;
        } else {
            scale[j] = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
            min[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
        }
    }
}
void pack_scales(const int scale[8], const int min[8], std::uint8_t* s) {
    for (int j = 0; j < 4; ++j) {
        s[j] = static_cast<std::uint8_t>((scale[j] & 63) | ((scale[j + 4] >> 4) << 6));
        s[j + 4] = static_cast<std::uint8_t>((min[j] & 63) | ((min[j + 4] >> 4) << 6));
        s[j + 8] = static_cast<std::uint8_t>((scale[j + 4] & 15) | ((min[j + 4] & 15) << 4));
    }
}

// The values a loader gets when it decodes `name` from these edited blocks with a correct decoder.
std::vector<float> decode_edited(const Container& model, std::string_view name,
                                 const std::function<void(std::uint8_t* block)>& edit) {
    const TensorInfo& t = *model.find_tensor(name);
    const TypeInfo* ti = find_type(t.type);
    const auto bytes = test::tensor_bytes(model, name);
    std::vector<std::byte> edited(bytes.begin(), bytes.end());
    for (std::size_t b = 0; b < edited.size(); b += ti->type_size) edit(reinterpret_cast<std::uint8_t*>(edited.data() + b));
    std::vector<float> v(t.n_elements());
    dequant::decode_blocks(t.type, edited, ByteOrder::little, v);
    return v;
}

}  // namespace

TEST_CASE("kquant_unpacking: Q4_K scales and mins exchanged, and the high bits of sub-blocks 4-7 dropped") {
    const Model m("tiny-llama", test::type_id(TypeId::Q4_K), {"blk.0.attn_output.weight"});
    const std::string name = "blk.0.attn_output.weight";
    const auto swapped = decode_edited(m.model, name, [](std::uint8_t* b) {
        int scale[8], min[8];
        unpack_scales(b + 4, scale, min);
        pack_scales(min, scale, b + 4);
    });
    const auto a = audit_values(m.model, name, swapped);
    CHECK(a.first_kind() == "kquant_unpacking");
    CHECK(a.evidence("kquant_unpacking", "mistake") == "scales_mins_swapped");

    const auto dropped = decode_edited(m.model, name, [](std::uint8_t* b) {
        for (int j = 0; j < 8; ++j) b[4 + j] &= 63;  // the top 2 bits of bytes 0-7 belong to sub-blocks 4-7
    });
    const auto c = audit_values(m.model, name, dropped);
    REQUIRE(c.find("kquant_unpacking") != nullptr);
    CHECK(c.evidence("kquant_unpacking", "mistake") == "high_bits_dropped");
}

TEST_CASE("kquant_unpacking: Q5_K high bits dropped, Q6_K quants used without their -32 offset") {
    {
        const Model m("tiny-llama", test::type_id(TypeId::Q5_K), {"blk.1.ffn_gate.weight"});
        const auto v = decode_edited(m.model, "blk.1.ffn_gate.weight", [](std::uint8_t* b) {
            for (int j = 0; j < 8; ++j) b[4 + j] &= 63;
        });
        const auto a = audit_values(m.model, "blk.1.ffn_gate.weight", v);
        CHECK(a.evidence("kquant_unpacking", "mistake") == "high_bits_dropped");
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::Q6_K), {"blk.0.ffn_up.weight"});
        const std::string name = "blk.0.ffn_up.weight";
        auto v = m.reference(name);
        const auto bytes = test::tensor_bytes(m.model, name);
        // Unsigned quants: every value grows by 32 * d * scale of its 16-value group.
        for (std::size_t b = 0; b < bytes.size() / 210; ++b) {
            const auto* block = reinterpret_cast<const std::uint8_t*>(bytes.data() + 210 * b);
            const float d = fp16_to_fp32(load<std::uint16_t>(block + 208, ByteOrder::little));
            for (int i = 0; i < 256; ++i)
                v[256 * b + i] += 32.0f * d * static_cast<float>(static_cast<std::int8_t>(block[192 + i / 16]));
        }
        const auto a = audit_values(m.model, name, v);
        CHECK(a.first_kind() == "kquant_unpacking");
        CHECK(a.evidence("kquant_unpacking", "mistake") == "no_offset");
    }
}

namespace {

// Whether some kquant_unpacking diagnosis names `mistake` (several mistakes can give the same values).
bool names_mistake(const Audited& a, std::string_view mistake) {
    for (const auto& d : a.result.diagnoses)
        if (d.kind == "kquant_unpacking")
            for (const auto& e : d.evidence)
                if (e.name == "mistake" && e.value == mistake) return true;
    return false;
}

std::uint8_t swap_nibbles(std::uint8_t b) { return static_cast<std::uint8_t>((b >> 4) | (b << 4)); }

}  // namespace

TEST_CASE("kquant_unpacking: Q4_K sub-blocks 4-7 unpacked like 0-3, quants high nibble first, the min added") {
    const Model m("tiny-llama", test::type_id(TypeId::Q4_K), {"blk.1.attn_output.weight"});
    const std::string name = "blk.1.attn_output.weight";
    // Sub-blocks 4-7 given scale = s[j] & 63 and min = s[j+4] & 63 of the stored bytes, then packed
    // properly, so that a correct decoder makes the mistake's values.
    const auto low = decode_edited(m.model, name, [](std::uint8_t* b) {
        int scale[8], min[8];
        unpack_scales(b + 4, scale, min);
        for (int j = 4; j < 8; ++j) {
            scale[j] = b[4 + j] & 63;
            min[j] = b[4 + j + 4] & 63;
        }
        pack_scales(scale, min, b + 4);
    });
    const auto a = audit_values(m.model, name, low);
    CHECK(a.first_kind() == "kquant_unpacking");
    CHECK(names_mistake(a, "low_scale_layout"));

    const auto nibbles = decode_edited(m.model, name, [](std::uint8_t* b) {
        for (int i = 16; i < 144; ++i) b[i] = swap_nibbles(b[i]);
    });
    const auto c = audit_values(m.model, name, nibbles);
    CHECK(c.first_kind() == "kquant_unpacking");
    CHECK(names_mistake(c, "nibbles_swapped"));

    // d*scale*q + dmin*min: each value grows by twice its sub-block's dmin*min.
    auto added = m.reference(name);
    const auto bytes = test::tensor_bytes(m.model, name);
    for (std::size_t blk = 0; blk < bytes.size() / 144; ++blk) {
        const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data() + 144 * blk);
        const float dmin = fp16_to_fp32(load<std::uint16_t>(b + 2, ByteOrder::little));
        int scale[8], min[8];
        unpack_scales(b + 4, scale, min);
        for (int i = 0; i < 256; ++i) added[256 * blk + i] += 2.0f * dmin * static_cast<float>(min[i / 32]);
    }
    const auto e = audit_values(m.model, name, added);
    CHECK(e.first_kind() == "kquant_unpacking");
    CHECK(names_mistake(e, "min_added"));
}

TEST_CASE("kquant_unpacking: Q5_K fifth bit ignored; Q6_K scales read unsigned, ql nibbles exchanged") {
    {
        const Model m("tiny-llama", test::type_id(TypeId::Q5_K), {"blk.0.ffn_down.weight"});
        const auto v = decode_edited(m.model, "blk.0.ffn_down.weight", [](std::uint8_t* b) {
            std::fill(b + 16, b + 48, std::uint8_t{0});  // qh
        });
        const auto a = audit_values(m.model, "blk.0.ffn_down.weight", v);
        CHECK(a.first_kind() == "kquant_unpacking");
        CHECK(names_mistake(a, "fifth_bit_ignored"));
    }
    const Model m("tiny-llama", test::type_id(TypeId::Q6_K), {"blk.1.ffn_gate.weight"});
    const std::string name = "blk.1.ffn_gate.weight";
    {
        // A negative int8 scale s read as the byte s + 256: that group's values times (s + 256) / s.
        auto v = m.reference(name);
        const auto bytes = test::tensor_bytes(m.model, name);
        std::size_t negative = 0;
        for (std::size_t blk = 0; blk < bytes.size() / 210; ++blk) {
            const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data() + 210 * blk);
            for (int i = 0; i < 256; ++i) {
                const int s = static_cast<std::int8_t>(b[192 + i / 16]);
                if (s >= 0) continue;
                negative += i % 16 == 0;
                v[256 * blk + i] *= static_cast<float>(s + 256) / static_cast<float>(s);
            }
        }
        REQUIRE(negative > 0);
        const auto a = audit_values(m.model, name, v);
        CHECK(a.first_kind() == "kquant_unpacking");
        CHECK(names_mistake(a, "unsigned_scales"));
    }
    {
        const auto v = decode_edited(m.model, name, [](std::uint8_t* b) {
            for (int i = 0; i < 128; ++i) b[i] = swap_nibbles(b[i]);  // ql
        });
        const auto a = audit_values(m.model, name, v);
        CHECK(a.first_kind() == "kquant_unpacking");
        CHECK(names_mistake(a, "ql_nibbles_swapped"));
    }
}

namespace {

// Whether some iquant_unpacking diagnosis names `mistake`.
bool names_iquant_mistake(const Audited& a, std::string_view mistake) {
    for (const auto& d : a.result.diagnoses)
        if (d.kind == "iquant_unpacking")
            for (const auto& e : d.evidence)
                if (e.name == "mistake" && e.value == mistake) return true;
    return false;
}

// Byte j of a grid entry (value j of its group).
int grid_value(std::uint64_t entry, int j) { return static_cast<int>((entry >> (8 * j)) & 0xFF); }

}  // namespace

TEST_CASE("iquant_unpacking: sign bits never applied (IQ2_S), scale nibbles swapped (IQ2_XS, IQ3_S)") {
    {
        const Model m("tiny-llama", test::type_id(TypeId::IQ2_S), {"blk.0.ffn_up.weight"});
        // Sign bytes cleared: what a loader that never applies the signs gets.
        const auto v = decode_edited(m.model, "blk.0.ffn_up.weight", [](std::uint8_t* b) { std::fill(b + 34, b + 66, std::uint8_t{0}); });
        const auto a = audit_values(m.model, "blk.0.ffn_up.weight", v);
        CHECK(a.first_kind() == "iquant_unpacking");
        CHECK(names_iquant_mistake(a, "signs_ignored"));
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::IQ2_XS), {"blk.1.attn_output.weight"});
        const auto v = decode_edited(m.model, "blk.1.attn_output.weight", [](std::uint8_t* b) {
            for (int k = 0; k < 8; ++k) b[66 + k] = swap_nibbles(b[66 + k]);
        });
        const auto a = audit_values(m.model, "blk.1.attn_output.weight", v);
        CHECK(a.first_kind() == "iquant_unpacking");
        CHECK(names_iquant_mistake(a, "scale_nibbles_swapped"));
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::IQ3_S), {"blk.0.ffn_gate.weight"});
        const auto v = decode_edited(m.model, "blk.0.ffn_gate.weight", [](std::uint8_t* b) {
            for (int k = 0; k < 4; ++k) b[106 + k] = swap_nibbles(b[106 + k]);
        });
        const auto a = audit_values(m.model, "blk.0.ffn_gate.weight", v);
        CHECK(a.first_kind() == "iquant_unpacking");
        CHECK(names_iquant_mistake(a, "scale_nibbles_swapped"));
    }
}

TEST_CASE("iquant_unpacking: IQ1 shift signs ignored (IQ1_S, IQ1_M)") {
    {
        const Model m("tiny-llama", test::type_id(TypeId::IQ1_S), {"blk.1.ffn_down.weight"});
        const auto v = decode_edited(m.model, "blk.1.ffn_down.weight", [](std::uint8_t* b) {
            for (int k = 0; k < 8; ++k) b[35 + 2 * k] &= 0x7F;  // bit 15 of each qh word
        });
        const auto a = audit_values(m.model, "blk.1.ffn_down.weight", v);
        CHECK(a.first_kind() == "iquant_unpacking");
        CHECK(names_iquant_mistake(a, "delta_sign_ignored"));
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::IQ1_M), {"blk.0.attn_q.weight"});
        const auto v = decode_edited(m.model, "blk.0.attn_q.weight", [](std::uint8_t* b) {
            for (int i = 32; i < 48; ++i) b[i] &= 0x77;  // bits 3 and 7 of each qh byte
        });
        const auto a = audit_values(m.model, "blk.0.attn_q.weight", v);
        CHECK(a.first_kind() == "iquant_unpacking");
        CHECK(names_iquant_mistake(a, "delta_sign_ignored"));
    }
}

TEST_CASE("iquant_unpacking: another type's grid (IQ2_XXS read with IQ2_XS's, IQ3_XXS with IQ3_S's), sign parity dropped") {
    // Every grid byte is non-zero, so each value of the mistaken reading is the right value times the
    // other grid's byte over this grid's, at the same index (from the tensor's own index bytes).
    {
        const Model m("tiny-llama", test::type_id(TypeId::IQ2_XXS), {"blk.1.ffn_up.weight"});
        const std::string name = "blk.1.ffn_up.weight";
        auto v = m.reference(name);
        const auto bytes = test::tensor_bytes(m.model, name);
        for (std::size_t blk = 0; blk < bytes.size() / 66; ++blk) {
            const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data() + 66 * blk);
            for (int g = 0; g < 32; ++g) {
                const int index = b[2 + 8 * (g / 4) + g % 4];
                for (int j = 0; j < 8; ++j) {
                    float& x = v[256 * blk + 8 * g + j];
                    x = x * static_cast<float>(grid_value(blocks::host_grids::kIQ2XS[index], j)) /
                        static_cast<float>(grid_value(blocks::host_grids::kIQ2XXS[index], j));
                }
            }
        }
        const auto a = audit_values(m.model, name, v);
        CHECK(a.first_kind() == "iquant_unpacking");
        CHECK(names_iquant_mistake(a, "wrong_grid"));
    }
    {
        const Model m("tiny-llama", test::type_id(TypeId::IQ3_XXS), {"blk.0.attn_v.weight"});
        const std::string name = "blk.0.attn_v.weight";
        auto v = m.reference(name);
        const auto bytes = test::tensor_bytes(m.model, name);
        for (std::size_t blk = 0; blk < bytes.size() / 98; ++blk) {
            const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data() + 98 * blk);
            for (int half = 0; half < 64; ++half) {  // a grid entry of 4 values
                const int index = b[2 + half];
                for (int j = 0; j < 4; ++j) {
                    float& x = v[256 * blk + 4 * half + j];
                    x = x * static_cast<float>(grid_value(blocks::host_grids::kIQ3S[index], j)) /
                        static_cast<float>(grid_value(blocks::host_grids::kIQ3XXS[index], j));
                }
            }
        }
        const auto a = audit_values(m.model, name, v);
        CHECK(a.first_kind() == "iquant_unpacking");
        CHECK(names_iquant_mistake(a, "wrong_grid"));
    }
    {
        // The eighth value of each group comes out positive where the parity made it negative.
        const Model m("tiny-llama", test::type_id(TypeId::IQ2_XXS), {"blk.0.ffn_gate.weight"});
        auto v = m.reference("blk.0.ffn_gate.weight");
        for (std::size_t i = 7; i < v.size(); i += 8) v[i] = std::fabs(v[i]);
        const auto a = audit_values(m.model, "blk.0.ffn_gate.weight", v);
        CHECK(a.first_kind() == "iquant_unpacking");
        CHECK(names_iquant_mistake(a, "sign_parity_dropped"));
    }
}

namespace {

// convert_hf_to_gguf.py's permute: reshape(n_head, 2, d/2, n_in).swapaxes(1, 2), so GGUF row
// h*d + 2i + j holds Hugging Face row h*d + j*d/2 + i. Returns the rows in Hugging Face's order.
std::vector<float> to_hf_order(std::span<const float> gguf_rows, std::uint64_t row_length, std::uint64_t head_dim) {
    std::vector<float> hf(gguf_rows.size());
    const std::uint64_t rows = gguf_rows.size() / row_length;
    for (std::uint64_t h = 0; h < rows / head_dim; ++h)
        for (std::uint64_t i = 0; i < head_dim / 2; ++i)
            for (std::uint64_t j = 0; j < 2; ++j)
                std::copy_n(gguf_rows.begin() + static_cast<std::ptrdiff_t>((h * head_dim + 2 * i + j) * row_length), row_length,
                            hf.begin() + static_cast<std::ptrdiff_t>((h * head_dim + j * head_dim / 2 + i) * row_length));
    return hf;
}
std::vector<float> to_gguf_order(std::span<const float> hf_rows, std::uint64_t row_length, std::uint64_t head_dim) {
    std::vector<float> gguf(hf_rows.size());
    const std::uint64_t rows = hf_rows.size() / row_length;
    for (std::uint64_t h = 0; h < rows / head_dim; ++h)
        for (std::uint64_t i = 0; i < head_dim / 2; ++i)
            for (std::uint64_t j = 0; j < 2; ++j)
                std::copy_n(hf_rows.begin() + static_cast<std::ptrdiff_t>((h * head_dim + j * head_dim / 2 + i) * row_length),
                            row_length, gguf.begin() + static_cast<std::ptrdiff_t>((h * head_dim + 2 * i + j) * row_length));
    return gguf;
}

}  // namespace

TEST_CASE("qk_rope_layout: llama Q rows in Hugging Face order, K rows permuted twice; --qk-order hf accepts HF rows") {
    const Model m("tiny-llama", test::type_id(TypeId::Q8_0), {"blk.0.attn_q.weight", "blk.1.attn_k.weight"});  // head_dim 32
    const auto q = m.reference("blk.0.attn_q.weight");
    const auto hf_q = to_hf_order(q, 256, 32);
    const auto a = audit_values(m.model, "blk.0.attn_q.weight", hf_q);
    CHECK(a.first_kind() == "qk_rope_layout");
    CHECK(a.find("qk_rope_layout")->message.find("Hugging Face's order") != std::string::npos);
    CHECK(a.find("rows_permuted") == nullptr);  // the specific permutation, not the generic one

    const auto k = m.reference("blk.1.attn_k.weight");
    const auto b = audit_values(m.model, "blk.1.attn_k.weight", to_gguf_order(k, 256, 32));
    CHECK(b.first_kind() == "qk_rope_layout");
    CHECK(b.find("qk_rope_layout")->message.find("permuted twice") != std::string::npos);

    audit::TensorAuditOptions hf;
    hf.qk_order = audit::QkOrder::hf;
    CHECK(audit_values(m.model, "blk.0.attn_q.weight", hf_q, {}, hf).result.status == TensorStatus::match);
    const auto c = audit_values(m.model, "blk.0.attn_q.weight", q, {}, hf);
    CHECK(c.first_kind() == "qk_rope_layout");
    CHECK(c.find("qk_rope_layout")->message.find("GGUF's order") != std::string::npos);
}

TEST_CASE("qk_rope_layout: a NeoX model (qwen2) whose Q rows and bias were permuted as for llama") {
    const Model m("tiny-qwen2", test::type_id(TypeId::F16));  // head_dim 64
    const auto q = m.reference("blk.0.attn_q.weight");
    const auto a = audit_values(m.model, "blk.0.attn_q.weight", to_gguf_order(q, 256, 64));
    CHECK(a.first_kind() == "qk_rope_layout");
    CHECK(a.find("qk_rope_layout")->message.find("NeoX") != std::string::npos);
    const auto bias = m.reference("blk.0.attn_q.bias");
    const auto b = audit_values(m.model, "blk.0.attn_q.bias", to_gguf_order(bias, 1, 64));
    CHECK(b.first_kind() == "qk_rope_layout");
    // And an HF-order engine on a NeoX model needs no reordering at all.
    audit::TensorAuditOptions hf;
    hf.qk_order = audit::QkOrder::hf;
    CHECK(audit_values(m.model, "blk.0.attn_q.weight", q, {}, hf).result.status == TensorStatus::match);
}

TEST_CASE("rows_permuted: two rows exchanged, and every row in reverse order") {
    const Model m("tiny-llama", test::type_id(TypeId::F32));
    const std::string name = "blk.0.ffn_gate.weight";
    auto v = m.reference(name);
    std::swap_ranges(v.begin() + 3 * 256, v.begin() + 4 * 256, v.begin() + 7 * 256);
    const auto a = audit_values(m.model, name, v);
    CHECK(a.first_kind() == "rows_permuted");
    CHECK(a.evidence("rows_permuted", "displaced_rows") == "2");
    CHECK(a.evidence("rows_permuted", "example") == "your row 3 is reference row 7");

    const auto r = m.reference("blk.1.attn_output.weight");
    std::vector<float> reversed(r.size());
    for (std::size_t row = 0; row < 256; ++row)
        std::copy_n(r.begin() + static_cast<std::ptrdiff_t>(row * 256), 256, reversed.begin() + static_cast<std::ptrdiff_t>((255 - row) * 256));
    const auto b = audit_values(m.model, "blk.1.attn_output.weight", reversed);
    CHECK(b.first_kind() == "rows_permuted");
    CHECK(b.find("rows_permuted")->message.find("reverse order") != std::string::npos);
}

TEST_CASE("prefix_only: the first N values right, the rest never written") {
    const Model m("tiny-llama", test::type_id(TypeId::Q4_K), {"blk.1.ffn_down.weight"});
    auto v = m.reference("blk.1.ffn_down.weight");
    std::fill(v.begin() + 4096, v.end(), 0.0f);
    const auto a = audit_values(m.model, "blk.1.ffn_down.weight", v);
    CHECK(a.first_kind() == "prefix_only");
    CHECK(a.evidence("prefix_only", "first_wrong_index") == "4096");
    CHECK(a.evidence("prefix_only", "right_bytes_in_file") == "2304");  // 16 Q4_K blocks of 144 bytes
    CHECK(a.find("prefix_only")->message.find("all zero") != std::string::npos);
}

TEST_CASE("vocab_padding: padding rows dropped, zeroed, or extra rows added") {
    const Model m("tiny-qwen2", test::type_id(TypeId::Q8_0), {"token_embd.weight"});  // 512 rows, 13 of them [PAD] tokens
    const auto r = m.reference("token_embd.weight");
    const std::vector<float> dropped(r.begin(), r.begin() + 499 * 256);
    const auto a = audit_values(m.model, "token_embd.weight", dropped, {499, 256});
    CHECK(a.first_kind() == "vocab_padding");
    CHECK(a.find("vocab_padding")->message.find("13 padding rows") != std::string::npos);

    auto zeroed = r;
    std::fill(zeroed.begin() + 499 * 256, zeroed.end(), 0.0f);
    const auto b = audit_values(m.model, "token_embd.weight", zeroed);
    CHECK(b.first_kind() == "vocab_padding");
    CHECK(b.find("vocab_padding")->message.find("all zero") != std::string::npos);

    auto padded = r;
    padded.resize(576 * 256, 0.0f);
    const auto c = audit_values(m.model, "token_embd.weight", padded, {576, 256});
    CHECK(c.first_kind() == "vocab_padding");
    CHECK(c.evidence("vocab_padding", "your_rows") == "576");
}

TEST_CASE("row_count: a matrix with rows dropped at its end, or rows added, the others right") {
    const Model m("tiny-llama", test::type_id(TypeId::F32));
    const std::string name = "blk.0.ffn_down.weight";  // 256 rows of 512 (not the vocabulary's 512 rows)
    const auto r = m.reference(name);
    const std::vector<float> fewer(r.begin(), r.begin() + 200 * 512);
    const auto a = audit_values(m.model, name, fewer, {200, 512});
    REQUIRE(a.first_kind() == "row_count");
    CHECK(a.find("row_count")->message.find("only the first 200 of 256 rows") != std::string::npos);

    auto more = r;
    more.resize(260 * 512, 0.0f);
    const auto b = audit_values(m.model, name, more, {260, 512});
    CHECK(b.first_kind() == "row_count");
    CHECK(b.evidence("row_count", "your_rows") == "260");
}

TEST_CASE("all_zero: a tensor that was never copied") {
    const Model m("tiny-llama", test::type_id(TypeId::F16));
    const auto a = audit_values(m.model, "blk.0.attn_v.weight", std::vector<float>(256 * 64, 0.0f));
    CHECK(a.first_kind() == "all_zero");
}

TEST_CASE("no diagnosis is invented: noise on every value fits no hypothesis") {
    const Model m("tiny-llama", test::type_id(TypeId::Q4_K), {"blk.0.ffn_gate.weight"});
    auto v = m.reference("blk.0.ffn_gate.weight");
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.0f, 1e-3f);
    for (float& x : v) x += noise(rng);
    const auto a = audit_values(m.model, "blk.0.ffn_gate.weight", v);
    CHECK(a.result.status == TensorStatus::mismatch);
    CHECK(a.result.diagnoses.empty());
    CHECK(a.result.tested.size() >= 8);
    CHECK(a.result.agreement.relative_rms > 0);
}

TEST_CASE("a big-endian file is compared in its own byte order, and its byte-swapped reading is named") {
    const Model m("tiny-llama", test::type_id(TypeId::Q8_0), {"blk.0.attn_q.weight"}, ByteOrder::big);
    CHECK(m.model.byte_order() == ByteOrder::big);
    const auto r = m.reference("blk.0.attn_q.weight");
    CHECK(audit_values(m.model, "blk.0.attn_q.weight", r).result.status == TensorStatus::match);
    const auto bytes = test::tensor_bytes(m.model, "blk.0.attn_q.weight");
    std::vector<float> v(r.size());
    dequant::decode_blocks(test::type_id(TypeId::Q8_0), bytes, ByteOrder::little, v);  // the bug: ignoring the byte order
    CHECK(audit_values(m.model, "blk.0.attn_q.weight", v).first_kind() == "byte_swapped");
}

namespace {

// Whether some ternary_unpacking diagnosis names `mistake`.
bool names_ternary_mistake(const Audited& a, std::string_view mistake) {
    for (const auto& d : a.result.diagnoses)
        if (d.kind == "ternary_unpacking")
            for (const auto& e : d.evidence)
                if (e.name == "mistake" && e.value == mistake) return true;
    return false;
}

// The five base-3 digits (most significant first) of a TQ1_0 byte: ggml stores the number
// v = sum digit[k] * 3^(4 - k) as the byte ceil(v * 256 / 243) and reads digit k as
// ((byte * 3^k) mod 256) * 3 / 256 (ggml-quants.c, quantize_row_tq1_0_ref / dequantize_row_tq1_0).
std::array<int, 5> tq1_digits(std::uint8_t byte) {
    std::array<int, 5> d{};
    std::uint8_t q = byte;
    for (int k = 0; k < 5; ++k) {
        d[k] = (q * 3) >> 8;
        q = static_cast<std::uint8_t>(q * 3);
    }
    return d;
}
std::uint8_t tq1_byte(const std::array<int, 5>& digits) {
    int v = 0;
    for (const int d : digits) v = 3 * v + d;
    const auto byte = static_cast<std::uint8_t>((v * 256 + 242) / 243);
    REQUIRE(tq1_digits(byte) == digits);
    return byte;
}

struct Ternary {
    int block_bytes, code_bytes;
};
Ternary ternary_layout(TypeId type) { return type == TypeId::TQ1_0 ? Ternary{54, 52} : Ternary{66, 64}; }

}  // namespace

TEST_CASE("ternary_unpacking: TQ1_0 digits reversed, read as a plain base-3 number, qh values byte after byte") {
    const Model m("tiny-llama", test::type_id(TypeId::TQ1_0), {"blk.0.ffn_up.weight", "blk.1.attn_q.weight"});
    for (const std::string name : {"blk.0.ffn_up.weight", "blk.1.attn_q.weight"}) {
        CAPTURE(name);
        // The right values: no diagnosis.
        const auto clean = audit_values(m.model, name, m.reference(name));
        CHECK(clean.result.status == TensorStatus::match);
        CHECK(clean.result.diagnoses.empty());
        {
            // Each byte rewritten with its digits in reverse order: the correct reading of that is the
            // mistaken reading of the file (in qh, digit 4 is ggml's padding 0, read first).
            const auto v = decode_edited(m.model, name, [](std::uint8_t* b) {
                for (int i = 0; i < 52; ++i) {
                    auto d = tq1_digits(b[i]);
                    std::reverse(d.begin(), d.end());
                    b[i] = tq1_byte(d);
                }
            });
            const auto a = audit_values(m.model, name, v);
            CHECK(a.first_kind() == "ternary_unpacking");
            CHECK(names_ternary_mistake(a, "digits_reversed"));
        }
        {
            // The byte's value in base 3, most significant digit first (bytes 243-255 have a 3 in the
            // top digit, which mod 3 is 0).
            const auto v = decode_edited(m.model, name, [](std::uint8_t* b) {
                for (int i = 0; i < 52; ++i) {
                    std::array<int, 5> d{};
                    for (int k = 4, x = b[i]; k >= 0; --k, x /= 3) d[k] = x % 3;
                    b[i] = tq1_byte(d);
                }
            });
            const auto a = audit_values(m.model, name, v);
            CHECK(a.first_kind() == "ternary_unpacking");
            CHECK(names_ternary_mistake(a, "plain_base3"));
        }
        {
            // ggml: digit n of qh byte j is value 240 + 4n + j; byte after byte puts it at 240 + 4j + n.
            auto v = m.reference(name);
            const auto r = m.reference(name);
            for (std::size_t blk = 0; blk < v.size() / 256; ++blk)
                for (int j = 0; j < 4; ++j)
                    for (int n = 0; n < 4; ++n) v[256 * blk + 240 + 4 * j + n] = r[256 * blk + 240 + 4 * n + j];
            const auto a = audit_values(m.model, name, v);
            CHECK(a.first_kind() == "ternary_unpacking");
            CHECK(names_ternary_mistake(a, "qh_byte_major"));
            CHECK_FALSE(names_ternary_mistake(a, "byte_major"));
        }
    }
}

TEST_CASE("ternary_unpacking: TQ2_0 codes taken from the top bits first") {
    const Model m("tiny-llama", test::type_id(TypeId::TQ2_0), {"blk.0.ffn_gate.weight"});
    const std::string name = "blk.0.ffn_gate.weight";
    const auto clean = audit_values(m.model, name, m.reference(name));
    CHECK(clean.result.status == TensorStatus::match);
    CHECK(clean.result.diagnoses.empty());
    const auto v = decode_edited(m.model, name, [](std::uint8_t* b) {
        for (int i = 0; i < 64; ++i)
            b[i] = static_cast<std::uint8_t>((b[i] & 3) << 6 | (b[i] >> 2 & 3) << 4 | (b[i] >> 4 & 3) << 2 | b[i] >> 6);
    });
    const auto a = audit_values(m.model, name, v);
    CHECK(a.first_kind() == "ternary_unpacking");
    CHECK(names_ternary_mistake(a, "codes_high_first"));
}

TEST_CASE("ternary_unpacking: codes byte after byte, the -1 offset dropped, the scale read first or as bfloat16 (TQ1_0, TQ2_0)") {
    for (const TypeId type : {TypeId::TQ1_0, TypeId::TQ2_0}) {
        CAPTURE(type_label(test::type_id(type)));
        const Model m("tiny-llama", test::type_id(type), {"blk.1.ffn_down.weight"});
        const std::string name = "blk.1.ffn_down.weight";
        const Ternary layout = ternary_layout(type);
        const auto r = m.reference(name);
        const auto bytes = test::tensor_bytes(m.model, name);
        const auto d_bits = [&](std::size_t blk) {
            return load<std::uint16_t>(bytes.data() + blk * layout.block_bytes + layout.code_bytes, ByteOrder::little);
        };
        const auto d_of = [&](std::size_t blk) { return fp16_to_fp32(d_bits(blk)); };
        {
            // Value i of ggml's order, by the byte and code it comes from; byte after byte, code c of
            // byte k is value (codes a byte) * k + c instead.
            auto v = r;
            for (std::size_t blk = 0; blk < r.size() / 256; ++blk) {
                const float* in = r.data() + 256 * blk;
                float* out = v.data() + 256 * blk;
                if (type == TypeId::TQ1_0) {
                    for (int k = 0; k < 48; ++k)
                        for (int n = 0; n < 5; ++n) out[5 * k + n] = in[k < 32 ? 32 * n + k : 160 + 16 * n + (k - 32)];
                    for (int k = 0; k < 4; ++k)
                        for (int n = 0; n < 4; ++n) out[240 + 4 * k + n] = in[240 + 4 * n + k];
                } else {
                    for (int k = 0; k < 64; ++k)
                        for (int l = 0; l < 4; ++l) out[4 * k + l] = in[128 * (k / 32) + 32 * l + k % 32];
                }
            }
            const auto a = audit_values(m.model, name, v);
            CHECK(a.first_kind() == "ternary_unpacking");
            CHECK(names_ternary_mistake(a, "byte_major"));
        }
        {
            // t * d instead of (t - 1) * d: every value d larger.
            auto v = r;
            for (std::size_t i = 0; i < v.size(); ++i) v[i] += d_of(i / 256);
            const auto a = audit_values(m.model, name, v);
            CHECK(a.first_kind() == "ternary_unpacking");
            CHECK(names_ternary_mistake(a, "offset_dropped"));
        }
        {
            // d from the block's first two bytes, the codes from byte 2 on: the block rotated left by 2.
            const auto v = decode_edited(m.model, name, [&](std::uint8_t* b) {
                std::rotate(b, b + 2, b + layout.block_bytes);
            });
            const auto a = audit_values(m.model, name, v);
            CHECK(a.first_kind() == "ternary_unpacking");
            CHECK(names_ternary_mistake(a, "scale_first"));
        }
        {
            // The f16 bits of d read as bfloat16: each value's digit (value / d, exactly -1, 0 or 1) times that.
            auto v = r;
            for (std::size_t i = 0; i < v.size(); ++i) {
                const float d = d_of(i / 256);
                const float digit = d == 0.0f ? 0.0f : std::round(r[i] / d);
                v[i] = digit * bf16_to_fp32(d_bits(i / 256));
            }
            const auto a = audit_values(m.model, name, v);
            CHECK(a.first_kind() == "ternary_unpacking");
            CHECK(names_ternary_mistake(a, "scale_as_bf16"));
        }
    }
}
