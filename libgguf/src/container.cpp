#include "gguf/container.hpp"

#include <limits>
#include <unordered_map>

#include "container_assembly.hpp"
#include "container_impl.hpp"
#include "shard_parser.hpp"
#include "split_files.hpp"
#include "tensor_layout.hpp"

namespace gguf {

std::string_view severity_name(Severity s) {
    switch (s) {
        case Severity::info: return "info";
        case Severity::warning: return "warning";
        case Severity::error: return "error";
    }
    return "?";
}

std::string_view issue_kind_name(IssueKind kind) {
    switch (kind) {
        case IssueKind::tensor_out_of_bounds: return "tensor_out_of_bounds";
        case IssueKind::tensor_misaligned: return "tensor_misaligned";
        case IssueKind::tensors_overlap: return "tensors_overlap";
        case IssueKind::not_block_multiple: return "not_block_multiple";
        case IssueKind::unknown_type: return "unknown_type";
        case IssueKind::removed_type: return "removed_type";
        case IssueKind::duplicate_key: return "duplicate_key";
        case IssueKind::duplicate_tensor: return "duplicate_tensor";
        case IssueKind::data_gap: return "data_gap";
        case IssueKind::not_contiguous: return "not_contiguous";
        case IssueKind::trailing_bytes: return "trailing_bytes";
        case IssueKind::invalid_utf8: return "invalid_utf8";
        case IssueKind::long_tensor_name: return "long_tensor_name";
        case IssueKind::alignment_not_u32: return "alignment_not_u32";
    }
    return "unknown";
}

Container::Container() : impl_(std::make_unique<Impl>()) {}
Container::Container(Container&&) noexcept = default;
Container& Container::operator=(Container&&) noexcept = default;
Container::~Container() = default;

std::uint32_t Container::version() const { return impl_->shards.front().version; }
ByteOrder Container::byte_order() const { return impl_->shards.front().byte_order; }
std::uint64_t Container::alignment() const { return impl_->shards.front().alignment; }
std::uint64_t Container::data_offset() const { return impl_->shards.front().data_offset; }
const std::vector<Shard>& Container::shards() const { return impl_->shards; }
const std::vector<MetadataEntry>& Container::metadata() const { return impl_->metadata; }
const std::vector<TensorInfo>& Container::tensors() const { return impl_->tensors; }
const std::vector<StructuralIssue>& Container::issues() const { return impl_->issues; }

const Value* Container::find(std::string_view key) const {
    auto it = impl_->key_index.find(key);
    return it == impl_->key_index.end() ? nullptr : &impl_->metadata[it->second].value;
}

std::optional<std::string_view> Container::get_string(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->try_string() : std::nullopt;
}

std::optional<std::uint64_t> Container::get_u64(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->try_u64() : std::nullopt;
}

std::optional<double> Container::get_f64(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->try_f64() : std::nullopt;
}

const TensorInfo* Container::find_tensor(std::string_view name) const {
    auto it = impl_->tensor_index.find(name);
    return it == impl_->tensor_index.end() ? nullptr : &impl_->tensors[it->second];
}

Result<TensorView> Container::view(const TensorInfo& t) const {
    const Shard& shard = impl_->shards.at(t.shard);
    if (!t.data_valid)
        return Error{ErrorCode::tensor_unreadable, t.info_offset,
                     "tensor '" + t.name + "' has no readable data (" + type_label(t.type) +
                         "; see the structural issues)",
                     shard.path.string()};
    if (shard.header_only)
        return Error{ErrorCode::tensor_unreadable, t.info_offset,
                     "tensor '" + t.name + "': only the header of the file was read, not the tensor data",
                     shard.path.string()};
    return TensorView{&t, shard.bytes.subspan(t.file_offset, t.n_bytes), shard.byte_order};
}

std::uint64_t Container::n_parameters() const {
    std::uint64_t n = 0;
    for (const auto& t : impl_->tensors)
        if (__builtin_add_overflow(n, t.n_elements(), &n)) return std::numeric_limits<std::uint64_t>::max();
    return n;
}

Result<Container> open(const std::filesystem::path& path, const OpenOptions& options) {
    auto first = parse_shard(path, options);
    if (!first) return first.error();

    std::vector<ParsedShard> parsed;
    if (options.load_split) {
        auto all = load_split_siblings(path, std::move(*first), options);
        if (!all) return all.error();
        parsed = std::move(*all);
    } else {
        parsed.push_back(std::move(*first));
    }

    return assemble_container(std::move(parsed), options);
}

Result<Container> assemble_container(std::vector<ParsedShard> parsed, const OpenOptions& options) {
    Container c;
    Container::Impl& impl = *c.impl_;
    for (std::size_t k = 0; k < parsed.size(); ++k) {
        ParsedShard& p = parsed[k];
        const auto shard_index = static_cast<std::uint32_t>(k);
        for (auto& issue : p.issues) issue.shard = shard_index;
        check_tensor_layout(p.shard, shard_index, p.tensors, p.issues);
        impl.issues.insert(impl.issues.end(), p.issues.begin(), p.issues.end());
        impl.tensors.insert(impl.tensors.end(), std::make_move_iterator(p.tensors.begin()),
                            std::make_move_iterator(p.tensors.end()));
        if (k == 0) impl.metadata = std::move(p.metadata);
        impl.shards.push_back(std::move(p.shard));
        impl.storage.push_back(std::move(p.storage));
    }
    if (impl.shards.size() > 1) check_split_tensor_names(impl.tensors, impl.issues);
    if (options.reject_duplicates) {
        for (const auto& issue : impl.issues) {
            if (issue.kind != IssueKind::duplicate_key && issue.kind != IssueKind::duplicate_tensor) continue;
            const bool key = issue.kind == IssueKind::duplicate_key;
            return Error{key ? ErrorCode::duplicate_key : ErrorCode::duplicate_tensor, issue.offset,
                         std::string(key ? "key '" : "tensor '") + issue.subject + "' appears more than once",
                         impl.shards[issue.shard].path.string()};
        }
    }
    impl.build_indexes();
    return c;
}

}  // namespace gguf
