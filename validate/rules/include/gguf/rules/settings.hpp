// What a user can tune with `gguf-doctor check --rules FILE` (docs/rules.md): the thresholds of the
// value and hyperparameter rules, codes to disable, and severity overrides. Defaults are chosen so that
// healthy models (Qwen2.5, Llama-family, TinyLlama) produce no warning.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::rules {

struct Thresholds {
    // RMSNorm epsilon: outside [eps_min, eps_max] is unusual (real models use 1e-5 or 1e-6).
    double eps_min = 1e-12;
    double eps_max = 1e-3;
    // A norm whose gain, multiplied by the scale of the matrices that consume its output, is more than
    // this factor away from the median of the same norm in the other layers.
    double norm_outlier_ratio = 20.0;
    // A row whose rms exceeds the tensor's rms by more than this factor.
    double extreme_row_ratio = 64.0;
    // A block scale more than this factor above the tensor's 99th-percentile block scale.
    double block_scale_outlier_ratio = 1000.0;
    // Fraction of sampled quantized blocks allowed to use less than half of their code range.
    double underfilled_block_fraction = 0.02;
    // Code-book (IQ) types, GD-W023 (docs/rules.md: measured on ggml's and our quantizers): a tensor that
    // uses less than this fraction of the grid entries its lookups could reach, and one whose share of
    // set sign bits (or of negative IQ1 shifts) is further than this from one half.
    double grid_usage_min = 0.1;
    double sign_fraction_margin = 0.3;
    // Tensors smaller than this many elements are not compared for identical content.
    std::uint64_t duplicate_min_elements = 64;
};

struct RuleSettings {
    Thresholds thresholds;
    std::set<std::string, std::less<>> disabled;                 // codes never reported
    std::map<std::string, Severity, std::less<>> severity;       // per-code severity overrides

    bool is_disabled(std::string_view code) const { return disabled.contains(code); }
};

// Parses the JSON format of docs/rules.md. Unknown keys, unknown codes and values of the wrong type are
// errors (ErrorCode::invalid_argument, naming the key), so a typo never silently changes nothing.
Result<RuleSettings> parse_settings(std::string_view json_text, RuleSettings base = {});
Result<RuleSettings> load_settings(const std::filesystem::path& path, RuleSettings base = {});

// Why `code` cannot be disabled or overridden (not of the form GD-X000, or an unknown code of a family
// this library owns); nullopt when it can.
std::optional<std::string> code_problem(std::string_view code);

// "error" / "warning" / "info" (also "note" for info); nullopt otherwise.
std::optional<Severity> parse_severity(std::string_view name);

}  // namespace gguf::rules
