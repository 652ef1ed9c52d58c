#include "tensor_layout.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "checked_math.hpp"

namespace gguf {
namespace {

// What to make of a removed type instead: the interleaved types became a load-time repacking of the
// plain one in current llama.cpp, so a file of Q4_0 (IQ4_NL) gets the same speed.
std::string requantize_advice(TypeId removed) {
    switch (removed) {
        case TypeId::Q4_0_4_4: case TypeId::Q4_0_4_8: case TypeId::Q4_0_8_8:
            return "Re-quantize the original weights to Q4_0 (llama-quantize model-f16.gguf out.gguf Q4_0): current "
                   "llama.cpp repacks Q4_0 into this interleaved layout itself when it loads the file.";
        case TypeId::IQ4_NL_4_4: case TypeId::IQ4_NL_4_8: case TypeId::IQ4_NL_8_8:
            return "Re-quantize the original weights to IQ4_NL (llama-quantize model-f16.gguf out.gguf IQ4_NL): current "
                   "llama.cpp repacks IQ4_NL into this interleaved layout itself when it loads the file.";
        default:
            return "Re-quantize the original weights with a current llama.cpp (llama-quantize model-f16.gguf out.gguf "
                   "Q4_0, or Q4_K_M).";
    }
}

constexpr std::size_t kMaxNameForGgml = 64;  // ggml's GGML_MAX_NAME, including the terminating zero

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

struct Extent {
    std::uint64_t begin;  // relative to the data section
    std::uint64_t end;
    const TensorInfo* tensor;
};

}  // namespace

void check_tensor_layout(const Shard& shard, std::uint32_t shard_index, std::vector<TensorInfo>& tensors,
                         std::vector<StructuralIssue>& issues) {
    auto add = [&](IssueKind kind, Severity sev, std::uint64_t offset, const std::string& subject, std::string msg) {
        issues.push_back(StructuralIssue{kind, sev, shard_index, offset, subject, std::move(msg)});
    };

    std::unordered_map<std::string_view, std::size_t> first_by_name;
    first_by_name.reserve(tensors.size());
    std::vector<Extent> extents;  // tensors whose bytes lie inside the file
    extents.reserve(tensors.size());
    bool any_out_of_bounds = false;
    for (auto& t : tensors) {
        t.shard = shard_index;
        t.data_valid = false;
        t.n_bytes = 0;
        if (!first_by_name.emplace(t.name, &t - tensors.data()).second)
            add(IssueKind::duplicate_tensor, Severity::error, t.info_offset, t.name,
                "tensor name appears more than once; the first one is used here, ggml refuses the file");
        if (!is_valid_utf8(t.name))
            add(IssueKind::invalid_utf8, Severity::warning, t.info_offset, t.name, "tensor name is not valid UTF-8");
        if (t.name.size() >= kMaxNameForGgml)
            add(IssueKind::long_tensor_name, Severity::warning, t.info_offset, t.name,
                "tensor name has " + std::to_string(t.name.size()) + " bytes; ggml accepts at most " +
                    std::to_string(kMaxNameForGgml - 1));

        const auto start = checked_add(shard.data_offset, t.offset);
        t.file_offset = start.value_or(std::numeric_limits<std::uint64_t>::max());
        if (t.offset % shard.alignment != 0)
            add(IssueKind::tensor_misaligned, Severity::error, t.info_offset, t.name,
                "offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                    std::to_string(shard.alignment));

        const TypeInfo* type = find_type(t.type);
        if (!type) {
            add(IssueKind::unknown_type, Severity::error, t.info_offset, t.name,
                "type id " + std::to_string(t.type) + " is not a ggml type; its size is unknown");
            continue;
        }
        if (type->removed)
            add(IssueKind::removed_type, Severity::error, t.info_offset, t.name,
                "type " + std::string(type->name) + " (id " + std::to_string(t.type) +
                    ") was removed from ggml; llama.cpp refuses the file. " + requantize_advice(type->id));
        if (t.ne[0] % type->block_size != 0) {
            add(IssueKind::not_block_multiple, Severity::error, t.info_offset, t.name,
                "row length ne[0]=" + std::to_string(t.ne[0]) + " is not a multiple of the " + std::string(type->name) +
                    " block size " + std::to_string(type->block_size));
            continue;
        }
        const auto size = byte_size(t.type, t.n_elements());
        if (!size) {
            any_out_of_bounds = true;
            add(IssueKind::tensor_out_of_bounds, Severity::error, t.info_offset, t.name,
                "the tensor's size in bytes does not fit in 64 bits");
            continue;
        }
        t.n_bytes = *size;
        const auto end = start ? checked_add(*start, *size) : std::nullopt;
        if (!end) {
            any_out_of_bounds = true;
            add(IssueKind::tensor_out_of_bounds, Severity::error, t.info_offset, t.name,
                "offset " + std::to_string(t.offset) + " plus the tensor's size overflows 64 bits");
            continue;
        }
        if (*end > shard.file_size) {
            any_out_of_bounds = true;
            add(IssueKind::tensor_out_of_bounds, Severity::error, t.info_offset, t.name,
                "data [" + std::to_string(*start) + ", " + std::to_string(*end) + ") ends " +
                    std::to_string(*end - shard.file_size) + " bytes past the end of the file (" +
                    std::to_string(shard.file_size) + " bytes)" +
                    (*start < shard.file_size ? "; the file looks truncated" : ""));
            continue;
        }
        t.data_valid = !type->removed;
        if (t.n_bytes > 0) extents.push_back({t.offset, t.offset + t.n_bytes, &t});
    }

    // Overlaps and gaps among the tensors that lie inside the file, in offset order.
    std::stable_sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) { return a.begin < b.begin; });
    std::uint64_t reach = 0;  // end of the furthest tensor so far
    const TensorInfo* furthest = nullptr;
    for (const Extent& x : extents) {
        if (furthest && x.begin < reach) {
            add(IssueKind::tensors_overlap, Severity::error, x.tensor->info_offset, x.tensor->name,
                "data [" + std::to_string(x.begin) + ", " + std::to_string(x.end) + ") overlaps tensor " +
                    in_quotes(furthest->name) + ", which ends at " + std::to_string(reach) +
                    " (offsets relative to the data section)");
        } else if (const auto padded = align_up(reach, shard.alignment); padded && x.begin > *padded) {
            add(IssueKind::data_gap, Severity::info, shard.data_offset + reach, x.tensor->name,
                std::to_string(x.begin - *padded) + " unused bytes before this tensor");
        }
        if (x.end > reach) {
            reach = x.end;
            furthest = x.tensor;
        }
    }
    // Bytes after the last tensor (or after the header of a file without tensor data) beyond padding.
    // Not said of a truncated file, whose last bytes belong to a tensor that does not fit.
    if (const auto padded_end = align_up(shard.data_offset + reach, shard.alignment);
        !any_out_of_bounds && padded_end && shard.file_size > *padded_end)
        add(IssueKind::trailing_bytes, Severity::info, *padded_end, "",
            std::to_string(shard.file_size - *padded_end) + " unused bytes at the end of the file");

    // ggml's loader accepts only the packed layout: each tensor right after the previous one (in info
    // order), padded to the alignment. Report the first tensor where the file departs from it.
    std::uint64_t expected = 0;
    for (const auto& t : tensors) {
        if (t.n_bytes == 0 && t.n_elements() != 0) break;  // size unknown: cannot say what comes next
        if (t.offset != expected) {
            add(IssueKind::not_contiguous, Severity::warning, t.info_offset, t.name,
                "offset " + std::to_string(t.offset) + " where the packed layout puts it at " +
                    std::to_string(expected) + "; ggml's loader refuses such files");
            break;
        }
        const auto next = checked_add(expected, t.n_bytes);
        const auto padded = next ? align_up(*next, shard.alignment) : std::nullopt;
        if (!padded) break;
        expected = *padded;
    }
}

}  // namespace gguf
