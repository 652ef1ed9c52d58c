// Hypotheses about where reading started: the values shifted by k elements within the tensor, or the
// tensor's type decoded from k bytes away from its start (a wrong base offset, a forgotten data
// section start or alignment, another tensor's data). Candidates for k are found by searching for the
// user's first values (in the reference, or as encoded bytes in the file) and confirmed by comparing
// every value the shifted read would give.
#include <algorithm>
#include <cstring>
#include <set>

#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/types.hpp"
#include "tensor_context.hpp"

namespace gguf::audit::detail {
namespace {

constexpr std::uint64_t kProbeLength = 8;              // consecutive values a candidate must reproduce
constexpr std::uint64_t kByteWindow = 64 * 1024;      // quantized types: start positions tried around the tensor
constexpr std::size_t kMaxCandidates = 64;

// A probe: the first position at or after the first disagreement where the user's next values are
// finite and not zero (zeros, such as an unwritten part of the buffer, would match anywhere).
std::optional<std::uint64_t> probe_index(const Subject& s) {
    const std::uint64_t m = s.theirs.size();
    if (m < kProbeLength) return std::nullopt;
    for (std::uint64_t j = std::min<std::uint64_t>(s.agreement.first_mismatch, m - kProbeLength); j + kProbeLength <= m; ++j) {
        bool usable = true;
        for (std::uint64_t t = 0; t < kProbeLength && usable; ++t)
            usable = std::isfinite(s.theirs[j + t]) && s.theirs[j + t] != 0.0f;
        if (usable) return j;
    }
    return std::nullopt;
}

std::string element_or_bytes(std::int64_t k, const TypeInfo& type) {
    const std::uint64_t a = static_cast<std::uint64_t>(k < 0 ? -k : k);
    if (type.block_size == 1) return fmt::format("{} elements = {} bytes", a, a * type.type_size);
    if (a % type.block_size == 0)
        return fmt::format("{} elements = {} blocks = {} bytes", a, a / type.block_size, a / type.block_size * type.type_size);
    return fmt::format("{} elements (not a whole number of {}-value blocks)", a, type.block_size);
}

void test_element_offset(const Subject& s, Findings& out, std::set<std::int64_t>& byte_shifts) {
    const auto probe = probe_index(s);
    const TypeInfo* type = find_type(s.info.type);
    if (!probe || !type) return;
    out.tested.push_back("element_offset");
    const std::uint64_t j = *probe, n = s.n();
    std::vector<std::int64_t> candidates;
    for (std::uint64_t p = 0; p + kProbeLength <= n && candidates.size() < kMaxCandidates; ++p) {
        if (p == j) continue;
        std::uint64_t t = 0;
        while (t < kProbeLength && agrees(s.reference[p + t], s.theirs[j + t], s.tolerance)) ++t;
        if (t == kProbeLength) candidates.push_back(static_cast<std::int64_t>(p) - static_cast<std::int64_t>(j));
    }
    for (const std::int64_t k : candidates) {
        if (static_cast<std::uint64_t>(k < 0 ? -k : k) * 2 > n) continue;
        // theirs[i] = reference[i + k]
        const Fit f = k > 0 ? fit(s, s.reference.subspan(static_cast<std::uint64_t>(k)))
                            : fit(s, s.reference, static_cast<std::uint64_t>(-k));
        if (!explains(s, f)) continue;
        if (type->block_size == 1 || k % type->block_size == 0)
            byte_shifts.insert(k / static_cast<std::int64_t>(type->block_size) * static_cast<std::int64_t>(type->type_size));
        out.add({"element_offset",
                 fmt::format("the values are shifted by {} elements: your value i is reference value i {} {} (reading "
                             "started {} {})",
                             k, k > 0 ? "+" : "-", k > 0 ? k : -k, element_or_bytes(k, *type), k > 0 ? "too late" : "too early"),
                 {evidence("k_elements", std::to_string(k)), evidence("example", fmt::format("your value {} = reference value {}",
                                                                                                 j, static_cast<std::int64_t>(j) + k))}},
                f);
        return;  // the first confirmed shift; another one would be a periodic tensor
    }
}

// The encoding of the user's probe values in the tensor's (plain) type, when they survive a round trip.
std::optional<std::vector<std::byte>> encoded_probe(const Subject& s, std::uint64_t j) {
    std::vector<std::byte> bytes;
    for (std::uint64_t t = 0; t < kProbeLength; ++t) {
        const float u = s.theirs[j + t];
        std::byte b[4];
        switch (static_cast<TypeId>(s.info.type)) {
            case TypeId::F32: store<float>(b, u, s.view.order); bytes.insert(bytes.end(), b, b + 4); break;
            case TypeId::F16: {
                const std::uint16_t h = fp32_to_fp16(u);
                if (fp16_to_fp32(h) != u) return std::nullopt;
                store<std::uint16_t>(b, h, s.view.order);
                bytes.insert(bytes.end(), b, b + 2);
                break;
            }
            case TypeId::BF16: {
                const std::uint16_t h = fp32_to_bf16(u);
                if (bf16_to_fp32(h) != u) return std::nullopt;
                store<std::uint16_t>(b, h, s.view.order);
                bytes.insert(bytes.end(), b, b + 2);
                break;
            }
            default: return std::nullopt;
        }
    }
    return bytes;
}

// Start positions (in the shard) from which reading the tensor's type might give the user's values.
std::vector<std::uint64_t> start_candidates(const Subject& s, const TypeInfo& type, std::uint64_t probe, bool scan_window) {
    const auto shard = s.model.shards()[s.info.shard];
    const std::uint64_t fo = s.info.file_offset;
    std::set<std::uint64_t> starts;
    // A tensor offset used as if it were absolute, or the data section's start added twice.
    if (s.info.offset + type.type_size <= shard.file_size) starts.insert(s.info.offset);
    if (fo + shard.data_offset < shard.file_size) starts.insert(fo + shard.data_offset);
    // Another tensor's data.
    for (const TensorInfo& t : s.model.tensors())
        if (t.shard == s.info.shard && t.type == s.info.type && &t != &s.info && t.file_offset < shard.file_size)
            starts.insert(t.file_offset);
    if (type.block_size == 1) {
        if (const auto pattern = encoded_probe(s, probe)) {
            const std::uint64_t before = probe * type.type_size;
            const auto* hay = reinterpret_cast<const unsigned char*>(shard.bytes.data());
            std::size_t from = 0, hits = 0;
            while (hits < kMaxCandidates) {
                const void* found = memmem(hay + from, shard.bytes.size() - from, pattern->data(), pattern->size());
                if (!found) break;
                const std::uint64_t at = static_cast<std::uint64_t>(static_cast<const unsigned char*>(found) - hay);
                if (at >= before) starts.insert(at - before);
                from = at + 1;
                ++hits;
            }
        }
    } else if (scan_window) {
        // Quantized: every byte position near the tensor (whole blocks from there must hold the user's
        // first block; checked by the caller).
        const std::uint64_t lo = fo > kByteWindow ? fo - kByteWindow : 0;
        const std::uint64_t hi = std::min<std::uint64_t>(fo + kByteWindow, shard.file_size - type.type_size);
        for (std::uint64_t p = lo; p <= hi; ++p) starts.insert(p);
    }
    starts.erase(fo);
    return {starts.begin(), starts.end()};
}

void test_byte_offset(const Subject& s, Findings& out, const std::set<std::int64_t>& byte_shifts) {
    const TypeInfo* type = find_type(s.info.type);
    if (!type || !dequant::is_supported(s.info.type) || s.agreement.first_mismatch >= s.theirs.size()) return;
    // Reading from elsewhere changes the first value that differs; probe there (quantized: the first block).
    const auto probe = type->block_size == 1 ? probe_index(s) : std::optional<std::uint64_t>(0);
    if (!probe || s.theirs.size() < type->block_size) return;
    out.tested.push_back("byte_offset");
    const auto shard = s.model.shards()[s.info.shard];
    const std::uint64_t probe_block = *probe / type->block_size;
    std::vector<float> block(type->block_size);
    // Quantized: the window is searched only when the first block already differs.
    const bool scan_window = s.agreement.first_mismatch < type->block_size;
    for (const std::uint64_t start : start_candidates(s, *type, *probe, scan_window)) {
        const std::int64_t k = static_cast<std::int64_t>(start) - static_cast<std::int64_t>(s.info.file_offset);
        if (byte_shifts.count(k)) continue;  // already named as an element offset
        const std::uint64_t block_at = start + probe_block * type->type_size;
        if (block_at + type->type_size > shard.file_size) continue;
        dequant::decode_blocks(s.info.type, shard.bytes.subspan(block_at, type->type_size), s.view.order, block);
        bool same = true;
        for (std::uint64_t t = 0; t < type->block_size && same && probe_block * type->block_size + t < s.theirs.size(); ++t)
            same = agrees(block[t], s.theirs[probe_block * type->block_size + t], s.tolerance);
        if (!same) continue;
        const std::uint64_t wanted = (s.theirs.size() + type->block_size - 1) / type->block_size;
        const std::uint64_t n_blocks = std::min<std::uint64_t>(wanted, (shard.file_size - start) / type->type_size);
        std::vector<float> decoded(n_blocks * type->block_size);
        dequant::decode_blocks(s.info.type, shard.bytes.subspan(start, n_blocks * type->type_size), s.view.order, decoded);
        decoded.resize(std::min<std::uint64_t>(decoded.size(), s.theirs.size()));
        const Fit f = fit(s, decoded);
        if (!explains(s, f)) continue;
        std::string why;
        if (start == s.info.offset) {
            why = fmt::format(": the tensor's offset ({}) was used as a file position, without adding the data section's "
                              "start ({})",
                              s.info.offset, shard.data_offset);
        } else if (start == s.info.file_offset + shard.data_offset) {
            why = fmt::format(": the data section's start ({}) was added twice", shard.data_offset);
        }
        for (const TensorInfo& t : s.model.tensors())
            if (t.shard == s.info.shard && t.file_offset == start && &t != &s.info)
                why += fmt::format("{} this is where tensor {} starts: its data was read instead", why.empty() ? ":" : ";", t.name);
        if (why.empty() && k < 0 && static_cast<std::uint64_t>(-k) < shard.alignment)
            why = fmt::format(" (less than the alignment of {}: padding not skipped?)", shard.alignment);
        out.add({"byte_offset",
                 fmt::format("the {} data was read from {} bytes {} the tensor's start (file offset {} instead of {}){}",
                             type->name, k > 0 ? k : -k, k > 0 ? "after" : "before", start, s.info.file_offset, why),
                 {evidence("k_bytes", std::to_string(k)), evidence("read_from", std::to_string(start)),
                  evidence("tensor_offset", std::to_string(s.info.file_offset))}},
                f);
        return;
    }
}

}  // namespace

void test_offsets(const Subject& s, Findings& out) {
    std::set<std::int64_t> byte_shifts;
    test_element_offset(s, out, byte_shifts);
    test_byte_offset(s, out, byte_shifts);
}

}  // namespace gguf::audit::detail
