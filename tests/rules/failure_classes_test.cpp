// Each failure class from the users' stories, built from a clean fixture on the fly, must be caught
// with its exact code: the set of codes at warning level or above is asserted, so a rule that starts
// firing on the wrong tensor (or stops firing) fails here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "fixture.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/rules/codes.hpp"
#include "gguf/types.hpp"

using namespace gguf;
using namespace gguf::test;
using Codes = std::set<std::string>;

namespace {

constexpr auto F16 = static_cast<std::uint32_t>(TypeId::F16);
constexpr auto BF16 = static_cast<std::uint32_t>(TypeId::BF16);
constexpr auto Q8_0 = static_cast<std::uint32_t>(TypeId::Q8_0);
constexpr auto Q4_K = static_cast<std::uint32_t>(TypeId::Q4_K);

Writer llama(std::string_view mix = "f32", std::uint32_t layers = 6) {
    auto c = config("tiny-llama", layers);
    REQUIRE(samples::apply_mix(c, mix).ok());
    return build(c);
}

void set_u16(WriterTensor& t, std::uint64_t byte, std::uint16_t value) { std::memcpy(t.data.data() + byte, &value, 2); }

}  // namespace

TEST_CASE("the healthy fixtures behind the failure classes are clean") {
    for (const char* mix : {"f32", "f16", "bf16"}) {
        const Outcome o = check(llama(mix));
        CHECK_MESSAGE(o.codes().empty(), mix << "\n" << o.describe());
    }
}

TEST_CASE("a tensor offset pointing into another tensor's data is an overlap, and the norm reads matrix data") {
    auto file = serialize(llama("f32"));
    const auto q_offset_field = offset_field_position(file, "blk.1.attn_q.weight");
    std::uint64_t q_offset;
    std::memcpy(&q_offset, file.data() + q_offset_field, 8);
    write_u64(file, offset_field_position(file, "blk.1.attn_norm.weight"), q_offset);
    const Outcome o = check_bytes(file);
    CHECK_MESSAGE((o.codes() == Codes{"GD-S003", "GD-S010", "GD-W007"}), o.describe());
    CHECK(o.find("GD-W007", "blk.1.attn_norm.weight"));
}

TEST_CASE("a tensor offset shifted off the alignment is reported as misaligned") {
    auto file = serialize(llama("f32"));
    const auto field = offset_field_position(file, "blk.2.ffn_up.weight");
    std::uint64_t offset;
    std::memcpy(&offset, file.data() + field, 8);
    write_u64(file, field, offset + 4);
    const Outcome o = check_bytes(file);
    CHECK_MESSAGE(o.codes().contains("GD-S002"), o.describe());
    CHECK_MESSAGE(o.codes().contains("GD-S003"), o.describe());  // it now reaches into the next tensor
}

TEST_CASE("F16 bytes typed BF16 are reported as another float format") {
    Writer w = llama("f16");
    edit_tensor(w, "blk.2.ffn_up.weight", [](WriterTensor& t) { t.type = BF16; });
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W005"}), o.describe());
    const auto* f = o.find("GD-W005", "blk.2.ffn_up.weight");
    REQUIRE(f);
    CHECK(f->message.find("F16 data") != std::string::npos);
}

TEST_CASE("BF16 bytes typed F16 are reported as another float format") {
    Writer w = llama("bf16");
    edit_tensor(w, "blk.3.attn_v.weight", [](WriterTensor& t) { t.type = F16; });
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W005"}), o.describe());
    const auto* f = o.find("GD-W005", "blk.3.attn_v.weight");
    REQUIRE(f);
    CHECK(f->message.find("BF16 data") != std::string::npos);
}

TEST_CASE("byte-swapped F16 data is reported as byte-swapped (with the NaN/Inf it produces)") {
    Writer w = llama("f16");
    edit_tensor(w, "blk.0.ffn_down.weight", [](WriterTensor& t) {
        for (std::size_t i = 0; i + 1 < t.data.size(); i += 2) std::swap(t.data[i], t.data[i + 1]);
    });
    const Outcome o = check(w);
    CHECK_MESSAGE(o.find("GD-W006", "blk.0.ffn_down.weight"), o.describe());
    const Codes allowed{"GD-W006", "GD-W001", "GD-W002", "GD-W011"};
    for (const auto& c : o.codes()) CHECK_MESSAGE(allowed.contains(c), c << "\n" << o.describe());
}

TEST_CASE("byte-swapped F32 data is reported as byte-swapped") {
    Writer w = llama("f32");
    edit_tensor(w, "blk.4.attn_k.weight", [](WriterTensor& t) {
        for (std::size_t i = 0; i + 3 < t.data.size(); i += 4) {
            std::swap(t.data[i], t.data[i + 3]);
            std::swap(t.data[i + 1], t.data[i + 2]);
        }
    });
    const Outcome o = check(w);
    CHECK_MESSAGE(o.find("GD-W006", "blk.4.attn_k.weight"), o.describe());
    const Codes allowed{"GD-W006", "GD-W001", "GD-W002", "GD-W011"};
    for (const auto& c : o.codes()) CHECK_MESSAGE(allowed.contains(c), c << "\n" << o.describe());
}

TEST_CASE("a file truncated inside the tensor data reports the tensors past its end") {
    auto file = serialize(llama("f32"));
    file.resize(file.size() * 6 / 10);
    const Outcome o = check_bytes(file);
    REQUIRE(o.opened);
    CHECK_MESSAGE((o.codes() == Codes{"GD-S001"}), o.describe());
    CHECK(o.find("GD-S001", "token_embd.weight") == nullptr);  // the first tensor is intact
}

TEST_CASE("a file truncated inside the header cannot be opened") {
    auto file = serialize(llama("f32"));
    file.resize(100);
    const Outcome o = check_bytes(file);
    CHECK_FALSE(o.opened);
    // The parser stops at the first count or length the remaining bytes cannot hold.
    CHECK((o.open_error.code == ErrorCode::truncated || o.open_error.code == ErrorCode::count_too_large ||
           o.open_error.code == ErrorCode::string_too_long));
    CHECK(rules::unparsable_finding(o.open_error).code == "GD-S015");
}

TEST_CASE("a non-finite block scale is an error") {
    Writer w = llama("f32", 3);
    quantize_matrices(w, Q8_0);
    edit_tensor(w, "blk.1.ffn_down.weight", [](WriterTensor& t) { set_u16(t, 34 * 3, 0x7C00); });  // +inf d
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W002", "GD-W004"}), o.describe());
    const auto* f = o.find("GD-W004", "blk.1.ffn_down.weight");
    REQUIRE(f);
    CHECK(std::any_of(f->evidence.begin(), f->evidence.end(), [](const auto& e) { return e.name == "first_block" && e.value == "3"; }));
}

TEST_CASE("a NaN super-block scale in a K-quant is an error") {
    Writer w = llama("f32", 3);
    quantize_matrices(w, Q4_K);
    edit_tensor(w, "blk.2.attn_output.weight", [](WriterTensor& t) { set_u16(t, 144 * 5, 0x7E00); });  // NaN d
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W001", "GD-W004"}), o.describe());
}

TEST_CASE("a block scale corrupted to a huge finite value is an outlier, with the extreme row it makes") {
    Writer w = llama("f32", 4);
    quantize_matrices(w, Q8_0);
    edit_tensor(w, "blk.3.ffn_gate.weight", [](WriterTensor& t) { set_u16(t, 34 * 40, 0x7BFF); });  // 65504
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W011", "GD-W019"}), o.describe());
    CHECK(o.find("GD-W019", "blk.3.ffn_gate.weight"));
}

TEST_CASE("quant codes that use a fraction of their scale's range are implausible") {
    Writer w = llama("f32", 4);
    quantize_matrices(w, Q8_0);
    // Halve every quant of a tensor, as a converter with a 7-bit Q8_0 would: the values halve too, but
    // no block reaches its extreme code any more.
    edit_tensor(w, "blk.0.attn_q.weight", [](WriterTensor& t) {
        for (std::size_t b = 0; b < t.data.size(); b += 34)
            for (std::size_t i = 2; i < 34; ++i) {
                const auto q = static_cast<std::int8_t>(t.data[b + i]);
                t.data[b + i] = static_cast<std::byte>(static_cast<std::int8_t>(q / 3));
            }
    });
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W012"}), o.describe());
}

TEST_CASE("a transposed lm_head is a shape error that says it is transposed") {
    Writer w = llama("f32");
    edit_tensor(w, "output.weight", [](WriterTensor& t) { std::swap(t.ne[0], t.ne[1]); });
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-A005"}), o.describe());
    const auto* f = o.find("GD-A005", "output.weight");
    REQUIRE(f);
    CHECK(f->message.find("transposed") != std::string::npos);
}

TEST_CASE("an lm_head of the wrong width is a shape error") {
    Writer w = llama("f32");
    edit_tensor(w, "output.weight", [](WriterTensor& t) {
        t.ne[0] /= 2;
        t.ne[1] *= 2;
    });
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-A005"}), o.describe());
}

TEST_CASE("a missing lm_head is reported as tied embeddings (a note: the forward pass judges it)") {
    Writer w = llama("f32");
    remove_tensor(w, "output.weight");
    const Outcome o = check(w);
    CHECK_MESSAGE(o.codes().empty(), o.describe());
    CHECK(o.find("GD-A007", "output.weight"));
}

TEST_CASE("a missing embedding and a missing block tensor are errors") {
    Writer w = llama("f32");
    remove_tensor(w, "token_embd.weight");
    remove_tensor(w, "blk.5.ffn_norm.weight");
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-A003"}), o.describe());
    CHECK(o.find("GD-A003", "token_embd.weight"));
    CHECK(o.find("GD-A003", "blk.5.ffn_norm.weight"));
}

TEST_CASE("more tokens than embedding rows is a vocabulary error for each vocabulary-sized tensor") {
    Writer w = llama("f32");
    const Value* tokens = w.find("tokenizer.ggml.tokens");
    const Value* scores = w.find("tokenizer.ggml.scores");
    const Value* types = w.find("tokenizer.ggml.token_type");
    REQUIRE((tokens && scores && types));
    std::vector<std::string> t;
    std::vector<float> s;
    std::vector<std::int32_t> ty;
    for (std::uint64_t i = 0; i < tokens->size(); ++i) {
        t.emplace_back(tokens->string_at(i));
        s.push_back(static_cast<float>(scores->number_at(i)));
        ty.push_back(static_cast<std::int32_t>(types->integer_at(i)));
    }
    for (int i = 0; i < 10; ++i) {
        t.push_back("<added_" + std::to_string(i) + ">");
        s.push_back(0.0f);
        ty.push_back(4);  // user-defined
    }
    w.set("tokenizer.ggml.tokens", Value::string_array(t));
    w.set("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, s));
    w.set("tokenizer.ggml.token_type", Value::array<std::int32_t>(ValueType::int32, ty));
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-V002"}), o.describe());
    CHECK(o.find("GD-V002", "token_embd.weight"));
    CHECK(o.find("GD-V002", "output.weight"));
}

TEST_CASE("two tensors with identical bytes are reported") {
    Writer w = llama("f16");
    const auto copy = tensor(w, "blk.0.ffn_up.weight").data;
    edit_tensor(w, "blk.3.ffn_up.weight", [&](WriterTensor& t) { t.data = copy; });
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W009"}), o.describe());
    CHECK(o.find("GD-W009", "blk.3.ffn_up.weight"));
}

TEST_CASE("a tensor name that appears twice is a structural error") {
    auto file = serialize(llama("f32"));
    // Rename blk.1.ffn_up.weight to blk.0.ffn_up.weight in place (same length).
    const std::string from = "blk.1.ffn_up.weight", to = "blk.0.ffn_up.weight";
    const auto* begin = reinterpret_cast<const char*>(file.data());
    const std::string_view text(begin, file.size());
    const auto at = text.find(from);
    REQUIRE(at != std::string_view::npos);
    std::memcpy(file.data() + at, to.data(), to.size());
    const Outcome o = check_bytes(file);
    CHECK_MESSAGE((o.codes() == Codes{"GD-S008", "GD-A003"}), o.describe());
}

TEST_CASE("NaN weights and an all-zero weight are errors; an all-zero bias is a note") {
    auto c = config("tiny-qwen2", 4);
    Writer w = build(c);
    edit_tensor(w, "blk.1.attn_output.weight", [](WriterTensor& t) {
        auto v = values(t);
        v[17] = std::numeric_limits<float>::quiet_NaN();
        set_values(t, v);
    });
    edit_tensor(w, "blk.2.ffn_gate.weight", [](WriterTensor& t) { std::fill(t.data.begin(), t.data.end(), std::byte{0}); });
    edit_tensor(w, "blk.0.attn_k.bias", [](WriterTensor& t) { std::fill(t.data.begin(), t.data.end(), std::byte{0}); });
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W001", "GD-W003"}), o.describe());
    CHECK(o.find("GD-W001", "blk.1.attn_output.weight"));
    CHECK(o.find("GD-W003", "blk.2.ffn_gate.weight"));
    CHECK(o.find("GD-W014", "blk.0.attn_k.bias"));
}

TEST_CASE("all-zero rows in a projection are a warning") {
    Writer w = llama("f32");
    edit_tensor(w, "blk.2.ffn_down.weight", [](WriterTensor& t) {
        const std::size_t row = t.ne[0] * 4;
        std::fill(t.data.begin() + static_cast<std::ptrdiff_t>(row * 7), t.data.begin() + static_cast<std::ptrdiff_t>(row * 9), std::byte{0});
    });
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W010"}), o.describe());
}

TEST_CASE("a norm vector far outside its siblings is a warning") {
    Writer w = llama("f32", 8);
    edit_tensor(w, "blk.5.ffn_norm.weight", [](WriterTensor& t) {
        auto v = values(t);
        for (auto& x : v) x *= 200;
        set_values(t, v);
    });
    const Outcome o = check(w);
    CHECK_MESSAGE((o.codes() == Codes{"GD-W008"}), o.describe());
    CHECK(o.find("GD-W008", "blk.5.ffn_norm.weight"));
}

namespace {

// Every block of `name` edited in place (whole blocks of `block_bytes`).
void edit_blocks(Writer& w, std::string_view name, std::size_t block_bytes, const std::function<void(std::uint8_t*)>& edit) {
    edit_tensor(w, name, [&](WriterTensor& t) {
        for (std::size_t b = 0; b < t.data.size(); b += block_bytes) edit(reinterpret_cast<std::uint8_t*>(t.data.data() + b));
    });
}

Writer iq_llama(TypeId type) {
    Writer w = llama("f32", 3);
    quantize_matrices(w, static_cast<std::uint32_t>(type));
    return w;
}

}  // namespace

TEST_CASE("healthy code-book (IQ) fixtures raise no grid or sign finding") {
    for (TypeId type : {TypeId::IQ1_S, TypeId::IQ1_M, TypeId::IQ2_XXS, TypeId::IQ2_XS, TypeId::IQ2_S, TypeId::IQ3_XXS,
                        TypeId::IQ3_S}) {
        const Outcome o = check(iq_llama(type));
        CHECK_MESSAGE(o.codes().empty(), type_label(static_cast<std::uint32_t>(type)) << "\n" << o.describe());
    }
}

TEST_CASE("IQ sign bits zeroed or all set are implausible code usage") {
    {
        Writer w = iq_llama(TypeId::IQ2_S);
        edit_blocks(w, "blk.1.ffn_up.weight", 82, [](std::uint8_t* b) { std::fill(b + 34, b + 66, std::uint8_t{0}); });
        const Outcome o = check(w);
        CHECK_MESSAGE((o.codes() == Codes{"GD-W023"}), o.describe());
        const auto* f = o.find("GD-W023", "blk.1.ffn_up.weight");
        REQUIRE(f);
        CHECK(f->message.find("positive") != std::string::npos);
    }
    {
        // IQ3_XXS stores 7 sign bits a group; all of them set makes the eighth set too (even count).
        Writer w = iq_llama(TypeId::IQ3_XXS);
        edit_blocks(w, "blk.0.attn_k.weight", 98, [](std::uint8_t* b) {
            for (int k = 0; k < 8; ++k) {
                std::uint32_t aux;
                std::memcpy(&aux, b + 66 + 4 * k, 4);
                aux |= 0x0FFFFFFFu;
                std::memcpy(b + 66 + 4 * k, &aux, 4);
            }
        });
        const Outcome o = check(w);
        CHECK_MESSAGE((o.codes() == Codes{"GD-W023"}), o.describe());
        REQUIRE(o.find("GD-W023", "blk.0.attn_k.weight"));
    }
}

TEST_CASE("IQ grid indices all zero, and IQ1 shift signs all cleared, are implausible code usage") {
    {
        Writer w = iq_llama(TypeId::IQ2_XS);
        edit_blocks(w, "blk.2.attn_q.weight", 74, [](std::uint8_t* b) {
            for (int g = 0; g < 32; ++g) {
                std::uint16_t q;
                std::memcpy(&q, b + 2 + 2 * g, 2);
                q &= static_cast<std::uint16_t>(~511u);  // index 0, signs kept
                std::memcpy(b + 2 + 2 * g, &q, 2);
            }
        });
        const Outcome o = check(w);
        CHECK_MESSAGE((o.codes() == Codes{"GD-W023"}), o.describe());
        const auto* f = o.find("GD-W023", "blk.2.attn_q.weight");
        REQUIRE(f);
        CHECK(f->message.find("only 1 of the 512") != std::string::npos);
    }
    {
        Writer w = iq_llama(TypeId::IQ1_S);
        edit_blocks(w, "blk.0.ffn_gate.weight", 50, [](std::uint8_t* b) {
            std::fill(b + 2, b + 34, std::uint8_t{0});
            for (int k = 0; k < 8; ++k) b[35 + 2 * k] &= 0xF0;  // qh bits 8-11: index bits of groups 2-3
            for (int k = 0; k < 8; ++k) b[34 + 2 * k] = 0;      // bits 0-7: index bits of groups 0-2
        });
        const Outcome o = check(w);
        CHECK(o.find("GD-W023", "blk.0.ffn_gate.weight"));
    }
    {
        Writer w = iq_llama(TypeId::IQ1_M);
        edit_blocks(w, "blk.1.attn_v.weight", 56, [](std::uint8_t* b) {
            for (int i = 32; i < 48; ++i) b[i] &= 0x77;  // the shift sign of both groups of each qh byte
        });
        const Outcome o = check(w);
        CHECK_MESSAGE((o.codes() == Codes{"GD-W023"}), o.describe());
        const auto* f = o.find("GD-W023", "blk.1.attn_v.weight");
        REQUIRE(f);
        CHECK(f->message.find("1/8 shifts") != std::string::npos);
    }
}

TEST_CASE("non-finite super-block scales of IQ and TQ types are GD-W004 (IQ1_M's d from its packed nibbles)") {
    {
        Writer w = iq_llama(TypeId::IQ2_XXS);
        edit_tensor(w, "blk.0.ffn_up.weight", [](WriterTensor& t) { set_u16(t, 66 * 7, 0x7C00); });  // +inf d
        const Outcome o = check(w);
        CHECK(o.find("GD-W004", "blk.0.ffn_up.weight"));
    }
    {
        Writer w = iq_llama(TypeId::IQ1_M);
        // d = 0x7E00 (NaN): nibble k of d goes to the top nibble of scale word k (bytes 48-55).
        edit_tensor(w, "blk.1.attn_q.weight", [](WriterTensor& t) {
            auto* b = reinterpret_cast<std::uint8_t*>(t.data.data()) + 56 * 3 + 48;
            for (int k = 0; k < 4; ++k) b[2 * k + 1] = static_cast<std::uint8_t>((b[2 * k + 1] & 0x0F) | (((0x7E00 >> (4 * k)) & 0xF) << 4));
        });
        const Outcome o = check(w);
        CHECK(o.find("GD-W004", "blk.1.attn_q.weight"));
    }
    {
        Writer w = llama("f32", 3);
        quantize_matrices(w, static_cast<std::uint32_t>(TypeId::TQ2_0));
        edit_tensor(w, "blk.2.attn_v.weight", [](WriterTensor& t) { set_u16(t, 66 * 2 + 64, 0x7E00); });  // NaN d
        const Outcome o = check(w);
        CHECK(o.find("GD-W004", "blk.2.attn_v.weight"));
    }
}

TEST_CASE("non-finite scales of Q1_0 and Q2_0 are GD-W004; a healthy Q1_0 or Q2_0 matrix is not") {
    // A matrix encoded here as ggml-common.h lays the blocks out: f16 d at byte 0, then the codes.
    // Q1_0: d = mean |x| of the 128 values, bit i set where x >= 0. Q2_0: d = max |x| of the 64, code
    // round(x / d) + 1 in two bits (-1, 0, 1 times d).
    const auto encode = [](TypeId type, const std::vector<float>& x) {
        const std::size_t n = type == TypeId::Q1_0 ? 128 : 64;
        std::vector<std::byte> out;
        for (std::size_t at = 0; at < x.size(); at += n) {
            std::uint8_t block[18] = {};
            float d = 0;
            for (std::size_t i = 0; i < n; ++i)
                d = type == TypeId::Q1_0 ? d + std::fabs(x[at + i]) : std::max(d, std::fabs(x[at + i]));
            if (type == TypeId::Q1_0) d /= static_cast<float>(n);
            const std::uint16_t h = fp32_to_fp16(d);
            std::memcpy(block, &h, 2);
            for (std::size_t i = 0; i < n; ++i) {
                if (type == TypeId::Q1_0) {
                    if (x[at + i] >= 0) block[2 + i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
                } else {
                    const int q = d > 0 ? static_cast<int>(std::lround(x[at + i] / d)) + 1 : 1;
                    block[2 + i / 4] |= static_cast<std::uint8_t>(q << (2 * (i % 4)));
                }
            }
            for (std::uint8_t b : block) out.push_back(static_cast<std::byte>(b));
        }
        return out;
    };
    for (TypeId type : {TypeId::Q1_0, TypeId::Q2_0}) {
        CAPTURE(find_type(type)->name);
        Writer w = llama("f32", 3);
        for (const char* name : {"blk.0.ffn_up.weight", "blk.2.attn_v.weight"})
            edit_tensor(w, name, [&](WriterTensor& t) {
                t.data = encode(type, values(t));
                t.type = static_cast<std::uint32_t>(type);
            });
        edit_tensor(w, "blk.2.attn_v.weight", [](WriterTensor& t) { set_u16(t, 18 * 2, 0x7E00); });  // NaN d
        const Outcome o = check(w);
        CHECK(o.find("GD-W004", "blk.2.attn_v.weight"));
        CHECK_FALSE(o.find("GD-W004", "blk.0.ffn_up.weight"));
    }
}
