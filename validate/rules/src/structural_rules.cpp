// Structural issues libgguf found while parsing, as findings. These are facts about bytes, so their
// severity never depends on what the values look like.
#include "gguf/rules/codes.hpp"
#include "rule_context.hpp"

namespace gguf::rules {
namespace {

struct IssueCode {
    IssueKind kind;
    std::string_view code;
    std::string_view hint;
};

constexpr IssueCode kIssueCodes[] = {
    {IssueKind::tensor_out_of_bounds, code::out_of_bounds,
     "The file is shorter than its tensor table says: usually an interrupted download or copy. Compare the "
     "file size and checksum with the source."},
    {IssueKind::tensor_misaligned, code::misaligned,
     "The writer did not pad tensor data to general.alignment. Rewrite the file with a conforming writer."},
    {IssueKind::tensors_overlap, code::overlap,
     "Two tensor infos point at the same bytes: a writer computed a wrong offset. At least one of the "
     "tensors reads another's data."},
    {IssueKind::not_block_multiple, code::not_block_multiple,
     "The row length cannot be stored in this quantization type; the converter chose a type the shape "
     "does not allow."},
    {IssueKind::unknown_type, code::unknown_type, "The type id is not one ggml assigned: corrupted tensor info or a fork's private type."},
    {IssueKind::removed_type, code::removed_type, "Re-quantize from the original weights with a current llama.cpp."},
    {IssueKind::duplicate_key, code::duplicate_key, "ggml refuses files with a repeated key; remove the duplicate."},
    {IssueKind::duplicate_tensor, code::duplicate_tensor_name, "ggml refuses files with a repeated tensor name."},
    {IssueKind::data_gap, code::data_gap, "Harmless for this reader; ggml's loader requires packed data (see GD-S010)."},
    {IssueKind::not_contiguous, code::not_contiguous,
     "ggml's loader expects each tensor right after the previous one; rewrite the file with a conforming writer."},
    {IssueKind::trailing_bytes, code::trailing_bytes, "Harmless unless the file was expected to end there (an append or a concatenation)."},
    {IssueKind::invalid_utf8, code::invalid_utf8, "Loaders that decode names as UTF-8 may fail; re-export the file."},
    {IssueKind::long_tensor_name, code::long_tensor_name, "ggml truncates or refuses names of 64 bytes or more."},
    {IssueKind::alignment_not_u32, code::alignment_not_u32, "ggml reads general.alignment only as a uint32."},
};

}  // namespace

void structural_rules(RuleContext& ctx) {
    for (const StructuralIssue& issue : ctx.model.issues()) {
        const IssueCode* mapping = nullptr;
        for (const auto& m : kIssueCodes)
            if (m.kind == issue.kind) mapping = &m;
        // An issue kind added to libgguf after this table: still reported, under its own name.
        const std::string_view c = mapping ? mapping->code : code::unparsable;
        auto f = add_finding(ctx.findings, c, issue.subject, issue.message);
        f.evidence("issue", std::string(issue_kind_name(issue.kind))).evidence("byte_offset", issue.offset);
        if (ctx.model.is_split()) f.evidence("shard", ctx.model.shards()[issue.shard].path.filename().string());
        if (mapping) f.hint(std::string(mapping->hint));
    }
}

}  // namespace gguf::rules
