// Saving hand-made GGUF bytes to a scratch file and opening them, for the reader's tests.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "gguf/container.hpp"
#include "libgguf/raw_gguf.hpp"
#include "support/temp_dir.hpp"

namespace gguf::test {

inline std::filesystem::path scratch_file(std::string_view stem = "f") {
    static TempDir dir;
    static unsigned n = 0;
    return dir / (std::string(stem) + std::to_string(n++) + ".gguf");
}

inline Result<Container> open_raw(const RawGguf& g, std::size_t keep = SIZE_MAX, const OpenOptions& options = {}) {
    const auto path = scratch_file();
    g.save(path, keep);
    return open(path, options);
}

inline Result<Container> open_bytes(const std::vector<std::byte>& bytes, const OpenOptions& options = {}) {
    const auto path = scratch_file();
    RawGguf::save_bytes(path, bytes);
    return open(path, options);
}

inline std::string why(const Result<Container>& r) { return r.ok() ? std::string() : r.error().describe(); }

// The error code of a failed open (fails the test when the open succeeded).
inline ErrorCode error_of(const Result<Container>& r) {
    REQUIRE_MESSAGE(!r.ok(), "the file opened although it is malformed");
    return r.error().code;
}

inline const StructuralIssue* find_issue(const Container& c, IssueKind kind, std::string_view subject = {}) {
    for (const auto& i : c.issues())
        if (i.kind == kind && (subject.empty() || i.subject == subject)) return &i;
    return nullptr;
}

inline std::size_t count_issues(const Container& c, IssueKind kind) {
    return static_cast<std::size_t>(
        std::count_if(c.issues().begin(), c.issues().end(), [&](const StructuralIssue& i) { return i.kind == kind; }));
}

}  // namespace gguf::test
