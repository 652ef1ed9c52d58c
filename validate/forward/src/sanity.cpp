#include "gguf/forward/sanity.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <numeric>

#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/value.hpp"

namespace gguf::forward {
namespace {

// Thresholds, documented in docs/findings.md ("Forward pass").
constexpr double kNoSpread = 1e-6;            // max - min of the logits below this at every position: constant output
constexpr double kImplausibleLogit = 1e3;     // |logit| beyond this: numerically implausible for any LM head
constexpr double kCollapsedEntropy = 0.01;    // nats; every position below this: one-hot predictions everywhere
constexpr double kUniformNll = 0.8;           // normalized NLL at or above this: near-uniform predictions
constexpr double kHighNll = 0.5;              // normalized NLL at or above this: poor predictions of English
constexpr double kUniformEntropy = 0.9;       // mean entropy / log(n_vocab), used when perplexity is unavailable
constexpr std::uint64_t kMinPositionsForDegenerate = 8;
constexpr std::uint32_t kMaxRepeatPeriod = 2;     // a continuation cycling through 1 or 2 tokens...
constexpr double kRepeatedFraction = 0.75;        // ...for at least this fraction of it has collapsed

// Statistics of one position's logits, in double.
struct PositionStats {
    std::uint64_t non_finite = 0;
    std::int32_t argmax = 0;
    double max = 0, spread = 0, std = 0, entropy = 0, log_sum = 0;  // log_sum: log(sum exp(x - max))
};

PositionStats position_stats(std::span<const float> row) {
    PositionStats s;
    double lo = INFINITY, hi = -INFINITY, sum = 0, sum_squares = 0;
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < row.size(); ++i) {
        const double x = row[i];
        if (!std::isfinite(x)) {
            ++s.non_finite;
            continue;
        }
        if (x > hi) {
            hi = x;
            s.argmax = static_cast<std::int32_t>(i);
        }
        lo = std::min(lo, x);
        sum += x;
        sum_squares += x * x;
        ++n;
    }
    if (n == 0) return s;
    s.max = hi;
    s.spread = hi - lo;
    const double mean = sum / static_cast<double>(n);
    s.std = std::sqrt(std::max(0.0, sum_squares / static_cast<double>(n) - mean * mean));
    double z = 0, weighted = 0;  // z = sum e^(x-max), weighted = sum e^(x-max) (x-max)
    for (const float f : row) {
        if (!std::isfinite(f)) continue;
        const double d = f - hi, e = std::exp(d);
        z += e;
        weighted += e * d;
    }
    s.log_sum = std::log(z);
    s.entropy = s.log_sum - weighted / z;  // -sum p log p with p = e^(x-max) / z
    return s;
}

// -log p(token) under the softmax of `row`.
double negative_log_likelihood(std::span<const float> row, const PositionStats& s, std::int32_t token) {
    return s.log_sum - (static_cast<double>(row[static_cast<std::size_t>(token)]) - s.max);
}

std::vector<TopToken> top_tokens(std::span<const float> row, const PositionStats& s, std::uint32_t k,
                                 const tokenizer::Tokenizer* tok) {
    std::vector<std::int32_t> ids(row.size());
    std::iota(ids.begin(), ids.end(), 0);
    const auto key = [&](std::int32_t i) {
        const float x = row[static_cast<std::size_t>(i)];
        return std::isfinite(x) ? x : -INFINITY;
    };
    k = std::min<std::uint32_t>(k, static_cast<std::uint32_t>(ids.size()));
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](auto a, auto b) { return key(a) > key(b); });
    std::vector<TopToken> top;
    for (std::uint32_t i = 0; i < k; ++i) {
        const std::int32_t id = ids[i];
        const double p = std::exp(static_cast<double>(key(id)) - s.max - s.log_sum);
        top.push_back({id, tok && id < tok->n_tokens() ? tok->token_piece(id) : std::string(), p});
    }
    return top;
}

// The shortest period p <= kMaxRepeatPeriod such that the tail of `seq` repeats with period p, and how
// many tokens that tail covers (0, 0 when none covers more than 2p tokens).
std::pair<std::uint32_t, std::uint32_t> repeating_tail(const std::vector<std::int32_t>& seq) {
    for (std::uint32_t p = 1; p <= kMaxRepeatPeriod; ++p) {
        if (seq.size() < 2 * p) break;
        std::size_t covered = p;  // the last p tokens trivially "repeat"
        while (covered < seq.size() && seq[seq.size() - 1 - covered] == seq[seq.size() - 1 - covered + p]) ++covered;
        if (covered > 2 * p) return {p, static_cast<std::uint32_t>(covered)};
    }
    return {0, 0};
}

// Token-id prompts for a model without a usable tokenizer: short sequences spread over the vocabulary.
std::vector<std::vector<std::int32_t>> id_prompts(std::uint64_t n_vocab) {
    std::vector<std::vector<std::int32_t>> prompts;
    for (std::uint64_t p = 0; p < 4; ++p) {
        std::vector<std::int32_t> ids;
        for (std::uint64_t j = 0; j < 8; ++j)
            ids.push_back(static_cast<std::int32_t>((p * 977 + j * (n_vocab / 9 + 13) + 1) % n_vocab));
        prompts.push_back(std::move(ids));
    }
    return prompts;
}

// A token's text for a message: valid UTF-8 with control characters escaped; bytes that are not valid
// UTF-8 (a piece may hold part of a character) as \xNN.
std::string printable(std::string_view bytes) {
    const bool valid = is_valid_utf8(bytes);
    std::string out;
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        if (valid && c == '\n') out += "\\n";
        else if (valid && c == '\t') out += "\\t";
        else if (b < 0x20 || b == 0x7F || (!valid && b >= 0x80)) out += fmt::format("\\x{:02x}", b);
        else out.push_back(c);
    }
    return out;
}

std::string quote(std::string_view s) { return "'" + printable(s) + "'"; }

class Accumulator {
public:
    explicit Accumulator(SanityMeasures& m) : m_(m) {}

    PositionStats add(std::span<const float> row) {
        const PositionStats s = position_stats(row);
        ++m_.positions;
        m_.non_finite_logits += s.non_finite;
        if (s.non_finite) ++m_.non_finite_positions;
        if (s.non_finite == row.size()) return s;
        m_.max_abs_logit = std::max(m_.max_abs_logit, std::max(std::fabs(s.max), std::fabs(s.max - s.spread)));
        m_.max_spread = std::max(m_.max_spread, s.spread);
        m_.min_entropy = scored_ ? std::min(m_.min_entropy, s.entropy) : s.entropy;
        m_.max_entropy = scored_ ? std::max(m_.max_entropy, s.entropy) : s.entropy;
        sum_entropy_ += s.entropy;
        sum_std_ += s.std;
        ++argmax_count_[s.argmax];
        ++scored_;
        return s;
    }

    void finish() {
        if (scored_ == 0) return;
        m_.mean_entropy = sum_entropy_ / static_cast<double>(scored_);
        m_.mean_std = sum_std_ / static_cast<double>(scored_);
        m_.distinct_argmax = argmax_count_.size();
        m_.scored_positions = scored_;
        m_.most_common_argmax = std::max_element(argmax_count_.begin(), argmax_count_.end(), [](auto& a, auto& b) {
                                    return a.second < b.second;
                                })->first;
    }

private:
    SanityMeasures& m_;
    std::uint64_t scored_ = 0;
    double sum_entropy_ = 0, sum_std_ = 0;
    std::map<std::int32_t, std::uint64_t> argmax_count_;
};

model::Finding finding(std::string code, Severity severity, std::string message, std::vector<model::Evidence> evidence,
                       std::string hint) {
    return model::Finding{std::move(code), severity, "", std::move(message), std::move(evidence), std::move(hint)};
}

std::string number(double x) { return fmt::format("{:.4g}", x); }

}  // namespace

std::vector<model::Finding> sanity_findings(const SanityMeasures& m, const tokenizer::Tokenizer* tok) {
    const std::uint64_t scored = m.scored_positions;
    std::vector<model::Finding> out;
    const auto token_label = [&](std::int32_t id) {
        return tok && id < tok->n_tokens() ? fmt::format("{} {}", id, quote(tok->token_piece(id))) : std::to_string(id);
    };
    if (m.non_finite_logits > 0)
        out.push_back(finding("GD-F001", Severity::error,
                              fmt::format("the forward pass produced {} non-finite logits (NaN or infinity) at {} of {} positions",
                                          m.non_finite_logits, m.non_finite_positions, m.positions),
                              {{"non_finite_logits", std::to_string(m.non_finite_logits)},
                               {"positions", std::to_string(m.positions)}},
                              "run 'gguf-doctor trace' to find the first op whose output is not finite"));
    if (scored == 0) return out;
    if (m.max_spread < kNoSpread)
        out.push_back(finding("GD-F002", Severity::error,
                              "the logits are the same for every token: the model predicts nothing",
                              {{"max_spread", number(m.max_spread)}, {"max_abs_logit", number(m.max_abs_logit)}},
                              "an all-zero output matrix or final norm gives this; 'gguf-doctor stats' shows them"));
    if (m.distinct_argmax == 1 && scored >= kMinPositionsForDegenerate)
        out.push_back(finding("GD-F003", Severity::error,
                              fmt::format("every position of every prompt predicts the same token ({})",
                                          token_label(m.most_common_argmax)),
                              {{"positions", std::to_string(scored)}, {"token", token_label(m.most_common_argmax)}},
                              "degenerate output: the same token repeated whatever the input; compare a trace of "
                              "the first layers with 'gguf-doctor trace' to locate where the inputs stop mattering"));
    if (m.max_abs_logit > kImplausibleLogit)
        out.push_back(finding("GD-F004", Severity::warning,
                              fmt::format("logits reach {}, beyond what a language-model head produces", number(m.max_abs_logit)),
                              {{"max_abs_logit", number(m.max_abs_logit)}, {"mean_std", number(m.mean_std)}},
                              "look for a norm or output tensor with values orders of magnitude off"));
    if (m.max_entropy < kCollapsedEntropy)
        out.push_back(finding("GD-F005", Severity::warning,
                              "every prediction is certain (entropy near 0 at every position), whatever the input",
                              {{"max_entropy_nats", number(m.max_entropy)}, {"mean_std", number(m.mean_std)}},
                              "collapsed predictions usually mean exploding activations; see 'gguf-doctor trace'"));

    const auto uniform_evidence = [&] {
        std::vector<model::Evidence> e{{"mean_entropy_nats", number(m.mean_entropy)},
                                       {"uniform_entropy_nats", number(m.uniform_entropy)}};
        if (m.perplexity_measured) {
            e.push_back({"perplexity", number(m.perplexity)});
            e.push_back({"n_vocab", std::to_string(m.n_vocab)});
            e.push_back({"normalized_nll", number(m.normalized_nll)});
        }
        return e;
    };
    if (m.perplexity_measured) {
        if (m.normalized_nll >= kUniformNll)
            out.push_back(finding("GD-F006", Severity::error,
                                  fmt::format("the model predicts {} about as well as uniform guessing "
                                              "(perplexity {} with {} tokens): the weights behave like random, "
                                              "untrained weights", m.text_label, number(m.perplexity), m.n_vocab),
                                  uniform_evidence(),
                                  "a real checkpoint has a perplexity far below its vocabulary size on plain English"));
        else if (m.normalized_nll >= kHighNll)
            out.push_back(finding("GD-F007", Severity::warning,
                                  fmt::format("perplexity {} on {} is high for a language model", number(m.perplexity), m.text_label),
                                  uniform_evidence(),
                                  "partly damaged weights, a tokenizer that does not match the weights, or a model "
                                  "not trained on English; try --text with text from its domain"));
    } else if (m.mean_entropy >= kUniformEntropy * m.uniform_entropy) {
        out.push_back(finding("GD-F006", Severity::error,
                              "the predictions are close to uniform at every position: the weights behave like random, "
                              "untrained weights",
                              uniform_evidence(), "a trained model is far more certain than uniform guessing"));
    }
    for (const auto& p : m.prompts) {
        if (p.repeat_period == 0 || p.generated.empty() ||
            p.repeated_tokens < kRepeatedFraction * static_cast<double>(p.generated.size()))
            continue;
        out.push_back(finding("GD-F008", Severity::warning,
                              fmt::format("greedy generation after {} collapses into repeating {} token{}", quote(p.prompt),
                                          p.repeat_period, p.repeat_period == 1 ? "" : "s"),
                              {{"generated", tok ? quote(p.generated_text) : fmt::format("{}", fmt::join(p.generated, ","))},
                               {"repeated_tokens", fmt::format("{} of {}", p.repeated_tokens, p.generated.size())}},
                              "the 'same token over and over' symptom; if the other checks pass, compare the "
                              "prompt's logits with llama.cpp"));
    }
    if (m.perplexity_measured)
        out.push_back(finding("GD-F009", Severity::info,
                              fmt::format("perplexity {} on {} tokens of {}; mean entropy {} nats (uniform: {})",
                                          number(m.perplexity), m.text_tokens, m.text_label, number(m.mean_entropy),
                                          number(m.uniform_entropy)),
                              uniform_evidence(), ""));
    else if (!tok)
        out.push_back(finding("GD-F011", Severity::warning,
                              "perplexity was not measured: the model has no tokenizer gguf-doctor can use; the "
                              "predictions were judged on token-id prompts only",
                              {{"mean_entropy_nats", number(m.mean_entropy)}}, ""));
    for (const auto& p : m.prompts) {
        std::vector<model::Evidence> e;
        for (const auto& t : p.top)
            e.push_back({tok ? fmt::format("{} {}", t.id, quote(t.text)) : std::to_string(t.id), number(t.probability)});
        e.push_back({"entropy_nats", number(p.entropy)});
        if (!p.generated.empty())
            e.push_back({"greedy", tok ? quote(p.generated_text) : fmt::format("{}", fmt::join(p.generated, ","))});
        const auto& best = p.top.front();
        out.push_back(finding("GD-F010", Severity::info,
                              fmt::format("after {} the top prediction is {} (p = {})", quote(p.prompt),
                                          tok ? quote(best.text) : std::to_string(best.id), number(best.probability)),
                              std::move(e), ""));
    }
    return out;
}

const std::vector<std::string>& builtin_prompts() {
    static const std::vector<std::string> prompts{
        "The capital of France is",
        "Once upon a time, there was a little",
        "def add(a, b):\n    return",
        "1, 2, 3, 4, 5,",
    };
    return prompts;
}

const std::string& builtin_text() {
    // Plain, common English (written for this project), so that any English language model predicts it well.
    static const std::string text =
        "The sun was shining and the birds were singing in the trees. Anna opened the door and walked out into "
        "the garden. Her little brother was already there, playing with the dog on the grass. \"Good morning!\" "
        "she said with a smile. \"Do you want to go to the park after breakfast?\" He nodded and ran back into "
        "the house to find his shoes. Their mother was in the kitchen, making eggs and toast for everyone. After "
        "they had eaten, the three of them walked down the street to the park. It was a beautiful day, and many "
        "people were out with their families. The children played on the swings until it was time to go home for "
        "lunch.";
    return text;
}

Result<SanityResult> logit_sanity(Forward& forward, const tokenizer::Tokenizer* tok, const SanityOptions& options) {
    SanityResult result;
    SanityMeasures& m = result.measures;
    m.text_label = options.text.empty() ? "English text"
                   : options.text_label.empty() ? "the given text" : options.text_label;
    Accumulator acc(m);
    const auto finish = [&](Error e) {
        forward.reset();
        return e;
    };
    forward.reset();

    // Prompts: the prediction after each, and a greedy continuation of the first ones.
    std::vector<std::pair<std::string, std::vector<std::int32_t>>> prompts;
    if (tok) {
        for (const auto& p : options.prompts.empty() ? builtin_prompts() : options.prompts)
            prompts.emplace_back(p, tok->encode(p, true, false));
    } else {
        // Without a tokenizer there are no text prompts; fixed id sequences stand in for them.
        const auto spec_vocab = forward.spec().n_vocab;
        auto probe = forward.evaluate(std::vector<std::int32_t>{0});
        if (!probe) return finish(probe.error());
        forward.reset();
        for (auto& ids : id_prompts(spec_vocab ? spec_vocab : probe->n_vocab))
            prompts.emplace_back(fmt::format("{}", fmt::join(ids, ",")), ids);
    }
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        auto& [text, ids] = prompts[i];
        if (ids.empty()) continue;
        auto logits = forward.evaluate(ids);
        if (!logits) return finish(logits.error());
        m.n_vocab = logits->n_vocab;
        PositionStats last;
        for (std::uint64_t t = 0; t < logits->n_tokens; ++t) last = acc.add(logits->row(t));
        PromptEvidence e;
        e.prompt = text;
        e.tokens = ids;
        e.top = top_tokens(logits->row(logits->n_tokens - 1), last, std::max<std::uint32_t>(1, options.top_k), tok);
        e.entropy = last.entropy;
        if (i < options.generating_prompts) {
            std::int32_t next = last.argmax;
            for (std::uint32_t g = 0; g < options.generated_tokens; ++g) {
                e.generated.push_back(next);
                if (tok && tok->is_end_of_generation(next)) break;
                auto step = forward.evaluate(std::span(&next, 1));
                if (!step) return finish(step.error());
                next = position_stats(step->row(0)).argmax;
            }
            if (tok) e.generated_text = tok->decode(e.generated);
            std::tie(e.repeat_period, e.repeated_tokens) = repeating_tail(e.generated);
        }
        m.prompts.push_back(std::move(e));
        forward.reset();
    }

    // Perplexity of the English text.
    if (tok) {
        std::vector<std::int32_t> ids = tok->encode(options.text.empty() ? builtin_text() : options.text, true, false);
        std::uint64_t limit = options.max_text_tokens;
        if (forward.spec().n_ctx_train > 0) limit = std::min(limit, forward.spec().n_ctx_train);
        if (ids.size() > limit) ids.resize(limit);
        if (ids.size() >= 2) {
            auto logits = forward.evaluate(ids);
            if (!logits) return finish(logits.error());
            m.n_vocab = logits->n_vocab;
            double nll = 0;
            for (std::uint64_t t = 0; t < logits->n_tokens; ++t) {
                const PositionStats s = acc.add(logits->row(t));
                if (t + 1 < logits->n_tokens) nll += negative_log_likelihood(logits->row(t), s, ids[t + 1]);
            }
            m.perplexity_measured = std::isfinite(nll);
            m.text_tokens = ids.size();
            m.mean_nll = nll / static_cast<double>(ids.size() - 1);
            m.perplexity = std::exp(m.mean_nll);
        }
        forward.reset();
    }

    m.uniform_entropy = m.n_vocab ? std::log(static_cast<double>(m.n_vocab)) : 0;
    if (m.perplexity_measured && m.uniform_entropy > 0) m.normalized_nll = m.mean_nll / m.uniform_entropy;
    acc.finish();
    result.findings = sanity_findings(m, tok);
    return result;
}

}  // namespace gguf::forward
