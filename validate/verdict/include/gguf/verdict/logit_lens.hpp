// The logit lens: how well the residual stream after each block already predicts the text, read through
// the model's own output section (final norm, lm_head, soft-cap). A block that makes the prediction
// decisively worse than the block before it localises damage that the whole-model perplexity only
// shows as "bad". The model after block L is the file read with block_count = L (an overlay), so every
// modelled architecture and both backends get a lens without a line of their own.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/model/spec.hpp"
#include "gguf/verdict/counterfactual.hpp"

namespace gguf::verdict {

struct LensPoint {
    std::uint64_t blocks = 0;  // the residual stream after this many blocks
    double nll = 0;            // nats per predicted token
    double perplexity = 0;
};

struct LogitLens {
    std::uint64_t tokens = 0;
    std::vector<LensPoint> points;  // blocks = 1 .. n_layer; the last one is the model itself
};

// Whether the lens is cheap enough to run beside the counterfactual passes: the passes over 1, 2, ...
// n blocks cost about n/2 whole passes; the same budget (cheap_work) applies.
bool logit_lens_is_cheap(const model::ModelSpec& spec, std::uint64_t n_parameters, std::uint64_t tokens);

// The lens on `tokens`. Fails when a pass fails, or for models whose block count also places other
// blocks (multi-token-prediction blocks counted from the end).
Result<LogitLens> logit_lens(const Container& model, const model::ModelSpec& spec, const ForwardFactory& make_forward,
                             std::span<const std::int32_t> tokens);

}  // namespace gguf::verdict
