// One test per class of malformed input: each asserts the error code or structural issue kind (never
// the wording) and where it applies the byte offset. Files are laid out by hand with RawGguf.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <set>

#include "gguf/container.hpp"
#include "libgguf/open_raw.hpp"

using namespace gguf;
using gguf::test::RawGguf;
namespace vt = gguf::test::gguf_type;

namespace {

constexpr std::uint32_t F32 = 0, Q4_0 = 2, Q4_2 = 4, Q4_0_4_4 = 31, Q4_K = 12;
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

// Two F32 tensors packed at 0 and 32 behind one key: a valid file the cases below break one way each.
RawGguf two_tensors(RawGguf::Order order = RawGguf::little) {
    RawGguf g(order);
    g.counts(2, 1).kv_str("general.architecture", "test");
    g.tensor("a", {8}, F32, 0).tensor("b", {4, 2}, F32, 32);
    g.pad_to(32).zeros(64);
    return g;
}

// A file whose only content is one tensor info (for tensor-level cases); data of `data_bytes` follows.
RawGguf one_tensor(std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset, std::size_t data_bytes) {
    RawGguf g;
    g.counts(1, 0).tensor("t", std::move(ne), type, offset).pad_to(32).zeros(data_bytes);
    return g;
}

}  // namespace

TEST_CASE("the hand-made baseline file opens cleanly") {
    auto m = test::open_raw(two_tensors());
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    CHECK(m->issues().empty());
    CHECK(m->tensors().size() == 2);
    CHECK(m->tensors()[1].data_valid);
}

TEST_CASE("rejects a file that does not start with GGUF") {
    RawGguf g = two_tensors();
    g.bytes()[0] = std::byte{'g'};
    auto m = test::open_raw(g);
    CHECK(test::error_of(m) == ErrorCode::bad_magic);
    CHECK(m.error().offset == 0);
}

TEST_CASE("rejects versions other than 1, 2 and 3 in either byte order") {
    for (std::uint32_t v : {0u, 4u, 0x7FFFu, 0xFFFFFFFFu, 0x04000000u}) {
        CAPTURE(v);
        RawGguf g(RawGguf::little, v);
        g.counts(0, 0);
        auto m = test::open_raw(g);
        CHECK(test::error_of(m) == ErrorCode::unsupported_version);
        CHECK(m.error().offset == 4);
    }
}

TEST_CASE("rejects an empty file and a file cut inside the magic or the version") {
    const RawGguf g = two_tensors();
    for (std::size_t keep : {0, 2, 4, 6}) {
        CAPTURE(keep);
        CHECK(test::error_of(test::open_raw(g, keep)) == ErrorCode::truncated);
    }
}

TEST_CASE("a truncation anywhere in the header is an error at or before the cut, never a crash") {
    const RawGguf g = two_tensors();
    const std::size_t header_end = g.size() - 64;  // the data section is the last 64 bytes
    const std::set<ErrorCode> truncation_codes{ErrorCode::truncated, ErrorCode::count_too_large,
                                               ErrorCode::string_too_long};
    for (std::size_t keep = 0; keep < header_end; ++keep) {
        CAPTURE(keep);
        auto m = test::open_raw(g, keep);
        // Cutting only the padding after the tensor infos leaves a parsable header whose tensors lie
        // past the end: that is a structural fact, not a parse error.
        if (m.ok()) {
            CHECK(keep >= header_end - 32);
            CHECK(test::find_issue(*m, IssueKind::tensor_out_of_bounds) != nullptr);
            continue;
        }
        CHECK(truncation_codes.count(m.error().code) == 1);
        CHECK(m.error().offset <= keep);
    }
}

TEST_CASE("a truncation at each section boundary is reported with the right code") {
    // Boundaries: after the magic, the version, each count, the key, the value, each tensor info.
    RawGguf g;
    g.counts(2, 1);
    const std::size_t after_counts = g.size();
    g.kv_str("general.architecture", "test");
    const std::size_t after_kv = g.size();
    g.tensor("a", {8}, F32, 0);
    const std::size_t after_first_info = g.size();
    g.tensor("b", {4, 2}, F32, 32);
    const std::size_t after_infos = g.size();
    g.pad_to(32);
    const std::size_t data_start = g.size();
    g.zeros(32);
    const std::size_t after_first_tensor = g.size();
    g.zeros(32);

    CHECK(test::error_of(test::open_raw(g, 4)) == ErrorCode::truncated);   // after the magic
    CHECK(test::error_of(test::open_raw(g, 8)) == ErrorCode::truncated);   // after the version
    CHECK(test::error_of(test::open_raw(g, 16)) == ErrorCode::truncated);  // after the tensor count
    // After the counts nothing remains for the key and tensor infos they announce.
    auto m = test::open_raw(g, after_counts);
    CHECK(test::error_of(m) == ErrorCode::count_too_large);
    // After the metadata the two tensor infos announced cannot fit in what is left.
    m = test::open_raw(g, after_kv);
    CHECK(test::error_of(m) == ErrorCode::count_too_large);
    CHECK(m.error().offset == 8);
    m = test::open_raw(g, after_first_info);
    CHECK(test::error_of(m) == ErrorCode::count_too_large);
    CHECK(m.error().offset == 8);
    // One byte short of the last tensor info: its 64-bit offset field is cut.
    m = test::open_raw(g, after_infos - 1);
    CHECK(test::error_of(m) == ErrorCode::truncated);
    CHECK(m.error().offset == after_infos - 8);

    // Cut in the data section: the header parses; tensors past the cut are out of bounds.
    for (std::size_t keep : {after_infos, data_start, after_first_tensor, after_first_tensor + 31}) {
        CAPTURE(keep);
        m = test::open_raw(g, keep);
        REQUIRE_MESSAGE(m.ok(), test::why(m));
        CHECK(m->tensors()[0].data_valid == (keep >= after_first_tensor));
        CHECK_FALSE(m->tensors()[1].data_valid);
        CHECK(test::find_issue(*m, IssueKind::tensor_out_of_bounds, "b") != nullptr);
        CHECK(m->view(m->tensors()[1]).error().code == ErrorCode::tensor_unreadable);
        CHECK(test::find_issue(*m, IssueKind::trailing_bytes) == nullptr);
    }
}

TEST_CASE("rejects tensor and key counts near 2^64 before allocating anything") {
    for (std::uint64_t n : {u64_max, u64_max / 13 + 1, std::uint64_t{1} << 62}) {
        CAPTURE(n);
        RawGguf g;
        g.counts(n, 0);
        auto m = test::open_raw(g);
        CHECK(test::error_of(m) == ErrorCode::count_too_large);
        CHECK(m.error().offset == 8);

        RawGguf k;
        k.counts(0, n).kv_u32("a", 1);
        m = test::open_raw(k);
        CHECK(test::error_of(m) == ErrorCode::count_too_large);
        CHECK(m.error().offset == 16);
    }
}

TEST_CASE("rejects an array count near 2^64 before walking it") {
    // 2^61 uint64 elements are 2^64 bytes: the size product itself overflows.
    for (auto [element, count] : {std::pair{vt::u64, std::uint64_t{1} << 61}, std::pair{vt::u8, u64_max},
                                  std::pair{vt::string, u64_max / 8 + 1}, std::pair{vt::array, u64_max},
                                  std::pair{vt::f32, std::uint64_t{1000}}}) {
        const auto element_type = element;  // a lambda cannot capture a structured binding before clang 16
        const auto element_count = count;
        CAPTURE(element_type);
        CAPTURE(element_count);
        RawGguf g;
        g.counts(0, 1).key("big", vt::array);
        const std::size_t count_at = g.size() + 4;
        g.array(element, count).zeros(16);
        auto m = test::open_raw(g);
        CHECK(test::error_of(m) == ErrorCode::count_too_large);
        CHECK(m.error().offset == count_at);
    }
}

TEST_CASE("rejects a string length past the end of the file") {
    SUBCASE("in a key") {
        RawGguf g;
        g.counts(0, 1).len(1000).raw("abc").zeros(20);
        auto m = test::open_raw(g);
        CHECK(test::error_of(m) == ErrorCode::string_too_long);
        CHECK(m.error().offset == 24);
    }
    SUBCASE("in a string value, with a length near 2^64") {
        RawGguf g;
        g.counts(0, 1).key("k", vt::string);
        const std::size_t at = g.size();
        g.len(u64_max).raw("short");
        auto m = test::open_raw(g);
        CHECK(test::error_of(m) == ErrorCode::string_too_long);
        CHECK(m.error().offset == at);
    }
    SUBCASE("in an array of strings") {
        RawGguf g;
        g.counts(0, 1).key("k", vt::array).array(vt::string, 2).str("ok");
        const std::size_t at = g.size();
        g.len(64).raw("not 64 bytes");
        auto m = test::open_raw(g);
        CHECK(test::error_of(m) == ErrorCode::string_too_long);
        CHECK(m.error().offset == at);
    }
    SUBCASE("in a tensor name") {
        RawGguf g;
        g.counts(1, 0);
        g.len(1u << 20).raw("name").zeros(40);
        auto m = test::open_raw(g);
        CHECK(test::error_of(m) == ErrorCode::string_too_long);
        CHECK(m.error().offset == 24);
    }
}

TEST_CASE("rejects n_dims 0 and 5") {
    for (std::uint32_t n_dims : {0u, 5u, 0xFFFFFFFFu}) {
        CAPTURE(n_dims);
        RawGguf g;
        g.counts(1, 0).str("t");
        const std::size_t at = g.size();
        g.u32(n_dims).zeros(64);
        auto m = test::open_raw(g);
        CHECK(test::error_of(m) == ErrorCode::bad_n_dims);
        CHECK(m.error().offset == at);
    }
}

TEST_CASE("rejects a negative dimension and a dimension product of 2^63 or more") {
    RawGguf neg;
    neg.counts(1, 0).str("t").u32(2).i64(4).i64(-1).u32(F32).u64(0).zeros(32);
    CHECK(test::error_of(test::open_raw(neg)) == ErrorCode::bad_dims);

    RawGguf big;
    big.counts(1, 0).str("t").u32(3).u64(std::uint64_t{1} << 32).u64(std::uint64_t{1} << 30).u64(2).u32(F32).u64(0);
    big.zeros(32);
    auto m = test::open_raw(big);
    CHECK(test::error_of(m) == ErrorCode::bad_dims);
    CHECK(m.error().offset == 24 + 9 + 4 + 16);  // the third dimension makes the product 2^63

    // Just below the limit the header parses; the data is of course not there.
    RawGguf edge;
    edge.counts(1, 0).str("t").u32(2).u64(std::uint64_t{1} << 31).u64(std::uint64_t{1} << 31).u32(F32).u64(0);
    edge.zeros(32);
    auto e = test::open_raw(edge);
    REQUIRE_MESSAGE(e.ok(), test::why(e));
    CHECK(test::find_issue(*e, IssueKind::tensor_out_of_bounds) != nullptr);
}

TEST_CASE("rejects general.alignment 0 and 3, and an alignment that is not an integer") {
    for (std::uint32_t a : {0u, 3u, 48u}) {
        CAPTURE(a);
        RawGguf g;
        g.counts(0, 2).kv_str("general.name", "x");
        const std::size_t at = g.size();
        g.kv_u32("general.alignment", a);
        auto m = test::open_raw(g);
        CHECK(test::error_of(m) == ErrorCode::bad_alignment);
        CHECK(m.error().offset == at);
    }
    RawGguf s;
    s.counts(0, 1).kv_str("general.alignment", "32");
    CHECK(test::error_of(test::open_raw(s)) == ErrorCode::bad_alignment);
    RawGguf neg;
    neg.counts(0, 1).key("general.alignment", vt::i32).u32(0xFFFFFFE0u);  // -32
    CHECK(test::error_of(test::open_raw(neg)) == ErrorCode::bad_alignment);
}

TEST_CASE("uses a valid general.alignment and reports one stored as another integer type than uint32") {
    RawGguf g;
    g.counts(2, 1).key("general.alignment", vt::u64).u64(64);
    g.tensor("a", {8}, F32, 0).tensor("b", {8}, F32, 64).pad_to(64).zeros(96);
    auto m = test::open_raw(g);
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    CHECK(m->alignment() == 64);
    CHECK(m->data_offset() % 64 == 0);
    CHECK(test::find_issue(*m, IssueKind::alignment_not_u32) != nullptr);
    CHECK(test::find_issue(*m, IssueKind::tensor_misaligned) == nullptr);
    CHECK(m->tensors()[1].data_valid);
}

TEST_CASE("reports a tensor whose offset lies past the end of the file") {
    auto m = test::open_raw(one_tensor({8}, F32, 4096, 32));
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    const StructuralIssue* issue = test::find_issue(*m, IssueKind::tensor_out_of_bounds, "t");
    REQUIRE(issue);
    CHECK(issue->severity == Severity::error);
    CHECK(issue->offset == 24);  // the tensor's info record
    CHECK_FALSE(m->tensors()[0].data_valid);
    CHECK(m->tensors()[0].n_bytes == 32);
    CHECK(m->view(m->tensors()[0]).error().code == ErrorCode::tensor_unreadable);
}

TEST_CASE("reports a tensor offset whose end overflows 64 bits") {
    auto m = test::open_raw(one_tensor({8}, F32, u64_max - 31, 32));
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    CHECK(test::find_issue(*m, IssueKind::tensor_out_of_bounds, "t") != nullptr);
    CHECK_FALSE(m->tensors()[0].data_valid);
}

TEST_CASE("reports a tensor offset that is not a multiple of the alignment") {
    RawGguf g;
    g.counts(2, 0).tensor("a", {8}, F32, 0).tensor("b", {8}, F32, 36).pad_to(32).zeros(96);
    auto m = test::open_raw(g);
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    CHECK(test::find_issue(*m, IssueKind::tensor_misaligned, "b") != nullptr);
    CHECK(test::find_issue(*m, IssueKind::tensor_misaligned, "a") == nullptr);
    CHECK(test::find_issue(*m, IssueKind::not_contiguous, "b") != nullptr);
    CHECK(m->tensors()[1].file_offset == m->data_offset() + 36);
}

TEST_CASE("reports overlapping tensors") {
    RawGguf g;
    g.counts(3, 0).tensor("a", {16}, F32, 0).tensor("b", {8}, F32, 32).tensor("c", {8}, F32, 64);
    g.pad_to(32).zeros(96);
    auto m = test::open_raw(g);
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    // "a" covers [0, 64): "b" lies inside it, "c" starts where "a" ends.
    CHECK(test::find_issue(*m, IssueKind::tensors_overlap, "b") != nullptr);
    CHECK(test::find_issue(*m, IssueKind::tensors_overlap, "c") == nullptr);
    CHECK(test::count_issues(*m, IssueKind::tensors_overlap) == 1);
}

TEST_CASE("reports unknown and removed tensor type ids") {
    for (std::uint32_t type : {43u, 1000u, 0xFFFFFFFFu}) {
        CAPTURE(type);
        auto m = test::open_raw(one_tensor({32}, type, 0, 64));
        REQUIRE_MESSAGE(m.ok(), test::why(m));
        CHECK(test::find_issue(*m, IssueKind::unknown_type, "t") != nullptr);
        CHECK(m->tensors()[0].n_bytes == 0);
        CHECK_FALSE(m->tensors()[0].data_valid);
    }
    for (std::uint32_t type : {Q4_2, Q4_0_4_4}) {
        CAPTURE(type);
        auto m = test::open_raw(one_tensor({32}, type, 0, 64));
        REQUIRE_MESSAGE(m.ok(), test::why(m));
        const auto* issue = test::find_issue(*m, IssueKind::removed_type, "t");
        REQUIRE(issue != nullptr);
        CHECK(issue->message.find("refuses") != std::string::npos);
        CHECK(issue->message.find(type == Q4_0_4_4 ? "to Q4_0 " : "Q4_K_M") != std::string::npos);
        CHECK_FALSE(m->tensors()[0].data_valid);
    }
    auto m = test::open_raw(one_tensor({32}, static_cast<std::uint32_t>(TypeId::IQ4_NL_8_8), 0, 64));
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    const auto* issue = test::find_issue(*m, IssueKind::removed_type, "t");
    REQUIRE(issue != nullptr);
    CHECK(issue->message.find("to IQ4_NL ") != std::string::npos);
}

TEST_CASE("reports a row length that is not a multiple of the block size") {
    auto m = test::open_raw(one_tensor({48, 2}, Q4_0, 0, 64));
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    CHECK(test::find_issue(*m, IssueKind::not_block_multiple, "t") != nullptr);
    CHECK_FALSE(m->tensors()[0].data_valid);
    // The same number of elements with whole blocks per row is fine: 64 x 1 of Q4_0 is 2 blocks.
    auto ok = test::open_raw(one_tensor({64}, Q4_0, 0, 64));
    REQUIRE(ok.ok());
    CHECK(ok->issues().empty());
    CHECK(ok->tensors()[0].n_bytes == 36);
    // K-quants have 256-element blocks.
    auto k = test::open_raw(one_tensor({128, 2}, Q4_K, 0, 288));
    REQUIRE(k.ok());
    CHECK(test::find_issue(*k, IssueKind::not_block_multiple, "t") != nullptr);
}

TEST_CASE("reports a duplicate key and uses its first value") {
    RawGguf g;
    g.counts(0, 3).kv_u32("a", 1).kv_u32("b", 2);
    const std::size_t at = g.size();
    g.kv_u32("a", 3);
    auto m = test::open_raw(g);
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    const StructuralIssue* issue = test::find_issue(*m, IssueKind::duplicate_key, "a");
    REQUIRE(issue);
    CHECK(issue->offset == at);
    CHECK(m->get_u64("a") == 1u);
    CHECK(m->metadata().size() == 3);

    OpenOptions strict;
    strict.reject_duplicates = true;
    auto refused = test::open_raw(g, SIZE_MAX, strict);
    CHECK(test::error_of(refused) == ErrorCode::duplicate_key);
    CHECK(refused.error().offset == at);
}

TEST_CASE("reports a duplicate tensor name and finds its first occurrence") {
    RawGguf g;
    g.counts(2, 0).tensor("w", {8}, F32, 0).tensor("w", {4}, F32, 32).pad_to(32).zeros(64);
    auto m = test::open_raw(g);
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    CHECK(test::find_issue(*m, IssueKind::duplicate_tensor, "w") != nullptr);
    CHECK(m->find_tensor("w")->ne[0] == 8);

    OpenOptions strict;
    strict.reject_duplicates = true;
    CHECK(test::error_of(test::open_raw(g, SIZE_MAX, strict)) == ErrorCode::duplicate_tensor);
}

namespace {
// `depth` arrays nested in each other around one uint8.
RawGguf nested(std::uint32_t depth) {
    RawGguf g;
    g.counts(0, 1).key("deep", vt::array);
    for (std::uint32_t d = 1; d < depth; ++d) g.array(vt::array, 1);
    g.array(vt::u8, 1).u8(7);
    return g;
}
}  // namespace

TEST_CASE("rejects arrays nested beyond the depth limit and accepts them at it") {
    auto at_limit = test::open_raw(nested(8));
    REQUIRE_MESSAGE(at_limit.ok(), test::why(at_limit));
    Value v = *at_limit->find("deep");
    for (int d = 1; d < 8; ++d) v = v.at(0);
    CHECK(v.element_type() == ValueType::uint8);
    CHECK(v.integer_at(0) == 7);

    CHECK(test::error_of(test::open_raw(nested(9))) == ErrorCode::nesting_too_deep);
    CHECK(test::error_of(test::open_raw(nested(100000))) == ErrorCode::nesting_too_deep);
    OpenOptions strict;
    strict.max_array_depth = 2;
    CHECK(test::open_raw(nested(2), SIZE_MAX, strict).ok());
    CHECK(test::error_of(test::open_raw(nested(3), SIZE_MAX, strict)) == ErrorCode::nesting_too_deep);
}

TEST_CASE("rejects a value type id outside 0..12, for a key and for array elements") {
    RawGguf g;
    g.counts(0, 1).str("k");
    const std::size_t at = g.size();
    g.u32(13).u32(0);
    auto m = test::open_raw(g);
    CHECK(test::error_of(m) == ErrorCode::bad_value_type);
    CHECK(m.error().offset == at);

    RawGguf a;
    a.counts(0, 1).key("k", vt::array);
    const std::size_t element_at = a.size();
    a.array(99, 1).u32(0);
    m = test::open_raw(a);
    CHECK(test::error_of(m) == ErrorCode::bad_value_type);
    CHECK(m.error().offset == element_at);
}

TEST_CASE("reports unused bytes between tensors and after the last one as information") {
    RawGguf g;
    g.counts(2, 0).tensor("a", {8}, F32, 0).tensor("b", {8}, F32, 128).pad_to(32).zeros(160 + 200);
    auto m = test::open_raw(g);
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    const StructuralIssue* gap = test::find_issue(*m, IssueKind::data_gap, "b");
    REQUIRE(gap);
    CHECK(gap->severity == Severity::info);
    CHECK(gap->offset == m->data_offset() + 32);
    const StructuralIssue* trailing = test::find_issue(*m, IssueKind::trailing_bytes);
    REQUIRE(trailing);
    CHECK(trailing->severity == Severity::info);
    CHECK(trailing->offset == m->data_offset() + 160);
    CHECK(test::find_issue(*m, IssueKind::not_contiguous, "b") != nullptr);
}

TEST_CASE("reports strings that are not valid UTF-8 and keeps their bytes") {
    RawGguf g;
    g.counts(1, 3).kv_str("bad\xC3", "x").kv_str("value", "caf\xE9");
    g.key("tokens", vt::array).array(vt::string, 4).str("ok").str("\xFF").str("\xED\xA0\x80").str("\xE2\x82\xAC");
    g.tensor("t\x80", {8}, F32, 0).pad_to(32).zeros(32);
    auto m = test::open_raw(g);
    REQUIRE_MESSAGE(m.ok(), test::why(m));
    CHECK(test::find_issue(*m, IssueKind::invalid_utf8, "bad\xC3") != nullptr);
    CHECK(test::find_issue(*m, IssueKind::invalid_utf8, "value") != nullptr);
    CHECK(test::find_issue(*m, IssueKind::invalid_utf8, "t\x80") != nullptr);
    // Strings inside arrays are left to the code that uses them (opening stays fast on vocabularies).
    CHECK(test::find_issue(*m, IssueKind::invalid_utf8, "tokens") == nullptr);
    CHECK(test::count_issues(*m, IssueKind::invalid_utf8) == 3);
    CHECK_FALSE(is_valid_utf8(m->find("tokens")->string_at(2)));  // a surrogate
    CHECK(m->get_string("value") == "caf\xE9");
    CHECK(m->find("tokens")->string_at(1) == "\xFF");
    CHECK(m->find("tokens")->string_at(3) == "\xE2\x82\xAC");
    CHECK(m->find_tensor("t\x80") != nullptr);
}

TEST_CASE("reports tensor names longer than ggml accepts") {
    const std::string name(64, 'n');
    RawGguf g;
    g.counts(1, 0).tensor(name, {8}, F32, 0).pad_to(32).zeros(32);
    auto m = test::open_raw(g);
    REQUIRE(m.ok());
    CHECK(test::find_issue(*m, IssueKind::long_tensor_name, name) != nullptr);
    CHECK(m->tensors()[0].data_valid);
}

TEST_CASE("reports an io_error for a missing file and for a directory") {
    CHECK(test::error_of(open("/nonexistent/model.gguf")) == ErrorCode::io_error);
    CHECK(test::error_of(open(test::scratch_file().parent_path())) == ErrorCode::io_error);
}

TEST_CASE("refuses an array depth limit it cannot honour") {
    OpenOptions o;
    o.max_array_depth = 1u << 20;
    CHECK(test::error_of(test::open_raw(nested(2), SIZE_MAX, o)) == ErrorCode::invalid_argument);
}
