// Value rules for one tensor. Errors only for what trained weights cannot be: NaN, infinity, an
// all-zero weight, non-finite block scales, bytes of another float format. Everything merely unusual
// is a warning with its numbers, or a note saying what is known about it.
#include <algorithm>
#include <cmath>

#include "gguf/rules/codes.hpp"
#include "value_rules.hpp"

namespace gguf::rules {
namespace {

std::string type_name(const TensorInfo& t) { return type_label(t.type); }

// Rows a vocabulary-sized tensor may legitimately have zero: rows past the token list, padding tokens,
// and control tokens that were never seen in training (Llama 3's reserved special tokens are zero).
std::uint64_t untrained_vocab_rows(const RuleContext& ctx, const TensorEvidence& e) {
    std::uint64_t rows = ctx.vocab.unused_tokens + ctx.vocab.control_tokens;
    if (e.stats && e.stats->n_rows > ctx.vocab.n_tokens && ctx.vocab.n_tokens > 0) rows += e.stats->n_rows - ctx.vocab.n_tokens;
    return rows;
}

bool vocab_sized(const TensorEvidence& e) {
    return e.role == model::TensorRole::token_embd || e.role == model::TensorRole::output;
}

void non_finite_rules(RuleContext& ctx, const TensorEvidence& e, const ValueStats& s) {
    const std::string& name = e.tensor->name;
    if (s.nan)
        add_finding(ctx.findings, code::nan_values, name, "the tensor contains NaN values")
            .evidence("nan", s.nan)
            .evidence("count", s.count)
            .evidence("type", type_name(*e.tensor))
            .hint("One NaN weight turns every activation it touches into NaN. Corrupted bytes, a wrong byte "
                  "order, or a float format mix-up (see GD-W005/GD-W006 on the same tensor) produce them.");
    if (s.inf)
        add_finding(ctx.findings, code::inf_values, name, "the tensor contains infinite values")
            .evidence("inf", s.inf)
            .evidence("count", s.count)
            .evidence("type", type_name(*e.tensor))
            .hint("An overflow during conversion (F32 values beyond F16's 65504) or corrupted bytes.");
}

void zero_rules(RuleContext& ctx, const TensorEvidence& e, const ValueStats& s) {
    const std::string& name = e.tensor->name;
    if (s.count > 0 && s.zeros == s.count) {
        if (model::is_bias(e.role))
            add_finding(ctx.findings, code::zero_bias, name, "the bias is entirely zero: the same as no bias")
                .evidence("count", s.count)
                .hint("Harmless if the model was trained without this bias; if it was trained with one, its "
                      "values were lost in conversion.");
        else
            add_finding(ctx.findings, code::all_zero_tensor, name, "every value of this weight tensor is zero")
                .evidence("count", s.count)
                .evidence("type", type_name(*e.tensor))
                .hint("A weight that is all zero erases its layer's contribution. The converter wrote "
                      "placeholder data, or the offset points at padding.");
        return;  // the row rules say nothing more about an all-zero tensor
    }
    if (s.zero_rows == 0 || s.n_rows < 2) return;
    if (vocab_sized(e) && ctx.vocab.n_tokens > 0 && s.zero_rows <= untrained_vocab_rows(ctx, e)) {
        add_finding(ctx.findings, code::known_peculiarity, name,
                    "some vocabulary rows are all zero; the vocabulary has at least as many padding, unused or "
                    "control tokens, whose rows are commonly untrained")
            .evidence("zero_rows", s.zero_rows)
            .evidence("untrained_candidates", untrained_vocab_rows(ctx, e))
            .hint("Expected for padded vocabularies (Qwen2) and reserved special tokens (Llama 3). Generating "
                  "such a token yields a zero embedding.");
        return;
    }
    add_finding(ctx.findings, code::zero_rows, name, "rows that are entirely zero")
        .evidence("zero_rows", s.zero_rows)
        .evidence("rows", s.n_rows)
        .hint("Trained rows are never exactly zero. A zeroed or truncated region of the data, or rows the "
              "converter did not fill.");
}

void extreme_row_rule(RuleContext& ctx, const TensorEvidence& e, const ValueStats& s) {
    if (s.n_rows < 8 || s.rms <= 0 || !std::isfinite(s.max_row_rms)) return;
    // Compared with the rms of the other rows: the row itself would dominate the tensor's rms.
    const double n = static_cast<double>(s.count - s.nan - s.inf);
    const double row_len = n / static_cast<double>(s.n_rows);
    const double rest_sq = (s.rms * s.rms * n - s.max_row_rms * s.max_row_rms * row_len) / (n - row_len);
    if (!(rest_sq > 0)) return;
    const double rest_rms = std::sqrt(rest_sq);
    const double ratio = s.max_row_rms / rest_rms;
    if (ratio <= ctx.settings.thresholds.extreme_row_ratio) return;
    add_finding(ctx.findings, code::extreme_rows, e.tensor->name, "a row's rms is far above the tensor's")
        .evidence("row", s.max_row)
        .evidence("row_rms", s.max_row_rms)
        .evidence("other_rows_rms", rest_rms)
        .evidence("ratio", ratio)
        .evidence("threshold", ctx.settings.thresholds.extreme_row_ratio)
        .hint("Trained rows vary by a few times, not by orders of magnitude. Dump the row (gguf-doctor dump) "
              "and compare with the source checkpoint; a corrupted block scale produces this.");
}

void block_rules(RuleContext& ctx, const TensorEvidence& e, const BlockScan& b) {
    const std::string& name = e.tensor->name;
    const Thresholds& t = ctx.settings.thresholds;
    if (!b.has_scales) return;
    if (b.non_finite_scales)
        add_finding(ctx.findings, code::non_finite_scales, name, "block scales that are NaN or infinite")
            .evidence("non_finite_scales", b.non_finite_scales)
            .evidence("scales", b.scales)
            .evidence("first_block", b.first_non_finite_block)
            .evidence("type", type_name(*e.tensor))
            .hint("A quantizer never writes a non-finite scale: the block bytes are corrupted or misaligned "
                  "(a wrong tensor offset makes quant bytes be read as scales).");
    if (b.scale_abs_p99 > 0 && b.scale_abs_max > t.block_scale_outlier_ratio * b.scale_abs_p99)
        add_finding(ctx.findings, code::block_scale_outliers, name, "a block scale far above the tensor's other scales")
            .evidence("max_scale", b.scale_abs_max)
            .evidence("block", b.scale_abs_max_block)
            .evidence("p99_scale", b.scale_abs_p99)
            .evidence("ratio", b.scale_abs_max / b.scale_abs_p99)
            .evidence("threshold", t.block_scale_outlier_ratio)
            .hint("Block scales follow the magnitudes of the weights, which vary by tens of times at most. "
                  "The scale's bytes were altered; dump the tensor with --raw to see the block.");
    if (b.has_fill && b.fill_blocks > 0) {
        const double fraction = static_cast<double>(b.underfilled_blocks) / static_cast<double>(b.fill_blocks);
        if (fraction > t.underfilled_block_fraction)
            add_finding(ctx.findings, code::implausible_quantization, name,
                        "quantized blocks use less than half of their code range, so their error is more than twice "
                        "what their own scales allow")
                .evidence("underfilled_blocks", b.underfilled_blocks)
                .evidence("blocks_examined", b.fill_blocks)
                .evidence("fraction", fraction)
                .evidence("first_block", b.first_underfilled_block)
                .evidence("type", type_name(*e.tensor))
                .hint("ggml's quantizers put each block's largest value on the extreme code. Quant bits that "
                      "were altered, or blocks written by a quantizer with another layout, do not.");
    }
}

std::string describe(const MagnitudeProfile& p) {
    return "median |x| 2^" + format_number(std::round(p.median_log2 * 10) / 10) + ", spread " +
           format_number(std::round(p.spread_log2 * 100) / 100) + " binades, " +
           format_number(std::round(p.negative_fraction * 1000) / 10) + "% negative, " +
           format_number(std::round(p.non_finite_fraction * 10000) / 100) + "% non-finite";
}

void float_format_rules(RuleContext& ctx, const TensorEvidence& e, const FloatFormatSample& f) {
    // Profiles need enough values, and only weight matrices have the profile plausible_matrix() knows.
    if (!e.matrix || e.tensor->n_elements() < 4096) return;
    const MagnitudeProfile& declared = f.declared_profile();
    // An all-zero tensor has its own finding; zeros have no magnitude profile.
    if (declared.zero_fraction > 0.99 || plausible_matrix(declared)) return;
    const FloatReading* better = nullptr;
    for (std::size_t i = 1; i < f.readings.size(); ++i)
        if (plausible_matrix(f.readings[i].second)) {
            better = &f.readings[i].first;
            break;
        }
    const std::string& name = e.tensor->name;
    const std::string declared_name(reading_name(f.declared));
    if (!better) {
        // NaN/Inf are reported by their own rules; say more only about finite values that look wrong.
        if (declared.non_finite_fraction > 0) return;
        add_finding(ctx.findings, code::implausible_values, name,
                    "the values do not look like trained weights under any float reading")
            .evidence("as_" + declared_name, describe(declared))
            .hint("Weight matrices are signed with a median magnitude between 1e-6 and 256 spread over a few "
                  "binades. Nothing more is known: compare with the source checkpoint.");
        return;
    }
    const std::string better_name(reading_name(*better));
    const MagnitudeProfile& alt = std::find_if(f.readings.begin(), f.readings.end(), [&](const auto& r) { return r.first == *better; })->second;
    const bool swapped = *better == FloatReading::f32_swapped || *better == FloatReading::f16_swapped ||
                         *better == FloatReading::bf16_swapped;
    auto finding = add_finding(ctx.findings, swapped ? code::byte_swapped : code::wrong_float_format, name,
                               "the bytes are " + better_name + " data, but the tensor type says " + declared_name);
    finding.evidence("as_" + declared_name, describe(declared)).evidence("as_" + better_name, describe(alt));
    if (swapped)
        finding.hint("The data is in the other byte order than the file's header says: a big-endian tensor in a "
                     "little-endian file (or the reverse). Convert the whole file with gguf-py's "
                     "gguf_convert_endian, or re-export it.");
    else
        finding.hint("The writer stored " + better_name + " values under the " + declared_name +
                     " type id: every loader decodes them wrongly. Fix the converter's type mapping and re-export.");
}

}  // namespace

TensorEvidence classify(const TensorInfo& tensor) {
    TensorEvidence e;
    e.tensor = &tensor;
    const model::TensorName parsed = model::parse_tensor_name(tensor.name);
    e.layer = parsed.layer;
    e.group = parsed.group();
    e.role = model::role_from_name(tensor.name);
    // llama.cpp's names cover the modelled roles; for other architectures a 1-D "...norm.weight" is a
    // normalization gain under the same convention.
    e.norm = tensor.n_dims == 1 && (model::is_norm(e.role) || (parsed.base.ends_with("norm") && parsed.suffix == "weight"));
    e.matrix = tensor.n_dims == 2 && (model::is_matrix(e.role) || (e.role == model::TensorRole::other && parsed.suffix == "weight"));
    return e;
}

void tensor_value_rules(RuleContext& ctx, const TensorEvidence& e) {
    if (!e.tensor->data_valid) return;  // structural findings already explain why
    if (!e.stats) {
        add_finding(ctx.findings, code::values_not_checked, e.tensor->name,
                    "gguf-doctor cannot decode this tensor type, so its values were not checked")
            .evidence("type", type_name(*e.tensor))
            .hint("Structure, shape and block scales (where known) were still checked. docs/dequant.md lists the "
                  "supported types.");
    } else {
        non_finite_rules(ctx, e, *e.stats);
        zero_rules(ctx, e, *e.stats);
        if (e.stats->zeros < e.stats->count) extreme_row_rule(ctx, e, *e.stats);
        code_usage_rules(ctx, e, *e.stats);
    }
    if (e.blocks) block_rules(ctx, e, *e.blocks);
    if (e.format) float_format_rules(ctx, e, *e.format);
}

}  // namespace gguf::rules
