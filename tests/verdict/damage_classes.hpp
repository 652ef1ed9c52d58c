// Damaged and healthy variants of a trained model, as overlays of its weights: the classes of loader
// and converter mistakes the verdicts must catch, and rewrites that keep the model's function (or only
// quantize it) that they must pass. Shared by the tests and the calibration program.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/model/spec.hpp"
#include "gguf/overlay.hpp"

namespace gguf::test {

using Variant = std::function<Result<std::vector<TensorReplacement>>(const Container&, const model::ModelSpec&)>;

struct DamageClass {
    std::string name;
    std::string expected;  // the hypothesis id (GD-F012) or weight finding code that should name it
    Variant apply;
};

struct HealthyRewrite {
    std::string name;
    Variant apply;
};

// Each class needs a llama-style model of at least 3 blocks with square attn_q/attn_output and F16
// matrices (the trained sample).
std::vector<DamageClass> damage_classes();

// Function-preserving rewrites and quantizations (our quantizers) of the same model. `all_types`:
// every quantization type down to Q2_K (the calibration); else the rewrites and the quantizations
// whose quantizers are fast enough for a unit test (Q8_0, Q4_0, Q4_K).
std::vector<HealthyRewrite> healthy_rewrites(bool all_types);

}  // namespace gguf::test
