#include "gguf/rules/settings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gguf/rules/codes.hpp"

namespace gguf::rules {
namespace {

using nlohmann::json;

Error invalid(std::string message) { return Error{ErrorCode::invalid_argument, 0, std::move(message), ""}; }

}  // namespace

// Codes of the families this library owns must exist; other families (GD-F from the forward pass) are
// accepted when well formed, because their catalog lives elsewhere.
std::optional<std::string> code_problem(std::string_view c) {
    const bool well_formed = c.size() == 7 && c.starts_with("GD-") && std::isupper(static_cast<unsigned char>(c[3])) &&
                             std::isdigit(static_cast<unsigned char>(c[4])) && std::isdigit(static_cast<unsigned char>(c[5])) &&
                             std::isdigit(static_cast<unsigned char>(c[6]));
    if (!well_formed) return "'" + std::string(c) + "' is not a finding code (GD-X000)";
    const std::string_view owned = "SAVTW";
    if (owned.find(c[3]) != std::string_view::npos && !find_code(c)) return "unknown finding code '" + std::string(c) + "'";
    return std::nullopt;
}

namespace {

struct NumberKey {
    std::string_view name;
    double Thresholds::*field;
    bool positive;  // must be > 0 (otherwise >= 0)
};

constexpr NumberKey kNumbers[] = {
    {"eps_min", &Thresholds::eps_min, true},
    {"eps_max", &Thresholds::eps_max, true},
    {"norm_outlier_ratio", &Thresholds::norm_outlier_ratio, true},
    {"extreme_row_ratio", &Thresholds::extreme_row_ratio, true},
    {"block_scale_outlier_ratio", &Thresholds::block_scale_outlier_ratio, true},
    {"underfilled_block_fraction", &Thresholds::underfilled_block_fraction, false},
    {"grid_usage_min", &Thresholds::grid_usage_min, false},
    {"sign_fraction_margin", &Thresholds::sign_fraction_margin, false},
};

std::optional<std::string> read_thresholds(const json& j, Thresholds& t) {
    if (!j.is_object()) return "'thresholds' must be an object";
    for (const auto& [key, value] : j.items()) {
        if (key == "duplicate_min_elements") {
            if (!value.is_number_unsigned()) return "'thresholds.duplicate_min_elements' must be a non-negative integer";
            t.duplicate_min_elements = value.get<std::uint64_t>();
            continue;
        }
        const auto it = std::find_if(std::begin(kNumbers), std::end(kNumbers), [&name = key](const NumberKey& k) { return k.name == name; });
        if (it == std::end(kNumbers)) return "unknown threshold 'thresholds." + key + "'";
        if (!value.is_number()) return "'thresholds." + key + "' must be a number";
        const double v = value.get<double>();
        if (!std::isfinite(v) || v < 0 || (it->positive && v == 0))
            return "'thresholds." + key + "' must be a " + (it->positive ? "positive" : "non-negative") + " finite number";
        t.*(it->field) = v;
    }
    if (t.eps_min > t.eps_max) return "'thresholds.eps_min' is larger than 'thresholds.eps_max'";
    if (t.underfilled_block_fraction > 1) return "'thresholds.underfilled_block_fraction' is a fraction (0..1)";
    if (t.grid_usage_min > 1) return "'thresholds.grid_usage_min' is a fraction (0..1)";
    if (t.sign_fraction_margin > 0.5) return "'thresholds.sign_fraction_margin' is at most 0.5";
    return std::nullopt;
}

}  // namespace

std::optional<Severity> parse_severity(std::string_view name) {
    if (name == "error") return Severity::error;
    if (name == "warning") return Severity::warning;
    if (name == "info" || name == "note") return Severity::info;
    return std::nullopt;
}

Result<RuleSettings> parse_settings(std::string_view json_text, RuleSettings base) {
    json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
    if (j.is_discarded()) return invalid("rules file is not valid JSON");
    if (!j.is_object()) return invalid("rules file must hold a JSON object");
    for (const auto& [key, value] : j.items()) {
        if (key == "thresholds") {
            if (auto problem = read_thresholds(value, base.thresholds)) return invalid(*problem);
        } else if (key == "disable") {
            if (!value.is_array()) return invalid("'disable' must be an array of codes");
            for (const auto& c : value) {
                if (!c.is_string()) return invalid("'disable' must be an array of codes");
                if (auto problem = code_problem(c.get<std::string>())) return invalid(*problem);
                base.disabled.insert(c.get<std::string>());
            }
        } else if (key == "severity") {
            if (!value.is_object()) return invalid("'severity' must map codes to \"error\", \"warning\" or \"info\"");
            for (const auto& [c, s] : value.items()) {
                if (auto problem = code_problem(c)) return invalid(*problem);
                const auto sev = s.is_string() ? parse_severity(s.get<std::string>()) : std::nullopt;
                if (!sev) return invalid("'severity." + c + "' must be \"error\", \"warning\" or \"info\"");
                base.severity[c] = *sev;
            }
        } else if (key != "$comment") {
            return invalid("unknown key '" + key + "' (expected thresholds, disable, severity)");
        }
    }
    return base;
}

Result<RuleSettings> load_settings(const std::filesystem::path& path, RuleSettings base) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::io_error, 0, "cannot open rules file", path.string()};
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = parse_settings(text.str(), std::move(base));
    if (!parsed) {
        Error e = parsed.error();
        e.path = path.string();
        return e;
    }
    return parsed;
}

}  // namespace gguf::rules
