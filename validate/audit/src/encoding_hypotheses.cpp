// Hypotheses about how the bytes were read: nothing at all (zeros), a constant factor, the other byte
// order, another type's layout, and the K-quant, code-book and ternary unpacking mistakes. Each decodes
// the file's bytes the mistaken way (or scales the reference) and compares with the user's values.
#include <cmath>
#include <stdexcept>

#include "gguf/dequant.hpp"
#include "gguf/types.hpp"
#include "iquant_variants.hpp"
#include "kquant_variants.hpp"
#include "ternary_variants.hpp"
#include "tensor_context.hpp"

namespace gguf::audit::detail {
namespace {

std::string type_name(std::uint32_t type) { return type_label(type); }

void test_all_zero(const Subject& s, Findings& out) {
    out.tested.push_back("all_zero");
    for (const float u : s.theirs)
        if (u != 0.0f) return;
    const std::vector<float> zeros(s.theirs.size(), 0.0f);
    const Fit f = fit(s, zeros);
    if (!explains(s, f)) return;
    out.add({"all_zero", "every value is zero: the tensor was never loaded or copied into this buffer",
             {evidence("your_values", "all 0"), evidence("reference_max_abs", number(s.agreement.max_abs_reference))}},
            f);
}

// Known constants a factor might be (a scale applied to the wrong tensor, or twice).
std::string name_the_factor(double c, const ModelFacts& facts) {
    std::vector<std::pair<std::string, double>> known = {{"-1 (sign flipped)", -1.0}, {"2", 2.0}, {"1/2", 0.5}};
    if (facts.spec) {
        const auto add = [&](const std::string& name, double v) {
            if (v > 0 && std::isfinite(v)) {
                known.emplace_back(name, v);
                known.emplace_back("1/" + name, 1.0 / v);
            }
        };
        add("sqrt(n_embd)", std::sqrt(static_cast<double>(facts.spec->n_embd)));
        add("sqrt(head_dim)", std::sqrt(static_cast<double>(facts.spec->head_dim)));
        add("n_embd", static_cast<double>(facts.spec->n_embd));
    }
    for (const auto& [name, v] : known)
        if (std::fabs(c / v - 1.0) < 1e-3) return name;
    return {};
}

void test_scaled(const Subject& s, Findings& out) {
    if (!s.same_count()) return;
    out.tested.push_back("scaled");
    double ur = 0, rr = 0;
    for (std::uint64_t i = 0; i < s.n(); ++i) {
        const double r = s.reference[i], u = s.theirs[i];
        if (!std::isfinite(r) || !std::isfinite(u)) continue;
        ur += u * r;
        rr += r * r;
    }
    if (rr == 0) return;
    const double c = ur / rr;
    if (!std::isfinite(c) || c == 0 || std::fabs(c - 1.0) < 1e-6) return;
    std::vector<float> scaled(s.n());
    for (std::uint64_t i = 0; i < s.n(); ++i) scaled[i] = static_cast<float>(c * s.reference[i]);
    const Fit f = fit(s, scaled);
    if (!explains(s, f)) return;
    const std::string size = std::fabs(c) < 1 ? fmt::format("{:.4g}x too small", 1.0 / std::fabs(c))
                                              : fmt::format("{:.4g}x too large", std::fabs(c));
    Diagnosis d{"scaled",
                fmt::format("every value is the reference times {:.6g} ({}{}): a scale applied twice, to the wrong "
                            "tensor, or missing",
                            c, size, c < 0 ? ", sign flipped" : ""),
                {evidence("factor", number(c)), evidence("inverse", number(1.0 / c))}};
    if (const std::string known = name_the_factor(c, s.facts); !known.empty()) d.evidence.push_back(evidence("factor_is", known));
    out.add(std::move(d), f);
}

void test_byte_swapped(const Subject& s, Findings& out) {
    const auto layout = byte_swap_layout(s.info.type);
    if (!layout || layout->empty() || !dequant::is_supported(s.info.type)) return;
    out.tested.push_back("byte_swapped");
    const ByteOrder other = s.view.order == ByteOrder::little ? ByteOrder::big : ByteOrder::little;
    std::vector<float> swapped(s.n());
    dequant::decode_blocks(s.info.type, s.view.bytes, other, swapped);
    const Fit f = fit(s, swapped);
    if (!explains(s, f)) return;
    out.add({"byte_swapped",
             fmt::format("the {} data was read in the wrong byte order: the file is {}-endian{}", type_name(s.info.type),
                         byte_order_name(s.view.order),
                         s.info.type == static_cast<std::uint32_t>(TypeId::F32) || s.info.type == static_cast<std::uint32_t>(TypeId::F16) ||
                                 s.info.type == static_cast<std::uint32_t>(TypeId::BF16)
                             ? ""
                             : " (the f16 block scales were swapped, the quants are bytes)"),
             {evidence("file_byte_order", std::string(byte_order_name(s.view.order)))}},
            f);
}

// The file's bytes from the tensor's start to the end of its shard: what a loader that misjudges the
// tensor's type or size reads.
std::span<const std::byte> bytes_from_start(const Subject& s) {
    const auto& shard = s.model.shards()[s.info.shard].bytes;
    if (s.info.file_offset >= shard.size()) return {};
    return shard.subspan(s.info.file_offset);
}

void test_wrong_type(const Subject& s, Findings& out) {
    const auto available = bytes_from_start(s);
    const TypeInfo* actual = find_type(s.info.type);
    if (!actual) return;
    out.tested.push_back("wrong_type");
    for (const TypeInfo& t : all_types()) {
        const auto id = static_cast<std::uint32_t>(t.id);
        if (id == s.info.type || t.removed || t.type_size == 0 || !dequant::is_supported(id)) continue;
        const std::uint64_t wanted_blocks = (s.theirs.size() + t.block_size - 1) / t.block_size;
        const std::uint64_t n_blocks = std::min<std::uint64_t>(wanted_blocks, available.size() / t.type_size);
        if (2 * n_blocks * t.block_size < s.theirs.size()) continue;  // cannot cover half of the values
        std::vector<float> decoded(n_blocks * t.block_size);
        dequant::decode_blocks(id, available.first(n_blocks * t.type_size), s.view.order, decoded);
        decoded.resize(std::min<std::uint64_t>(decoded.size(), s.theirs.size()));
        const Fit f = fit(s, decoded);
        if (!explains(s, f)) continue;
        const bool beyond = n_blocks * t.type_size > s.info.n_bytes;
        out.add({"wrong_type",
                 fmt::format("the {} tensor was decoded as {}{}", actual->name, t.name,
                             beyond ? fmt::format(" (reading {} bytes past its end)", n_blocks * t.type_size - s.info.n_bytes)
                                    : ""),
                 {evidence("type", std::string(actual->name)), evidence("read_as", std::string(t.name))}},
                f);
    }
}

void test_iquant(const Subject& s, Findings& out) {
    const auto mistakes = iquant_mistakes(s.info.type);
    if (mistakes.empty() || !s.same_count()) return;
    out.tested.push_back("iquant_unpacking");
    std::vector<float> decoded(s.n());
    for (const auto& m : mistakes) {
        decode_iquant(s.info.type, m.mistake, s.view.bytes, s.view.order, decoded);
        const Fit f = fit(s, decoded);
        if (!explains(s, f)) continue;
        out.add({"iquant_unpacking", fmt::format("{} unpacking: {}", type_name(s.info.type), m.description),
                 {evidence("mistake", std::string(m.name))}},
                f);
    }
}

void test_kquant(const Subject& s, Findings& out) {
    const auto mistakes = kquant_mistakes(s.info.type);
    if (mistakes.empty() || !s.same_count()) return;
    out.tested.push_back("kquant_unpacking");
    std::vector<float> decoded(s.n());
    for (const auto& m : mistakes) {
        decode_kquant(s.info.type, m.mistake, s.view.bytes, s.view.order, decoded);
        const Fit f = fit(s, decoded);
        if (!explains(s, f)) continue;
        out.add({"kquant_unpacking",
                 fmt::format("{} unpacking: {}", type_name(s.info.type), m.description),
                 {evidence("mistake", std::string(m.name))}},
                f);
    }
}

void test_ternary(const Subject& s, Findings& out) {
    const auto mistakes = ternary_mistakes(s.info.type);
    if (mistakes.empty() || !s.same_count()) return;
    out.tested.push_back("ternary_unpacking");
    std::vector<float> decoded(s.n());
    for (const auto& m : mistakes) {
        decode_ternary(s.info.type, m.mistake, s.view.bytes, s.view.order, decoded);
        const Fit f = fit(s, decoded);
        if (!explains(s, f)) continue;
        out.add({"ternary_unpacking", fmt::format("{} unpacking: {}", type_name(s.info.type), m.description),
                 {evidence("mistake", std::string(m.name))}},
                f);
    }
}

}  // namespace

void test_encoding(const Subject& s, Findings& out) {
    test_all_zero(s, out);
    if (out.has("all_zero")) return;  // zeros fit nothing else worth naming
    test_scaled(s, out);
    test_byte_swapped(s, out);
    test_wrong_type(s, out);
    test_kquant(s, out);
    test_iquant(s, out);
    test_ternary(s, out);
}

}  // namespace gguf::audit::detail
