// Logit sanity: does a forward pass over the model's weights predict like a language model? Runs a few
// prompts, a greedy continuation and a short English text, measures finiteness, spread, entropy,
// degenerate argmax, repetition and perplexity, and turns them into findings (GD-F0xx, documented with
// their thresholds in docs/findings.md, "Forward pass").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/error.hpp"
#include "gguf/forward/forward.hpp"
#include "gguf/model/finding.hpp"

namespace gguf::tokenizer {
class Tokenizer;
}

namespace gguf::forward {

struct SanityOptions {
    std::vector<std::string> prompts;    // empty: the built-in prompts (builtin_prompts())
    std::string text;                    // the perplexity text; empty: the built-in English passage
    std::string text_label;              // how findings name `text` (e.g. its file); empty: "the given text"
    std::uint32_t max_text_tokens = 128; // the text is cut to this many tokens (time stays bounded)
    std::uint32_t generated_tokens = 16; // greedy continuation length per generating prompt
    std::uint32_t generating_prompts = 1;  // the first prompts also get a greedy continuation
    std::uint32_t top_k = 5;             // top tokens kept as evidence per prompt
};

struct TopToken {
    std::int32_t id = 0;
    std::string text;        // the token's piece (raw bytes, may be part of a UTF-8 character); empty without a tokenizer
    double probability = 0;
};

struct PromptEvidence {
    std::string prompt;                  // as given; for id prompts (no tokenizer), the ids
    std::vector<std::int32_t> tokens;
    std::vector<TopToken> top;           // after the last prompt token
    double entropy = 0;                  // nats, after the last prompt token
    std::vector<std::int32_t> generated; // greedy continuation (empty when not generated)
    std::string generated_text;          // decoded (raw bytes)
    std::uint32_t repeat_period = 0;     // period of the repeating tail of `generated`; 0 when none
    std::uint32_t repeated_tokens = 0;   // tokens covered by that repeating tail
};

// Every number the findings are judged on.
struct SanityMeasures {
    std::uint64_t n_vocab = 0;
    double uniform_entropy = 0;          // log(n_vocab) nats: the entropy of a uniform prediction
    std::uint64_t positions = 0;         // positions evaluated (prompts and text)
    std::uint64_t scored_positions = 0;  // of those, positions with at least one finite logit
    std::uint64_t non_finite_logits = 0;
    std::uint64_t non_finite_positions = 0;
    double max_abs_logit = 0;
    double max_spread = 0;               // largest max - min of the logits of one position
    double mean_std = 0;                 // mean over positions of the standard deviation of the logits
    double mean_entropy = 0, min_entropy = 0, max_entropy = 0;  // nats per position
    std::uint64_t distinct_argmax = 0;   // distinct top-1 tokens over all scored positions
    std::int32_t most_common_argmax = 0;
    bool perplexity_measured = false;
    std::uint64_t text_tokens = 0;       // tokens of the text (predictions = text_tokens - 1)
    std::string text_label;              // "English text" (the built-in passage) or the caller's label
    double mean_nll = 0;                 // nats per predicted token
    double perplexity = 0;               // exp(mean_nll)
    double normalized_nll = 0;           // mean_nll / log(n_vocab): 1 = as good as uniform guessing
    std::vector<PromptEvidence> prompts;
};

struct SanityResult {
    SanityMeasures measures;
    std::vector<model::Finding> findings;
};

// Runs the checks. Token texts in the findings' messages and evidence are printable UTF-8 (control
// characters and bytes of incomplete characters escaped as \n, \xNN). Without a tokenizer, the prompts are fixed token-id sequences spread over the
// vocabulary and perplexity is not measured (a finding says so). The forward pass is reset before and
// after. Fails only when the forward pass fails.
Result<SanityResult> logit_sanity(Forward& forward, const tokenizer::Tokenizer* tokenizer,
                                  const SanityOptions& options = {});

// The findings for measured numbers (the second half of logit_sanity): for re-judging and tests.
std::vector<model::Finding> sanity_findings(const SanityMeasures& measures, const tokenizer::Tokenizer* tokenizer);

// The built-in prompts and English passage.
const std::vector<std::string>& builtin_prompts();
const std::string& builtin_text();

}  // namespace gguf::forward
