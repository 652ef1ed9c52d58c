// ggml's GGUF reader and llama.cpp's model loader, on the file's structure: what libgguf reads but
// ggml refuses (see gguf_init_from_file and llama_model_loader in the reference release).
#include <fmt/format.h>

#include "rules.hpp"

namespace gguf::deploy::detail {
namespace {

// The CPU buffer's alignment (ggml-cpu's TENSOR_ALIGNMENT): llama.cpp maps the data section in place,
// so the section must start on it.
constexpr std::uint64_t kCpuBufferAlignment = 32;

bool refused_by_ggml(IssueKind kind) {
    switch (kind) {
        case IssueKind::duplicate_key:
        case IssueKind::duplicate_tensor:
        case IssueKind::unknown_type:
        case IssueKind::removed_type:
        case IssueKind::not_block_multiple:
        case IssueKind::long_tensor_name:
        case IssueKind::alignment_not_u32:
        case IssueKind::not_contiguous:
        case IssueKind::tensor_misaligned:
        case IssueKind::tensors_overlap:
        case IssueKind::data_gap:
        case IssueKind::tensor_out_of_bounds: return true;
        case IssueKind::trailing_bytes:
        case IssueKind::invalid_utf8: return false;
    }
    return false;
}

std::string what_ggml_does(IssueKind kind) {
    switch (kind) {
        case IssueKind::duplicate_key: return "ggml's reader refuses a duplicate key";
        case IssueKind::duplicate_tensor: return "ggml's reader refuses a duplicate tensor name";
        case IssueKind::unknown_type: return "ggml's reader refuses a type id it does not have";
        case IssueKind::removed_type: return "ggml's reader refuses a removed type (its size is 0 there)";
        case IssueKind::not_block_multiple: return "ggml's reader refuses a row that is not whole blocks";
        case IssueKind::long_tensor_name: return "ggml's reader refuses a tensor name of 64 bytes or more";
        case IssueKind::alignment_not_u32: return "ggml's reader refuses general.alignment of a type other than uint32";
        case IssueKind::tensor_out_of_bounds: return "llama.cpp refuses tensor data that is not within the file";
        default: return "ggml's reader requires each tensor right after the previous one, padded to the alignment";
    }
}

}  // namespace

void check_reader(const Container& model, Verdict& v) {
    for (std::size_t i = 0; i < model.shards().size(); ++i) {
        const Shard& s = model.shards()[i];
        const std::string where = model.is_split() ? s.path.filename().string() + ": " : "";
        if (s.byte_order == ByteOrder::big)
            v.refuse(LoadStage::reader, "", where + "big-endian file: ggml reads the version as " +
                                                fmt::format("{:#010x}", __builtin_bswap32(s.version)) +
                                                " and refuses it (a little-endian host cannot load it)");
        else if (s.version == 1)
            v.refuse(LoadStage::reader, "", where + "GGUF version 1: ggml no longer reads it");
        if (s.n_tensors > 0 && s.data_offset % kCpuBufferAlignment != 0)
            v.refuse(LoadStage::reader, "general.alignment",
                     where + fmt::format("the data section starts at byte {}, not a multiple of {}: llama.cpp "
                                         "cannot map it (alignment {})",
                                         s.data_offset, kCpuBufferAlignment, s.alignment));
    }
    bool layout_reported = false;  // one layout reason is enough: ggml stops at the first tensor out of place
    for (const StructuralIssue& issue : model.issues()) {
        if (!refused_by_ggml(issue.kind)) continue;
        const bool layout = issue.kind == IssueKind::not_contiguous || issue.kind == IssueKind::tensor_misaligned ||
                            issue.kind == IssueKind::tensors_overlap || issue.kind == IssueKind::data_gap;
        if (layout && layout_reported) continue;
        layout_reported = layout_reported || layout;
        const std::string where = model.is_split() ? model.shards()[issue.shard].path.filename().string() + ": " : "";
        v.refuse(LoadStage::reader, issue.subject, where + what_ggml_does(issue.kind) + ": " + issue.message,
                 issue.shard == 0 ? issue.offset : 0);
    }
}

}  // namespace gguf::deploy::detail
