// The file's tensors against the architecture's schema: every expected tensor present with the shape
// the hyperparameters imply, nothing the architecture does not have.
#include <algorithm>

#include "gguf/rules/codes.hpp"
#include "rule_context.hpp"

namespace gguf::rules {
namespace {

std::vector<std::uint64_t> actual_shape(const TensorInfo& t) {
    return {t.ne.begin(), t.ne.begin() + t.n_dims};
}

// Rows of vocabulary-sized tensors are judged by the vocabulary rules (padding is legitimate), so only
// the row length and the number of dimensions must match here.
bool shape_matches(const model::ExpectedTensor& e, const std::vector<std::uint64_t>& actual) {
    if (actual.size() != e.ne.size()) return false;
    if (!e.vocab_rows) return actual == e.ne;
    if (actual[0] != e.ne[0]) return false;
    return e.ne.size() < 2 || actual[1] > 0;
}

void check_shape(RuleContext& ctx, const model::ExpectedTensor& e, const TensorInfo& t) {
    const auto actual = actual_shape(t);
    if (shape_matches(e, actual)) return;
    std::vector<std::uint64_t> reversed(actual.rbegin(), actual.rend());
    const bool transposed = actual.size() == 2 && (reversed == e.ne || (e.vocab_rows && reversed[0] == e.ne[0]));
    std::string expected = format_shape(e.ne);
    if (e.vocab_rows && e.ne.size() == 2) expected = "[" + std::to_string(e.ne[0]) + ", <vocabulary rows>]";
    auto f = add_finding(ctx.findings, code::wrong_shape, e.name,
                         transposed ? "the tensor has the expected dimensions in swapped order: it was written transposed"
                                    : "the tensor's shape is not the one the hyperparameters imply");
    f.evidence("shape", format_shape(actual)).evidence("expected", expected).evidence("role", std::string(model::role_name(e.role)));
    if (transposed)
        f.hint("ggml stores a matrix as [in, out] (ne[0] is the row length). A converter that wrote the "
               "PyTorch [out, in] layout without transposing produces this; every loader will read it wrongly.");
    else
        f.hint("Either the hyperparameters in the metadata or the tensor are wrong; compare both with the "
               "original config.json.");
}

}  // namespace

void schema_rules(RuleContext& ctx) {
    if (!ctx.schema) return;
    for (const model::ExpectedTensor& e : ctx.schema->tensors) {
        const TensorInfo* t = ctx.model.find_tensor(e.name);
        if (t) {
            check_shape(ctx, e, *t);
            continue;
        }
        switch (e.presence) {
            case model::Presence::required:
                add_finding(ctx.findings, code::missing_tensor, e.name,
                            "the architecture requires this tensor and the file does not have it")
                    .evidence("expected_shape", format_shape(e.ne))
                    .hint("llama.cpp refuses the file. The converter skipped or renamed the tensor; list the "
                          "file's tensors (gguf-doctor info) to see what it wrote instead.");
                break;
            case model::Presence::expected:
                add_finding(ctx.findings, code::missing_expected_tensor, e.name,
                            "the architecture is trained with this tensor; without it the model computes something else")
                    .evidence("expected_shape", format_shape(e.ne))
                    .hint("llama.cpp loads the file without it, so nothing fails loudly: the outputs are just wrong. "
                          "Re-convert from the original weights.");
                break;
            case model::Presence::optional:
                if (e.role == model::TensorRole::output)
                    add_finding(ctx.findings, code::tied_output, e.name,
                                "no output.weight: the lm_head is token_embd (tied embeddings)")
                        .hint("Normal for models trained with tied embeddings (Qwen2.5-0.5B, Llama 3.2 1B). For a "
                              "model trained with a separate lm_head the logits would be wrong: the forward "
                              "pass's perplexity tells the two apart.");
                break;
        }
    }
    for (const TensorInfo& t : ctx.model.tensors()) {
        if (ctx.schema->find(t.name)) continue;
        const auto parsed = model::parse_tensor_name(t.name);
        std::string why = "the architecture has no tensor of this name";
        if (parsed.layer >= 0 && ctx.spec && static_cast<std::uint64_t>(parsed.layer) >= ctx.spec->n_layer)
            why = "the tensor belongs to block " + std::to_string(parsed.layer) + ", past block_count";
        add_finding(ctx.findings, code::unexpected_tensor, t.name, why)
            .evidence("shape", format_shape(t))
            .hint("llama.cpp refuses files with tensors it does not create (\"wrong number of tensors\"). Check "
                  "general.architecture and block_count, or remove the tensor.");
    }
}

}  // namespace gguf::rules
