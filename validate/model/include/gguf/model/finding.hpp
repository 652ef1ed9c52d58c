// A finding: one fact or judgement about a model, with a stable code that docs/findings.md explains.
// Produced by rules/ and forward/ (logit sanity), rendered by report/.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gguf/container.hpp"

namespace gguf::model {

struct Evidence {
    std::string name;   // "mean", "max", "expected_rows"
    std::string value;  // formatted number or text
};

struct Finding {
    std::string code;             // stable, e.g. "GD-S001"; never reused for another meaning
    Severity severity = Severity::info;
    std::string subject;          // tensor name or metadata key; empty for the whole model
    std::string message;          // one sentence a person can act on
    std::vector<Evidence> evidence;
    std::string hint;             // how to confirm or fix
};

}  // namespace gguf::model
