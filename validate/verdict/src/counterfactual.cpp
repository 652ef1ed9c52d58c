#include "gguf/verdict/counterfactual.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>

#include "gguf/overlay.hpp"

namespace gguf::verdict {
namespace {

// -log softmax(row)[target], in double.
double token_nll(std::span<const float> row, std::int32_t target) {
    double hi = -INFINITY;
    for (const float x : row)
        if (std::isfinite(x)) hi = std::max(hi, static_cast<double>(x));
    if (!std::isfinite(hi)) return INFINITY;
    double z = 0;
    for (const float x : row)
        if (std::isfinite(x)) z += std::exp(static_cast<double>(x) - hi);
    const double t = row[static_cast<std::size_t>(target)];
    return std::isfinite(t) ? std::log(z) - (t - hi) : INFINITY;
}

std::string number(double x) { return fmt::format("{:.4g}", x); }

std::string scope(const Trial& t) {
    if (t.layer != every_layer) return fmt::format("block {}", t.layer);
    const bool blocks = std::any_of(t.tensors.begin(), t.tensors.end(), [](const auto& n) { return n.starts_with("blk."); });
    return blocks ? "every block" : "the file";
}

// Tensor names for a message: all of them when few, else the kinds with the blocks they span.
std::string tensor_list(const std::vector<std::string>& tensors) {
    if (tensors.size() <= 4) return fmt::format("{}", fmt::join(tensors, ", "));
    std::map<std::string, std::uint64_t> kinds;
    for (const auto& n : tensors) {
        std::string kind = n;
        if (n.rfind("blk.", 0) == 0) {
            const auto dot = n.find('.', 4);
            kind = "blk.*" + n.substr(dot);
        }
        ++kinds[kind];
    }
    std::vector<std::string> parts;
    for (const auto& [k, count] : kinds) parts.push_back(count > 1 ? fmt::format("{} ({})", k, count) : k);
    return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

Selection select_hypotheses(std::vector<Hypothesis> all, std::uint64_t n_parameters, bool looks_weak,
                            std::uint64_t sanity_positions) {
    const double passes = static_cast<double>(all.size() + 1);  // and the model's own
    if (static_cast<double>(n_parameters) * counterfactual_tokens * passes <= cheap_work)
        return {std::move(all), counterfactual_tokens, "every hypothesis (cheap for this model)"};
    if (!looks_weak) return {{}, 0, "the forward pass looks sound and counterfactual passes are not cheap for this model"};
    std::erase_if(all, [](const Hypothesis& h) { return h.layer != every_layer; });
    const std::uint64_t affordable = sanity_positions / 2 / short_counterfactual_tokens;
    const std::size_t n = affordable > 1 ? static_cast<std::size_t>(affordable - 1) : 0;
    const std::size_t total = all.size();
    if (all.size() > n) all.resize(n);
    return {std::move(all), short_counterfactual_tokens,
            fmt::format("the forward pass looks weak: the first {} of {} whole-model hypotheses (what half the sanity "
                        "pass's work affords for this model)",
                        n < total ? n : total, total)};
}

Result<double> text_nll(forward::Forward& forward, std::span<const std::int32_t> tokens, std::uint64_t* n_vocab) {
    forward.reset();
    auto logits = forward.evaluate(tokens);
    forward.reset();
    if (!logits) return logits.error();
    if (n_vocab) *n_vocab = logits->n_vocab;
    double sum = 0;
    for (std::uint64_t t = 0; t + 1 < logits->n_tokens; ++t) sum += token_nll(logits->row(t), tokens[t + 1]);
    return sum / static_cast<double>(std::max<std::uint64_t>(1, logits->n_tokens - 1));
}

Result<CounterfactualResult> run_counterfactuals(const Container& model, const std::vector<Hypothesis>& candidates,
                                                 const ForwardFactory& make_forward, std::span<const std::int32_t> tokens,
                                                 const CounterfactualOptions& options) {
    CounterfactualResult result;
    result.tokens = tokens.size();
    {
        auto pass = make_forward(model);
        if (!pass) return pass.error();
        auto nll = text_nll(**pass, tokens, &result.n_vocab);
        if (!nll) return nll.error();
        result.nll = *nll;
        result.perplexity = std::exp(*nll);
    }
    const double uniform = std::log(static_cast<double>(std::max<std::uint64_t>(2, result.n_vocab)));
    for (const auto& h : candidates) {
        if (!options.per_layer && h.layer != every_layer) continue;
        auto replacements = h.make(model);
        if (!replacements) continue;
        auto view = make_overlay(model, std::move(*replacements));
        if (!view) continue;
        auto pass = make_forward(*view);
        if (!pass) continue;
        auto nll = text_nll(**pass, tokens);
        if (!nll) continue;
        Trial t{h.id, h.mistake, h.undo, h.layer, h.tensors, *nll, std::exp(*nll), false};
        t.decisive = std::isfinite(t.nll) && result.nll - t.nll >= options.decisive_gain &&
                     t.nll <= options.max_normalized_after * uniform;
        result.trials.push_back(std::move(t));
    }
    return result;
}

std::vector<model::Finding> counterfactual_findings(const CounterfactualResult& r, const std::string& text_label) {
    std::vector<model::Finding> out;
    if (r.trials.empty()) return out;
    const auto better = [](const Trial& a, const Trial& b) { return a.nll < b.nll; };
    const Trial* best = nullptr;
    for (const auto& t : r.trials)
        if (t.decisive && (!best || better(t, *best))) best = &t;
    if (best) {
        std::vector<model::Evidence> e{{"hypothesis", best->id},
                                       {"scope", scope(*best)},
                                       {"tensors", tensor_list(best->tensors)},
                                       {"perplexity_before", number(r.perplexity)},
                                       {"perplexity_after", number(best->perplexity)},
                                       {"nll_gain_nats", number(r.nll - best->nll)},
                                       {"text_tokens", std::to_string(r.tokens)}};
        // The same mistake undone in other single blocks, also decisive: the damage spans them.
        if (best->layer != every_layer) {
            std::vector<std::string> others;
            for (const auto& t : r.trials)
                if (&t != best && t.decisive && t.id == best->id && t.layer != every_layer)
                    others.push_back(fmt::format("block {}: {}", t.layer, number(t.perplexity)));
            if (!others.empty()) e.push_back({"also_decisive", fmt::format("{}", fmt::join(others, "; "))});
        }
        model::Finding f{"GD-F012", Severity::error, best->tensors.size() == 1 ? best->tensors.front() : "",
                         fmt::format("{} in {}: undoing it ({}) makes the model decisively better, perplexity {} -> {} "
                                     "on {} tokens of {}",
                                     best->mistake, scope(*best), best->undo, number(r.perplexity), number(best->perplexity),
                                     r.tokens, text_label),
                         std::move(e),
                         "the file is worse than itself with this mistake undone: fix the converter or writer that "
                         "produced it, or confirm with 'gguf-doctor logits' on a corrected copy"};
        out.push_back(std::move(f));
        return out;
    }
    const Trial& top = *std::min_element(r.trials.begin(), r.trials.end(), better);
    out.push_back(model::Finding{
        "GD-F013", Severity::info, "",
        fmt::format("{} counterfactual passes (known mistakes undone) on {} tokens of {}: none improves the model "
                    "decisively; the best, {} in {}, gives perplexity {} -> {}",
                    r.trials.size(), r.tokens, text_label, top.id, scope(top), number(r.perplexity), number(top.perplexity)),
        {{"trials", std::to_string(r.trials.size())},
         {"perplexity", number(r.perplexity)},
         {"best_hypothesis", top.id + " (" + scope(top) + ")"},
         {"best_perplexity", number(top.perplexity)}},
        ""});
    return out;
}

}  // namespace gguf::verdict
