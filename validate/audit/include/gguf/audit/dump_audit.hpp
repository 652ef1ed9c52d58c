// `audit --dump DIR`: every tensor a loader dumped as .npy, against the reference decoding of the GGUF
// file, with missing and extra files listed. docs/audit.md says how to write the dump.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

#include "gguf/audit/names.hpp"
#include "gguf/audit/tensor_audit.hpp"
#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::audit {

struct DumpAuditOptions {
    NameMap names;                  // file names -> GGUF names (identity by default)
    TensorAuditOptions tensor;
    // The GGUF tensors to audit (files of other tensors are ignored); every tensor when empty.
    std::function<bool(std::string_view)> select;
    bool allow_missing = false;     // tensors without a file do not fail the audit
    bool allow_extra = false;       // files that map to no tensor do not fail the audit
    // Called after each tensor with (tensors done, tensors to do).
    std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct DumpAudit {
    std::filesystem::path dir;
    // The selected tensors in the model's order (missing ones included), then the extra files.
    std::vector<TensorAudit> tensors;
    bool allow_missing = false;
    bool allow_extra = false;

    std::uint64_t count(TensorStatus status) const;
    // Every compared tensor matches, at least one was compared, and nothing is missing or extra
    // unless allowed.
    bool passed() const;
};

// Fails (io_error) only when `dir` cannot be listed; unreadable files are reported per tensor.
Result<DumpAudit> audit_dump(const Container& model, const std::filesystem::path& dir, const DumpAuditOptions& options = {});

}  // namespace gguf::audit
