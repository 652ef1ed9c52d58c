#include "tensor_layout.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "checked_math.hpp"

namespace gguf {
namespace {

constexpr std::size_t kMaxNameForGgml = 64;  // ggml's GGML_MAX_NAME, including the terminating zero

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

void check_tensor_layout(const Shard& shard, std::uint32_t shard_index, std::vector<TensorInfo>& tensors,
                         std::vector<StructuralIssue>& issues) {
    auto add = [&](IssueKind kind, Severity sev, std::uint64_t offset, const std::string& subject, std::string msg) {
        issues.push_back(StructuralIssue{kind, sev, shard_index, offset, subject, std::move(msg)});
    };

    std::unordered_map<std::string_view, std::size_t> first_by_name;
    for (auto& t : tensors) {
        t.shard = shard_index;
        t.data_valid = false;
        if (!first_by_name.emplace(t.name, &t - tensors.data()).second)
            add(IssueKind::duplicate_tensor, Severity::error, t.info_offset, t.name,
                "tensor name appears more than once; ggml refuses the file");
        if (!is_valid_utf8(t.name))
            add(IssueKind::invalid_utf8, Severity::warning, t.info_offset, t.name, "tensor name is not valid UTF-8");
        if (t.name.size() >= kMaxNameForGgml)
            add(IssueKind::long_tensor_name, Severity::warning, t.info_offset, t.name,
                "tensor name has " + std::to_string(t.name.size()) + " bytes; ggml accepts at most " +
                    std::to_string(kMaxNameForGgml - 1));

        const TypeInfo* type = find_type(t.type);
        if (!type) {
            add(IssueKind::unknown_type, Severity::error, t.info_offset, t.name,
                "type id " + std::to_string(t.type) + " is not a ggml type");
            continue;
        }
        if (type->removed) {
            add(IssueKind::removed_type, Severity::error, t.info_offset, t.name,
                "type " + std::string(type->name) + " was removed from ggml; current readers refuse it");
        }
        if (t.ne[0] % type->block_size != 0) {
            add(IssueKind::not_block_multiple, Severity::error, t.info_offset, t.name,
                "row length ne[0]=" + std::to_string(t.ne[0]) + " is not a multiple of the " + std::string(type->name) +
                    " block size " + std::to_string(type->block_size));
            continue;
        }
        const auto size = byte_size(t.type, t.n_elements());
        if (!size) continue;  // removed type without a known layout, or overflow
        t.n_bytes = *size;

        const auto start = checked_add(shard.data_offset, t.offset);
        const auto end = start ? checked_add(*start, t.n_bytes) : std::nullopt;
        t.file_offset = start.value_or(0);
        if (!end || *end > shard.file_size) {
            add(IssueKind::tensor_out_of_bounds, Severity::error, t.info_offset, t.name,
                "data at " + (start ? std::to_string(*start) : std::string("an overflowing offset")) + " + " +
                    std::to_string(t.n_bytes) + " bytes ends past the end of the file (" +
                    std::to_string(shard.file_size) + " bytes); the file may be truncated");
            continue;
        }
        if (t.offset % shard.alignment != 0)
            add(IssueKind::tensor_misaligned, Severity::error, t.info_offset, t.name,
                "offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                    std::to_string(shard.alignment));
        t.data_valid = !type->removed;
    }

    // Overlaps and gaps, in offset order, among tensors whose extent is known.
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < tensors.size(); ++i)
        if (tensors[i].n_bytes > 0 && tensors[i].file_offset != 0) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return tensors[a].offset < tensors[b].offset; });
    std::uint64_t cursor = 0;  // end of the furthest tensor so far, relative to the data section
    const TensorInfo* furthest = nullptr;
    for (std::size_t i : order) {
        const TensorInfo& t = tensors[i];
        if (furthest && t.offset < cursor) {
            add(IssueKind::tensors_overlap, Severity::error, t.info_offset, t.name,
                "data [" + std::to_string(t.offset) + ", " + std::to_string(t.offset + t.n_bytes) +
                    ") overlaps tensor " + in_quotes(furthest->name) + " which ends at " + std::to_string(cursor));
        } else if (auto padded = align_up(cursor, shard.alignment); padded && t.offset > *padded) {
            add(IssueKind::data_gap, Severity::info, shard.data_offset + cursor, t.name,
                std::to_string(t.offset - *padded) + " unused bytes before this tensor");
        }
        if (t.offset + t.n_bytes > cursor) {
            cursor = t.offset + t.n_bytes;
            furthest = &t;
        }
    }
    if (!order.empty()) {
        const auto padded_end = align_up(shard.data_offset + cursor, shard.alignment);
        if (padded_end && shard.file_size > *padded_end)
            add(IssueKind::trailing_bytes, Severity::info, *padded_end, "",
                std::to_string(shard.file_size - *padded_end) + " bytes after the last tensor's data");
    }

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
        const auto next = align_up(expected + t.n_bytes, shard.alignment);
        if (!next) break;
        expected = *next;
    }
}

}  // namespace gguf
