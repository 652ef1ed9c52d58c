#include "gguf/verdict/logit_lens.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "gguf/overlay.hpp"

namespace gguf::verdict {

bool logit_lens_is_cheap(const model::ModelSpec& spec, std::uint64_t n_parameters, std::uint64_t tokens) {
    const double passes = static_cast<double>(spec.n_layer + 1) / 2.0;
    return static_cast<double>(n_parameters) * static_cast<double>(tokens) * passes <= cheap_work;
}

Result<LogitLens> logit_lens(const Container& model, const model::ModelSpec& spec, const ForwardFactory& make_forward,
                             std::span<const std::int32_t> tokens) {
    if (spec.n_main_layers() != spec.n_layer)
        return Error{ErrorCode::invalid_argument, 0,
                     "logit lens: the block count also places multi-token-prediction blocks, so fewer blocks cannot be read", ""};
    LogitLens lens;
    lens.tokens = tokens.size();
    const std::string key = spec.architecture + ".block_count";
    for (std::uint64_t blocks = 1; blocks <= spec.n_layer; ++blocks) {
        auto truncated = make_overlay(model, {}, {{key, Value::u32(static_cast<std::uint32_t>(blocks))}});
        if (!truncated) return truncated.error();
        auto pass = make_forward(*truncated);
        if (!pass) return Error{ErrorCode::invalid_argument, 0, "logit lens after " + std::to_string(blocks) + " blocks: " +
                                                                    pass.error().message, ""};
        auto nll = text_nll(**pass, tokens);
        if (!nll) return nll.error();
        lens.points.push_back({blocks, *nll, std::exp(*nll)});
    }
    return lens;
}

}  // namespace gguf::verdict
