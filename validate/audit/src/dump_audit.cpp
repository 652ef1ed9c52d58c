#include "gguf/audit/dump_audit.hpp"

#include <algorithm>
#include <map>

#include "tensor_context.hpp"

namespace gguf::audit {

std::uint64_t DumpAudit::count(TensorStatus status) const {
    return static_cast<std::uint64_t>(
        std::count_if(tensors.begin(), tensors.end(), [&](const TensorAudit& t) { return t.status == status; }));
}

bool DumpAudit::passed() const {
    const std::uint64_t compared = count(TensorStatus::match) + count(TensorStatus::mismatch);
    return compared > 0 && count(TensorStatus::mismatch) == 0 && count(TensorStatus::unreadable) == 0 &&
           (allow_missing || count(TensorStatus::missing) == 0) && (allow_extra || count(TensorStatus::extra) == 0);
}

Result<DumpAudit> audit_dump(const Container& model, const std::filesystem::path& dir, const DumpAuditOptions& options) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return Error{ErrorCode::io_error, 0, "not a folder of .npy files", dir.string()};
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().extension() == ".npy") files.push_back(entry.path());
    if (ec) return Error{ErrorCode::io_error, 0, ec.message(), dir.string()};
    std::sort(files.begin(), files.end());

    const auto selected = [&](std::string_view name) { return !options.select || options.select(name); };
    DumpAudit audit;
    audit.dir = dir;
    audit.allow_missing = options.allow_missing;
    audit.allow_extra = options.allow_extra;

    std::map<std::string, std::filesystem::path, std::less<>> by_tensor;
    std::vector<TensorAudit> extra;
    for (const auto& file : files) {
        const std::string name = options.names.to_gguf(file.stem().string());
        TensorAudit t;
        t.name = name;
        t.file = file;
        t.status = TensorStatus::extra;
        if (!model.find_tensor(name)) {
            if (selected(name)) extra.push_back(std::move(t));
            continue;
        }
        if (!selected(name)) continue;
        if (auto [it, added] = by_tensor.emplace(name, file); !added) {
            t.problem = "another file (" + it->second.filename().string() + ") is already compared with this tensor";
            extra.push_back(std::move(t));
        }
    }

    const detail::ModelFacts facts = detail::model_facts(model);
    std::vector<const TensorInfo*> todo;
    for (const TensorInfo& t : model.tensors())
        if (selected(t.name)) todo.push_back(&t);
    std::uint64_t done = 0;
    for (const TensorInfo* tensor : todo) {
        const auto file = by_tensor.find(tensor->name);
        if (file == by_tensor.end()) {
            TensorAudit t;
            t.name = tensor->name;
            t.type = tensor->type;
            t.status = TensorStatus::missing;
            t.file = dir / (options.names.to_theirs(tensor->name) + ".npy");
            audit.tensors.push_back(std::move(t));
        } else if (auto array = read_npy(file->second); !array) {
            TensorAudit t;
            t.name = tensor->name;
            t.type = tensor->type;
            t.file = file->second;
            t.status = TensorStatus::unreadable;
            t.problem = array.error().describe();
            audit.tensors.push_back(std::move(t));
        } else {
            TensorAudit t = detail::audit_with_facts(model, *tensor, facts, *array, options.tensor);
            t.file = file->second;
            audit.tensors.push_back(std::move(t));
        }
        if (options.progress) options.progress(++done, todo.size());
    }
    for (auto& t : extra) audit.tensors.push_back(std::move(t));
    return audit;
}

}  // namespace gguf::audit
