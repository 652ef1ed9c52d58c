// The catalog of finding codes the rules produce: GD-S structural, GD-A architecture and schema,
// GD-V vocabulary, GD-T tokenizer, GD-W weights and values. A code keeps its meaning forever;
// docs/findings.md explains each one (a test checks that every code here is documented there).
#pragma once

#include <span>
#include <string_view>

#include "gguf/container.hpp"

namespace gguf::rules {

struct CodeInfo {
    std::string_view code;      // "GD-W001"
    Severity severity;          // the severity findings with this code have (before --rules overrides)
    std::string_view title;     // a short name for reports: "NaN in weights"
};

std::span<const CodeInfo> codes();
const CodeInfo* find_code(std::string_view code);

// Codes, named for what they catch, so the rules and tests do not spell strings.
namespace code {
// Structure (one per libgguf IssueKind, plus the file that cannot be parsed at all).
inline constexpr std::string_view out_of_bounds = "GD-S001";
inline constexpr std::string_view misaligned = "GD-S002";
inline constexpr std::string_view overlap = "GD-S003";
inline constexpr std::string_view not_block_multiple = "GD-S004";
inline constexpr std::string_view unknown_type = "GD-S005";
inline constexpr std::string_view removed_type = "GD-S006";
inline constexpr std::string_view duplicate_key = "GD-S007";
inline constexpr std::string_view duplicate_tensor_name = "GD-S008";
inline constexpr std::string_view data_gap = "GD-S009";
inline constexpr std::string_view not_contiguous = "GD-S010";
inline constexpr std::string_view trailing_bytes = "GD-S011";
inline constexpr std::string_view invalid_utf8 = "GD-S012";
inline constexpr std::string_view long_tensor_name = "GD-S013";
inline constexpr std::string_view alignment_not_u32 = "GD-S014";
inline constexpr std::string_view unparsable = "GD-S015";
// Architecture, hyperparameters, schema.
inline constexpr std::string_view not_modelled = "GD-A001";
inline constexpr std::string_view spec_unreadable = "GD-A002";
inline constexpr std::string_view missing_tensor = "GD-A003";
inline constexpr std::string_view missing_expected_tensor = "GD-A004";
inline constexpr std::string_view wrong_shape = "GD-A005";
inline constexpr std::string_view unexpected_tensor = "GD-A006";
inline constexpr std::string_view tied_output = "GD-A007";
inline constexpr std::string_view heads_do_not_divide_embd = "GD-A008";
inline constexpr std::string_view kv_heads_do_not_divide = "GD-A009";
inline constexpr std::string_view eps_invalid = "GD-A010";
inline constexpr std::string_view eps_unusual = "GD-A011";
inline constexpr std::string_view rope_dims_invalid = "GD-A012";
inline constexpr std::string_view rope_base_invalid = "GD-A013";
inline constexpr std::string_view rope_scaling_unknown = "GD-A014";
inline constexpr std::string_view zero_hparam = "GD-A015";
// Vocabulary.
inline constexpr std::string_view no_token_list = "GD-V001";
inline constexpr std::string_view fewer_rows_than_tokens = "GD-V002";
inline constexpr std::string_view padded_rows = "GD-V003";
inline constexpr std::string_view padding_tokens = "GD-V004";
inline constexpr std::string_view bos_eos_out_of_range = "GD-V005";
inline constexpr std::string_view special_out_of_range = "GD-V006";
inline constexpr std::string_view invalid_token_type = "GD-V007";
inline constexpr std::string_view non_finite_score = "GD-V008";
inline constexpr std::string_view vocab_lengths_disagree = "GD-V009";
inline constexpr std::string_view malformed_merge = "GD-V010";
inline constexpr std::string_view merge_not_in_vocab = "GD-V011";
// Tokenizer (from the tokenizer library's load errors).
inline constexpr std::string_view no_tokenizer = "GD-T001";
inline constexpr std::string_view unknown_tokenizer = "GD-T002";
inline constexpr std::string_view unsupported_tokenizer = "GD-T003";
inline constexpr std::string_view unknown_pre_tokenizer = "GD-T004";
inline constexpr std::string_view unsupported_pre_tokenizer = "GD-T005";
inline constexpr std::string_view tokenizer_metadata_invalid = "GD-T006";
// Weights and values.
inline constexpr std::string_view nan_values = "GD-W001";
inline constexpr std::string_view inf_values = "GD-W002";
inline constexpr std::string_view all_zero_tensor = "GD-W003";
inline constexpr std::string_view non_finite_scales = "GD-W004";
inline constexpr std::string_view wrong_float_format = "GD-W005";
inline constexpr std::string_view byte_swapped = "GD-W006";
inline constexpr std::string_view norm_is_matrix_data = "GD-W007";
inline constexpr std::string_view norm_outlier = "GD-W008";
inline constexpr std::string_view identical_tensors = "GD-W009";
inline constexpr std::string_view zero_rows = "GD-W010";
inline constexpr std::string_view extreme_rows = "GD-W011";
inline constexpr std::string_view implausible_quantization = "GD-W012";
inline constexpr std::string_view values_not_checked = "GD-W013";
inline constexpr std::string_view zero_bias = "GD-W014";
inline constexpr std::string_view known_peculiarity = "GD-W015";
inline constexpr std::string_view output_copies_embedding = "GD-W016";
inline constexpr std::string_view zero_centred_norm = "GD-W017";
inline constexpr std::string_view implausible_values = "GD-W018";
inline constexpr std::string_view block_scale_outliers = "GD-W019";
// Emitted by validate/verdict (weight_evidence.hpp), registered here with every GD-W code.
inline constexpr std::string_view identical_blocks = "GD-W020";
// Experts of a 3-D expert stack (expert_rules.cpp).
inline constexpr std::string_view dead_expert = "GD-W021";
inline constexpr std::string_view duplicate_expert = "GD-W022";
inline constexpr std::string_view implausible_code_usage = "GD-W023";
// Emitted by validate/verdict (rope_pairs.hpp).
inline constexpr std::string_view rope_pair_order = "GD-W024";
}  // namespace code

}  // namespace gguf::rules
