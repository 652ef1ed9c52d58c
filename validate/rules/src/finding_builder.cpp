#include <cmath>
#include <fmt/format.h>

#include "gguf/rules/codes.hpp"
#include "rule_context.hpp"

namespace gguf::rules {

FindingBuilder add_finding(std::vector<model::Finding>& out, std::string_view code, std::string subject,
                           std::string message) {
    model::Finding f;
    f.code = std::string(code);
    const CodeInfo* info = find_code(code);
    f.severity = info ? info->severity : Severity::error;
    f.subject = std::move(subject);
    f.message = std::move(message);
    out.push_back(std::move(f));
    return FindingBuilder(out.back());
}

FindingBuilder& FindingBuilder::evidence(std::string name, std::string value) {
    f_.evidence.push_back(model::Evidence{std::move(name), std::move(value)});
    return *this;
}

FindingBuilder& FindingBuilder::evidence(std::string name, double value) { return evidence(std::move(name), format_number(value)); }

FindingBuilder& FindingBuilder::evidence(std::string name, std::uint64_t value) {
    return evidence(std::move(name), std::to_string(value));
}

FindingBuilder& FindingBuilder::hint(std::string text) {
    f_.hint = std::move(text);
    return *this;
}

std::string format_number(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    if (value == std::trunc(value) && std::fabs(value) < 1e15) return fmt::format("{:.0f}", value);
    return fmt::format("{:.4g}", value);
}

std::string format_shape(const std::vector<std::uint64_t>& ne) { return fmt::format("[{}]", fmt::join(ne, ", ")); }

std::string format_shape(const TensorInfo& tensor) {
    return format_shape(std::vector<std::uint64_t>(tensor.ne.begin(), tensor.ne.begin() + tensor.n_dims));
}

}  // namespace gguf::rules
