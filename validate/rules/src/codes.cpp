#include "gguf/rules/codes.hpp"

#include <algorithm>

namespace gguf::rules {
namespace {

using enum Severity;

constexpr CodeInfo kCodes[] = {
    {code::out_of_bounds, error, "tensor data past the end of the file"},
    {code::misaligned, error, "tensor data not aligned"},
    {code::overlap, error, "tensors share bytes"},
    {code::not_block_multiple, error, "row length not a multiple of the block size"},
    {code::unknown_type, error, "unknown tensor type"},
    {code::removed_type, error, "tensor type removed from ggml"},
    {code::duplicate_key, error, "duplicate metadata key"},
    {code::duplicate_tensor_name, error, "duplicate tensor name"},
    {code::data_gap, info, "unused bytes between tensors"},
    {code::not_contiguous, warning, "tensor data not in the packed order ggml requires"},
    {code::trailing_bytes, info, "bytes after the last tensor"},
    {code::invalid_utf8, warning, "name or string not valid UTF-8"},
    {code::long_tensor_name, warning, "tensor name too long for ggml"},
    {code::alignment_not_u32, warning, "general.alignment is not a uint32"},
    {code::unparsable, error, "file cannot be parsed"},

    {code::not_modelled, info, "architecture not modelled: generic checks only"},
    {code::spec_unreadable, error, "hyperparameters missing or unreadable"},
    {code::missing_tensor, error, "required tensor missing"},
    {code::missing_expected_tensor, warning, "tensor the architecture is trained with is missing"},
    {code::wrong_shape, error, "tensor shape differs from the hyperparameters"},
    {code::unexpected_tensor, error, "tensor the architecture does not have"},
    {code::tied_output, info, "no output.weight: lm_head tied to token_embd"},
    {code::heads_do_not_divide_embd, error, "n_embd not divisible by n_head"},
    {code::kv_heads_do_not_divide, error, "n_head not divisible by n_head_kv"},
    {code::eps_invalid, error, "RMSNorm epsilon not a positive finite number"},
    {code::eps_unusual, warning, "RMSNorm epsilon outside the usual range"},
    {code::rope_dims_invalid, error, "RoPE dimension count invalid for the head size"},
    {code::rope_base_invalid, error, "RoPE frequency base not a positive finite number"},
    {code::rope_scaling_unknown, warning, "unknown RoPE scaling type"},
    {code::zero_hparam, error, "a size hyperparameter is zero"},

    {code::no_token_list, warning, "no token list"},
    {code::fewer_rows_than_tokens, error, "fewer embedding rows than tokens"},
    {code::padded_rows, info, "more embedding rows than tokens (padding)"},
    {code::padding_tokens, info, "padding tokens at the end of the vocabulary"},
    {code::bos_eos_out_of_range, error, "BOS/EOS token id out of range"},
    {code::special_out_of_range, warning, "special token id out of range"},
    {code::invalid_token_type, error, "invalid token type"},
    {code::non_finite_score, error, "token score not finite"},
    {code::vocab_lengths_disagree, error, "tokenizer arrays disagree in length"},
    {code::malformed_merge, error, "malformed BPE merge"},
    {code::merge_not_in_vocab, warning, "BPE merges whose parts or result are not tokens"},

    {code::no_tokenizer, warning, "no tokenizer"},
    {code::unknown_tokenizer, error, "tokenizer model unknown to llama.cpp"},
    {code::unsupported_tokenizer, info, "tokenizer model not implemented by gguf-doctor"},
    {code::unknown_pre_tokenizer, error, "pre-tokenizer unknown to llama.cpp"},
    {code::unsupported_pre_tokenizer, info, "pre-tokenizer not implemented by gguf-doctor"},
    {code::tokenizer_metadata_invalid, error, "tokenizer metadata invalid"},

    {code::nan_values, error, "NaN in weights"},
    {code::inf_values, error, "infinity in weights"},
    {code::all_zero_tensor, error, "weight tensor entirely zero"},
    {code::non_finite_scales, error, "block scales not finite"},
    {code::wrong_float_format, error, "bytes are another float format than the tensor type says"},
    {code::byte_swapped, error, "data byte-swapped"},
    {code::norm_is_matrix_data, error, "norm vector holds matrix-like data"},
    {code::norm_outlier, warning, "norm gain an outlier among its layers"},
    {code::identical_tensors, warning, "identical tensors"},
    {code::zero_rows, warning, "all-zero rows"},
    {code::extreme_rows, warning, "rows far larger than the rest"},
    {code::implausible_quantization, warning, "quantized blocks that do not use their scale's range"},
    {code::values_not_checked, info, "values not checked: type not supported"},
    {code::zero_bias, info, "bias entirely zero"},
    {code::known_peculiarity, info, "unusual statistic with a known healthy explanation"},
    {code::output_copies_embedding, info, "output.weight is a copy of token_embd"},
    {code::zero_centred_norm, warning, "norm gains centred on zero"},
    {code::implausible_values, warning, "values unlike trained weights"},
    {code::block_scale_outliers, warning, "block scales far outside the tensor's range"},
    {code::identical_blocks, error, "a block stored with another block's weights"},
    {code::dead_expert, error, "an expert entirely zero"},
    {code::duplicate_expert, warning, "an expert stored with another expert's bytes"},
    {code::implausible_code_usage, warning, "code-book grid or sign bits used unlike any quantizer would"},
    {code::rope_pair_order, error, "Q/K rows in another RoPE pair order than the architecture rotates"},
};

}  // namespace

std::span<const CodeInfo> codes() { return kCodes; }

const CodeInfo* find_code(std::string_view c) {
    const auto it = std::find_if(std::begin(kCodes), std::end(kCodes), [&](const CodeInfo& i) { return i.code == c; });
    return it == std::end(kCodes) ? nullptr : it;
}

}  // namespace gguf::rules
