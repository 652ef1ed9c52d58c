// Whether the model's tokenizer can be built: what llama.cpp would refuse is an error; what only
// gguf-doctor does not implement is a note (its forward-pass checks on text then cannot run).
#include "gguf/rules/codes.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "rule_context.hpp"

namespace gguf::rules {

void tokenizer_rules(RuleContext& ctx) {
    // Vision projectors and other token-free files of unmodelled architectures have no tokenizer.
    if (!ctx.schema && !ctx.model.find("tokenizer.ggml.model")) return;
    const auto loaded = tokenizer::load_tokenizer(ctx.model);
    if (loaded.ok()) return;
    const tokenizer::LoadError& e = loaded.error();
    std::string_view c;
    std::string hint;
    switch (e.code) {
        case tokenizer::LoadErrorCode::no_tokenizer:
            c = code::no_tokenizer;
            hint = "The file carries no vocabulary: text cannot be tokenized for it (llama.cpp loads it as "
                   "'no_vocab'). Re-convert with the tokenizer files beside the weights.";
            break;
        case tokenizer::LoadErrorCode::unknown_model:
            c = code::unknown_tokenizer;
            hint = "llama.cpp refuses the file. Check tokenizer.ggml.model (\"llama\" for SentencePiece, \"gpt2\" for "
                   "byte-level BPE).";
            break;
        case tokenizer::LoadErrorCode::unsupported_model:
            c = code::unsupported_tokenizer;
            hint = "llama.cpp knows this tokenizer; gguf-doctor implements only \"llama\" and \"gpt2\", so the "
                   "forward pass's text checks do not run.";
            break;
        case tokenizer::LoadErrorCode::unknown_pre_tokenizer:
            c = code::unknown_pre_tokenizer;
            hint = "llama.cpp refuses the file (unknown pre-tokenizer type). The converter did not recognise "
                   "the tokenizer and wrote a name llama.cpp has no rules for.";
            break;
        case tokenizer::LoadErrorCode::unsupported_pre_tokenizer:
            c = code::unsupported_pre_tokenizer;
            hint = "llama.cpp knows this pre-tokenizer; gguf-doctor does not implement it, so the forward "
                   "pass's text checks do not run.";
            break;
        case tokenizer::LoadErrorCode::invalid_metadata:
            c = code::tokenizer_metadata_invalid;
            hint = "A tokenizer key is missing or malformed; llama.cpp fails to build the vocabulary.";
            break;
    }
    add_finding(ctx.findings, c, e.key, e.message)
        .evidence("reason", std::string(tokenizer::load_error_code_name(e.code)))
        .evidence("byte_offset", e.offset)
        .hint(std::move(hint));
}

}  // namespace gguf::rules
