// One tensor: decode the reference, compare, and when the values differ test every hypothesis.
#include <algorithm>
#include <array>
#include <cmath>

#include "gguf/dequant.hpp"
#include "tensor_context.hpp"

namespace gguf::audit {
namespace detail {
namespace {

// Most specific first: a diagnosis that names the mechanism before one that describes the symptom.
int rank(std::string_view kind) {
    static constexpr std::array<std::string_view, 14> kOrder = {
        "shape",        "vocab_padding", "row_count",     "qk_rope_layout", "transposed",  "byte_swapped", "wrong_type",
        "kquant_unpacking", "all_zero",  "scaled",        "element_offset", "byte_offset", "rows_permuted", "prefix_only"};
    const auto it = std::find(kOrder.begin(), kOrder.end(), kind);
    return static_cast<int>(it - kOrder.begin());
}

std::vector<std::uint64_t> numpy_shape(const TensorInfo& t) {
    std::vector<std::uint64_t> shape;
    for (std::uint32_t i = t.n_dims; i-- > 0;) shape.push_back(t.ne[i]);
    return shape;
}

bool same_shape_ignoring_ones(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
    std::vector<std::uint64_t> x, y;
    std::copy_if(a.begin(), a.end(), std::back_inserter(x), [](auto d) { return d != 1; });
    std::copy_if(b.begin(), b.end(), std::back_inserter(y), [](auto d) { return d != 1; });
    return x == y;
}

}  // namespace

TensorAudit audit_with_facts(const Container& model, const TensorInfo& tensor, const ModelFacts& facts,
                             const NpyArray& theirs, const TensorAuditOptions& options) {
    TensorAudit result;
    result.name = tensor.name;
    result.type = tensor.type;
    result.expected_shape = numpy_shape(tensor);
    result.dump_shape = theirs.shape;
    result.dump_dtype = theirs.dtype;
    result.status = TensorStatus::unreadable;

    auto view = model.view(tensor);
    if (!view) {
        result.problem = view.error().describe();
        return result;
    }
    if (!dequant::is_supported(tensor.type)) {
        result.problem = "type " + type_label(tensor.type) + " has no dequantizer in gguf-doctor: it cannot be compared";
        return result;
    }
    auto decoded = dequant::to_float(*view, options.threads);
    if (!decoded) {
        result.problem = decoded.error().describe();
        return result;
    }
    const std::vector<float>& reference = *decoded;
    double max_abs = 0;
    for (const float r : reference)
        if (std::isfinite(r)) max_abs = std::max(max_abs, static_cast<double>(std::fabs(r)));
    const bool float16_dump = theirs.dtype.size() == 3 && theirs.dtype[2] == '2';
    result.tolerance = default_tolerance(float16_dump, max_abs);
    if (options.rtol) result.tolerance.rtol = *options.rtol;
    if (options.atol) result.tolerance.atol = *options.atol;

    // An engine that keeps Hugging Face's Q/K row order: bring its rows into GGUF's order, so that every
    // hypothesis below works in the file's order.
    std::vector<float> reordered;
    std::span<const float> their_values = theirs.values;
    const auto layout = qk_layout(tensor, facts);
    if (options.qk_order == QkOrder::hf && layout && facts.spec->rope.style == model::RopeStyle::normal &&
        theirs.values.size() == reference.size()) {
        reordered = gather_rows(theirs.values, layout->row_length,
                                [&](std::uint64_t g) { return hf_row_of_gguf_row(g, layout->head_dim); });
        their_values = reordered;
    }

    result.agreement = compare_values(reference, their_values, result.tolerance, options.threads);
    Subject subject{model, tensor, *view, facts, reference, their_values, theirs.shape, result.tolerance, result.agreement,
                    options.qk_order, options.threads};
    const bool values_equal = subject.same_count() && result.agreement.equal();
    if (values_equal && same_shape_ignoring_ones(theirs.shape, result.expected_shape)) {
        result.status = TensorStatus::match;
        return result;
    }
    result.status = TensorStatus::mismatch;
    Findings findings;
    if (values_equal) {
        test_layout(subject, findings);  // only the shape can be wrong
    } else {
        test_layout(subject, findings);
        test_encoding(subject, findings);
        test_offsets(subject, findings);
        test_rows(subject, findings);
    }
    std::stable_sort(findings.fits.begin(), findings.fits.end(),
                     [](const Diagnosis& a, const Diagnosis& b) { return rank(a.kind) < rank(b.kind); });
    result.diagnoses = std::move(findings.fits);
    result.tested = std::move(findings.tested);
    return result;
}

}  // namespace detail

TensorAudit audit_tensor(const Container& model, const TensorInfo& tensor, const NpyArray& theirs,
                         const TensorAuditOptions& options) {
    return detail::audit_with_facts(model, tensor, detail::model_facts(model), theirs, options);
}

}  // namespace gguf::audit
