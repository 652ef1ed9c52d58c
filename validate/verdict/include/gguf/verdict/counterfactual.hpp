// Counterfactual passes: the model judged against itself. The forward pass is run on a short text,
// then again with each known mistake undone (hypotheses.hpp) on a view of the weights; a hypothesis
// that makes the model decisively better is a finding (GD-F012) that names the mistake, the tensors and
// the perplexities before and after. An absolute perplexity threshold cannot judge a model it does
// not know; the model's own intact-or-not pass is the reference here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/forward.hpp"
#include "gguf/model/finding.hpp"
#include "gguf/model/spec.hpp"
#include "gguf/verdict/hypotheses.hpp"

namespace gguf::verdict {

// Tokens of the text each counterfactual pass evaluates: short, since every hypothesis is one pass.
inline constexpr std::uint32_t counterfactual_tokens = 32;

// Makes a forward pass (CPU or CUDA, as the caller chose) over a model that outlives it.
using ForwardFactory = std::function<Result<std::unique_ptr<forward::Forward>>(const Container&)>;

// Thresholds, measured in docs/rules.md ("Counterfactual passes").
struct CounterfactualOptions {
    // Decisive: the mean negative log-likelihood per token drops by at least this many nats (a
    // perplexity ratio of e^gain) ...
    double decisive_gain = 0.15;
    // ... and the undone model predicts clearly better than uniform guessing: its NLL is at most this
    // fraction of log(n_vocab). A random-weight model's wobbles around uniform never count.
    double max_normalized_after = 0.9;
    bool per_layer = true;  // also try each per-block hypothesis on one block at a time
};

struct Trial {
    std::string id, mistake, undo;
    std::int64_t layer = every_layer;
    std::vector<std::string> tensors;
    double nll = 0;         // nats per predicted token with the mistake undone
    double perplexity = 0;
    bool decisive = false;
};

struct CounterfactualResult {
    std::uint64_t tokens = 0;   // tokens of the text (predictions: tokens - 1)
    std::uint64_t n_vocab = 0;
    double nll = 0;             // the model as it is
    double perplexity = 0;
    std::vector<Trial> trials;  // in the order tried
    std::vector<model::Finding> findings;
};

// Which hypotheses a check tries, on how many tokens. Every one, on counterfactual_tokens, when their
// passes are cheap (parameters x tokens x passes within `cheap_work`). When they are not: none while
// the model's own pass looks sound (the caller's judgement: no warning or error from logit sanity);
// when it looks weak, the whole-model hypotheses in their order, on short_counterfactual_tokens, as
// many as fit in half the work of the sanity pass (`sanity_positions` tokens evaluated), so that
// they add at most about half of its time.
struct Selection {
    std::vector<Hypothesis> hypotheses;
    std::uint32_t tokens = 0;
    std::string reason;  // why these, for the report's step line
};
inline constexpr double cheap_work = 2e10;
inline constexpr std::uint32_t short_counterfactual_tokens = 16;
Selection select_hypotheses(std::vector<Hypothesis> all, std::uint64_t n_parameters, bool looks_weak,
                            std::uint64_t sanity_positions);

// Mean negative log-likelihood per predicted token of `tokens` under `forward` (reset before and after).
Result<double> text_nll(forward::Forward& forward, std::span<const std::int32_t> tokens, std::uint64_t* n_vocab = nullptr);

// Runs the model and every hypothesis of `candidates` on `tokens`. Fails when the model's own pass
// fails; a hypothesis whose pass fails is skipped (its transformation made the pass impossible).
Result<CounterfactualResult> run_counterfactuals(const Container& model, const std::vector<Hypothesis>& candidates,
                                                 const ForwardFactory& make_forward, std::span<const std::int32_t> tokens,
                                                 const CounterfactualOptions& options = {});

// The findings for a result (the second half of run_counterfactuals): GD-F012 for the best decisive
// trial (and the other blocks where the same hypothesis is decisive), GD-F013 (info) with the best
// trial otherwise.
std::vector<model::Finding> counterfactual_findings(const CounterfactualResult& result, const std::string& text_label);

}  // namespace gguf::verdict
