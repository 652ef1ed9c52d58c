// Next-token distributions of two models on the same tokens: KL divergence per position (through
// forward::compare_logits, one position at a time), top-1 agreement and each model's perplexity.
#include <algorithm>
#include <cmath>

#include "gguf/audit/model_diff.hpp"

namespace gguf::audit {
namespace {

forward::Logits one_row(const forward::Logits& l, std::uint64_t i) {
    forward::Logits r;
    r.n_tokens = 1;
    r.n_vocab = l.n_vocab;
    const auto row = l.row(i);
    r.values.assign(row.begin(), row.end());
    return r;
}

// -log p(token) under the softmax of `row`, in double.
double nll(std::span<const float> row, std::int32_t token) {
    double max = -INFINITY;
    for (const float v : row) max = std::max<double>(max, v);
    double sum = 0;
    for (const float v : row) sum += std::exp(static_cast<double>(v) - max);
    return std::log(sum) + max - static_cast<double>(row[static_cast<std::size_t>(token)]);
}

double quantile(std::vector<double> values, double q) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const double at = q * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(at));
    const std::size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (values[hi] - values[lo]) * (at - static_cast<double>(lo));
}

Result<forward::Logits> evaluate(forward::Forward& pass, std::span<const std::int32_t> tokens) {
    pass.reset();
    auto logits = pass.evaluate(tokens);
    pass.reset();
    return logits;
}

}  // namespace

Result<ForwardDiff> compare_forward(forward::Forward& a, forward::Forward& b, std::span<const std::int32_t> tokens) {
    if (tokens.size() < 2) return Error{ErrorCode::invalid_argument, 0, "at least two tokens are needed", ""};
    auto la = evaluate(a, tokens);
    if (!la) return la.error();
    auto lb = evaluate(b, tokens);
    if (!lb) return lb.error();
    return compare_predictions(*la, *lb, tokens);
}

Result<ForwardDiff> compare_predictions(const forward::Logits& a, const forward::Logits& b, std::span<const std::int32_t> tokens) {
    if (tokens.size() < 2 || a.n_tokens != tokens.size())
        return Error{ErrorCode::invalid_argument, 0, "at least two tokens, with logits for each, are needed", ""};
    const forward::Logits* la = &a;
    const forward::Logits* lb = &b;
    if (la->n_vocab != lb->n_vocab || la->n_tokens != lb->n_tokens)
        return Error{ErrorCode::invalid_argument, 0,
                     "the models have different vocabularies (" + std::to_string(la->n_vocab) + " and " +
                         std::to_string(lb->n_vocab) + " logits): their distributions cannot be compared",
                     ""};
    ForwardDiff d;
    d.logits = forward::compare_logits(*la, *lb);
    std::vector<double> kl;
    std::uint64_t same_top = 0;
    double nll_a = 0, nll_b = 0;
    for (std::uint64_t i = 0; i < la->n_tokens; ++i) {
        const auto agreement = forward::compare_logits(one_row(*la, i), one_row(*lb, i));
        kl.push_back(agreement.mean_kl);
        same_top += agreement.argmax_mismatches == 0;
        if (i + 1 < la->n_tokens) {
            nll_a += nll(la->row(i), tokens[i + 1]);
            nll_b += nll(lb->row(i), tokens[i + 1]);
        }
    }
    d.positions = la->n_tokens;
    double sum = 0;
    for (const double k : kl) sum += k;
    d.mean_kl = sum / static_cast<double>(kl.size());
    d.max_kl = *std::max_element(kl.begin(), kl.end());
    d.median_kl = quantile(kl, 0.5);
    d.p99_kl = quantile(kl, 0.99);
    d.kl = std::move(kl);
    d.top1_agreement = static_cast<double>(same_top) / static_cast<double>(d.positions);
    const double predictions = static_cast<double>(la->n_tokens - 1);
    d.perplexity_a = std::exp(nll_a / predictions);
    d.perplexity_b = std::exp(nll_b / predictions);
    return d;
}

}  // namespace gguf::audit
