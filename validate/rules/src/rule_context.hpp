// What every rule sees: the model, its spec and schema when known, the settings, and where findings go.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/model/finding.hpp"
#include "gguf/model/schema.hpp"
#include "gguf/model/spec.hpp"
#include "gguf/rules/settings.hpp"

namespace gguf::rules {

// Facts the vocabulary rules establish and the value rules need (padding rows may be zero).
struct VocabFacts {
    std::uint64_t n_tokens = 0;          // tokenizer.ggml.tokens length, 0 when absent
    std::uint64_t trailing_unused = 0;   // tokens of type "unused" at the end of the list (padding)
    std::uint64_t unused_tokens = 0;     // tokens of type "unused" anywhere
    std::uint64_t control_tokens = 0;    // tokens of type "control" (special tokens, some never trained)
};

struct RuleContext {
    const Container& model;
    const RuleSettings& settings;
    const model::ModelSpec* spec = nullptr;      // null when the hyperparameters cannot be read
    const model::Schema* schema = nullptr;       // null when the architecture is not modelled
    VocabFacts vocab;
    std::vector<model::Finding>& findings;
};

// Appends a finding with the catalog's severity for `code`; chain evidence and a hint onto it.
class FindingBuilder {
public:
    explicit FindingBuilder(model::Finding& f) : f_(f) {}
    FindingBuilder& evidence(std::string name, std::string value);
    FindingBuilder& evidence(std::string name, double value);
    FindingBuilder& evidence(std::string name, std::uint64_t value);
    FindingBuilder& hint(std::string text);

private:
    model::Finding& f_;
};
FindingBuilder add_finding(std::vector<model::Finding>& out, std::string_view code, std::string subject,
                           std::string message);

// Numbers as reports show them: 4 significant digits, plain integers, "nan"/"inf".
std::string format_number(double value);
std::string format_shape(const std::vector<std::uint64_t>& ne);
std::string format_shape(const TensorInfo& tensor);

// The rule families, in the order check() runs them.
void structural_rules(RuleContext& ctx);
void hparam_rules(RuleContext& ctx);
void schema_rules(RuleContext& ctx);
void vocabulary_rules(RuleContext& ctx);
void merge_rules(RuleContext& ctx);  // BPE merges; reads only metadata, so it may run beside the value pass
void tokenizer_rules(RuleContext& ctx);  // reads only metadata, like merge_rules

}  // namespace gguf::rules
