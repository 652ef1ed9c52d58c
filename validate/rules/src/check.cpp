#include "gguf/rules/check.hpp"

#include <algorithm>

#include "gguf/dequant.hpp"
#include "gguf/model/schema.hpp"
#include "gguf/rules/codes.hpp"
#include "rule_context.hpp"
#include "value_pass.hpp"

namespace gguf::rules {
namespace {

// Architecture variants read_spec() accepts but the schema does not describe.
// A mixture-of-experts file of an architecture whose schema has no experts (Mixtral's "llama").
std::optional<std::string> unmodelled_variant(const Container& model, const model::ModelSpec& spec) {
    if (spec.moe.enabled()) return std::nullopt;
    if (auto experts = model.get_u64(spec.architecture + ".expert_count"); experts && *experts > 0)
        return "mixture-of-experts (" + std::to_string(*experts) + " experts)";
    return std::nullopt;
}

std::string modelled_list() {
    std::string out;
    for (const auto& a : model::modelled_architectures()) out += (out.empty() ? "" : ", ") + a;
    return out;
}

}  // namespace

CheckResult check(const Container& model, const CheckOptions& options) {
    CheckResult result;
    std::vector<model::Finding> findings;
    std::optional<model::Schema> schema;

    auto spec = model::read_spec(model);
    std::string not_modelled_reason;
    if (spec) {
        result.spec = *spec;
        const auto variant = unmodelled_variant(model, *spec);
        if (variant) not_modelled_reason = "the " + *variant + " variant of " + spec->architecture + " is not modelled";
        else if (!spec->known) not_modelled_reason = "architecture '" + spec->architecture + "' is not modelled";
        else schema = model::schema_for(*spec);
    }

    RuleContext ctx{model, options.settings, result.spec ? &*result.spec : nullptr, schema ? &*schema : nullptr, {}, findings};
    structural_rules(ctx);
    if (!spec) {
        add_finding(findings, code::spec_unreadable, "", spec.error().message)
            .hint("Without these hyperparameters no schema or forward pass applies; only structure and values "
                  "are checked. Compare the metadata with the original config.json.");
    } else if (!schema) {
        add_finding(findings, code::not_modelled, "general.architecture",
                    not_modelled_reason + ": structure, vocabulary and values are checked, the tensor schema and "
                                          "the forward pass are not")
            .evidence("architecture", spec->architecture)
            .evidence("modelled", modelled_list());
    } else if (!spec->modelled) {
        add_finding(findings, code::not_modelled, "general.architecture",
                    "the forward pass does not model architecture '" + spec->architecture +
                        "': structure, tensor schema, vocabulary and values are checked, the logits are not")
            .evidence("architecture", spec->architecture)
            .evidence("modelled", modelled_list());
    }
    hparam_rules(ctx);
    schema_rules(ctx);
    vocabulary_rules(ctx);
    // The merge and tokenizer rules build hash maps of the whole vocabulary (a few hundred ms for 150k
    // tokens) and read only metadata: the value pass runs them on one of its threads, into findings of
    // their own that keep their place in the report.
    std::vector<model::Finding> tokenizer_findings;
    RuleContext tokenizer_ctx{model, options.settings, ctx.spec, ctx.schema, ctx.vocab, tokenizer_findings};
    const auto tokenizer_work = [&] {
        merge_rules(tokenizer_ctx);
        tokenizer_rules(tokenizer_ctx);
    };
    std::vector<model::Finding> value_findings;
    RuleContext value_ctx{model, options.settings, ctx.spec, ctx.schema, ctx.vocab, value_findings};
    if (options.values) {
        const ValuePassTotals totals = value_pass(value_ctx, options, tokenizer_work);
        result.tensors_read = totals.tensors;
        result.bytes_read = totals.bytes;
    } else {
        tokenizer_work();
    }
    findings.insert(findings.end(), tokenizer_findings.begin(), tokenizer_findings.end());
    findings.insert(findings.end(), value_findings.begin(), value_findings.end());

    apply_settings(findings, options.settings);
    result.findings = std::move(findings);
    result.schema_checked = schema.has_value();
    result.modelled = schema.has_value() && spec->modelled;
    return result;
}

model::Finding unparsable_finding(const Error& error) {
    std::vector<model::Finding> out;
    add_finding(out, code::unparsable, error.path, error.message)
        .evidence("error", std::string(error_code_name(error.code)))
        .evidence("byte_offset", error.offset)
        .hint("The header or tensor table cannot be read, so nothing else can be checked. A truncated or "
              "overwritten file, or not a GGUF file at all.");
    return out.front();
}

void apply_settings(std::vector<model::Finding>& findings, const RuleSettings& settings) {
    std::erase_if(findings, [&](const model::Finding& f) { return settings.is_disabled(f.code); });
    for (auto& f : findings)
        if (auto it = settings.severity.find(f.code); it != settings.severity.end()) f.severity = it->second;
}

}  // namespace gguf::rules
