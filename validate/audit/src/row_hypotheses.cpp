// Hypotheses about rows: vocabulary padding rows dropped, added or changed; a tensor whose rows are
// all there but in another order (or repeated); and values right only up to some point.
#include <algorithm>
#include <unordered_map>

#include "gguf/float_formats.hpp"
#include "gguf/types.hpp"
#include "tensor_context.hpp"

namespace gguf::audit::detail {
namespace {

bool is_vocabulary_tensor(const Subject& s) {
    return s.facts.n_tokens > 0 && s.info.ne[1] == s.facts.n_tokens && s.info.ne[2] == 1 && s.info.ne[3] == 1;
}

std::string describe_rows(std::span<const float> values) {
    if (values.empty()) return "nothing";
    const bool zero = std::all_of(values.begin(), values.end(), [](float v) { return v == 0.0f; });
    const bool nan = std::all_of(values.begin(), values.end(), [](float v) { return std::isnan(v); });
    return zero ? "all zero" : nan ? "all NaN" : "other values";
}

// A different number of rows of the right length: rows dropped or added at the end.
void test_row_count(const Subject& s, Findings& out) {
    const std::uint64_t len = s.row_length();
    if (s.same_count() || s.info.ne[2] != 1 || s.info.ne[3] != 1 || s.their_shape.empty() || s.their_shape.back() != len ||
        s.theirs.size() % len != 0)
        return;
    const std::uint64_t ours = s.n_rows(), theirs = s.theirs.size() / len, common = std::min(ours, theirs);
    out.tested.push_back("row_count");
    if (s.agreement.first_mismatch < common * len) return;  // the common rows differ: not (only) a row count
    const bool vocabulary = is_vocabulary_tensor(s);
    const std::uint64_t pad = s.facts.n_tokens - s.facts.padding_start;
    Diagnosis d;
    d.kind = vocabulary ? "vocab_padding" : "row_count";
    d.evidence = {evidence("tensor_rows", std::to_string(ours)), evidence("your_rows", std::to_string(theirs))};
    if (vocabulary) {
        d.evidence.push_back(evidence("vocabulary_tokens", std::to_string(s.facts.n_tokens)));
        d.evidence.push_back(evidence("padding_tokens", std::to_string(pad)));
    }
    if (theirs < ours) {
        if (vocabulary && pad > 0 && theirs == s.facts.padding_start)
            d.message = fmt::format("the {} padding rows of the vocabulary ([PAD] tokens {}..{}) were dropped; the {} rows "
                                    "of real tokens are right. llama.cpp keeps all {} rows, so its logits have {} entries",
                                    pad, s.facts.padding_start, s.facts.n_tokens - 1, theirs, ours, ours);
        else
            d.message = fmt::format("only the first {} of {} rows are there (all of them right); {} rows are missing{}", theirs,
                                    ours, ours - theirs,
                                    vocabulary ? fmt::format(" (the vocabulary has {} tokens, {} of them padding)",
                                                             s.facts.n_tokens, pad)
                                               : "");
    } else {
        d.message = fmt::format("your array has {} rows more than the tensor's {} ({}); the first {} rows are right{}",
                                theirs - ours, ours, describe_rows(s.theirs.subspan(ours * len)), ours,
                                vocabulary ? " (padded vocabulary rows)" : "");
    }
    out.add(std::move(d), Fit{common * len, common * len, 1});
}

// Same shape; only rows past the real tokens differ.
void test_padding_rows(const Subject& s, Findings& out) {
    if (!s.same_count() || !is_vocabulary_tensor(s) || s.facts.padding_start >= s.facts.n_tokens) return;
    out.tested.push_back("vocab_padding");
    const std::uint64_t len = s.row_length(), first_pad = s.facts.padding_start;
    if (s.agreement.first_mismatch < first_pad * len) return;
    out.add({"vocab_padding",
             fmt::format("only the {} padding rows of the vocabulary ([PAD] tokens {}..{}) differ ({} in yours); the rows "
                         "of real tokens are right. Their logits differ from llama.cpp's, so sampling may pick them",
                         s.facts.n_tokens - first_pad, first_pad, s.facts.n_tokens - 1,
                         describe_rows(s.theirs.subspan(first_pad * len))),
             {evidence("first_padding_row", std::to_string(first_pad)), evidence("rows", std::to_string(s.n_rows()))}},
            Fit{s.n(), s.n(), s.n() - s.agreement.within});
}

std::uint64_t row_key(std::span<const float> row) {
    // Rounded to half precision so that a float16 dump finds its rows; confirmed value by value after.
    std::uint64_t key = 1469598103934665603ull;
    for (std::size_t i = 0; i < std::min<std::size_t>(row.size(), 8); ++i) key = (key ^ fp32_to_fp16(row[i])) * 1099511628211ull;
    return key;
}

void test_rows_permuted(const Subject& s, Findings& out) {
    const std::uint64_t len = s.row_length(), rows = s.n_rows();
    if (!s.same_count() || rows < 2 || len < 2) return;
    out.tested.push_back("rows_permuted");
    const auto row = [&](std::span<const float> v, std::uint64_t r) { return v.subspan(r * len, len); };
    const auto same_row = [&](std::uint64_t mine, std::uint64_t yours) {
        const auto a = row(s.reference, mine), b = row(s.theirs, yours);
        for (std::uint64_t i = 0; i < len; ++i)
            if (!agrees(a[i], b[i], s.tolerance)) return false;
        return true;
    };
    std::unordered_multimap<std::uint64_t, std::uint64_t> by_key;
    by_key.reserve(rows);
    for (std::uint64_t r = 0; r < rows; ++r) by_key.emplace(row_key(row(s.reference, r)), r);
    std::vector<std::uint64_t> source(rows);
    std::vector<bool> used(rows, false);
    bool injective = true;
    for (std::uint64_t r = 0; r < rows; ++r) {
        if (same_row(r, r)) {
            source[r] = r;
        } else {
            bool found = false;
            auto [lo, hi] = by_key.equal_range(row_key(row(s.theirs, r)));
            for (auto it = lo; it != hi && !found; ++it)
                if (same_row(it->second, r)) {
                    source[r] = it->second;
                    found = true;
                }
            if (!found) return;
        }
        injective = injective && !used[source[r]];
        used[source[r]] = true;
    }
    std::uint64_t displaced = 0, first_displaced = rows;
    for (std::uint64_t r = 0; r < rows; ++r)
        if (source[r] != r) {
            ++displaced;
            first_displaced = std::min(first_displaced, r);
        }
    if (displaced == 0) return;
    std::string pattern;
    const std::uint64_t shift = (source[0] + rows - 0) % rows;
    bool rotated = true, reversed = true;
    for (std::uint64_t r = 0; r < rows; ++r) {
        rotated = rotated && source[r] == (r + shift) % rows;
        reversed = reversed && source[r] == rows - 1 - r;
    }
    if (reversed) pattern = "in reverse order";
    else if (rotated && 2 * shift == rows) pattern = "with its two halves exchanged (a fused tensor split the other way?)";
    else if (rotated) pattern = fmt::format("rotated by {} rows", shift);
    const std::string examples = fmt::format("your row {} is reference row {}", first_displaced, source[first_displaced]);
    std::vector<float> predicted = gather_rows(s.reference, len, [&](std::uint64_t r) { return source[r]; });
    const Fit f = fit(s, predicted);
    if (!explains(s, f)) return;
    out.add({"rows_permuted",
             injective ? fmt::format("every row is right but {} of {} rows are in other places{}", displaced, rows,
                                     pattern.empty() ? "" : ": the rows are " + pattern)
                       : fmt::format("every row is a row of the reference, but {} of {} rows come from other places and "
                                     "some rows are repeated (a wrong row stride or index?)",
                                     displaced, rows),
             {evidence("displaced_rows", std::to_string(displaced)), evidence("example", examples)}},
            f);
}

void test_prefix(const Subject& s, Findings& out) {
    if (!s.same_count()) return;
    const TypeInfo* type = find_type(s.info.type);
    const std::uint64_t n_ok = s.agreement.first_mismatch, n = s.n();
    const std::uint64_t minimum = std::max<std::uint64_t>(16, type ? type->block_size : 1);
    out.tested.push_back("prefix_only");
    if (n_ok < minimum || n_ok >= n) return;
    const std::uint64_t tail_within = s.agreement.within - n_ok;
    if (2 * tail_within >= n - n_ok) return;  // most of the rest agrees: scattered errors, not a cut-off
    const std::uint64_t len = s.row_length();
    std::vector<model::Evidence> ev = {evidence("first_wrong_index", std::to_string(n_ok)),
                                       evidence("right_values", fmt::format("{} of {}", n_ok, n)),
                                       evidence("right_rows", fmt::format("{} rows + {} values (rows of {})", n_ok / len, n_ok % len, len))};
    if (type && n_ok % type->block_size == 0)
        ev.push_back(evidence("right_bytes_in_file", std::to_string(n_ok / type->block_size * type->type_size)));
    out.add({"prefix_only",
             fmt::format("only the first {} values are right (the rest: {}): a copy or read that stopped short, or a "
                         "size computed for another type",
                         n_ok, describe_rows(s.theirs.subspan(n_ok))),
             std::move(ev)},
            Fit{n, s.agreement.within, 1});
}

}  // namespace

void test_rows(const Subject& s, Findings& out) {
    test_row_count(s, out);
    test_padding_rows(s, out);
    if (out.has("qk_rope_layout")) return;  // a specific row permutation already named
    test_rows_permuted(s, out);
    if (out.fits.empty()) test_prefix(s, out);
}

}  // namespace gguf::audit::detail
