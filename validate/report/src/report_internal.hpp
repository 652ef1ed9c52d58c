// Helpers the renderers share.
#pragma once

#include <string>
#include <string_view>

#include "gguf/report/report.hpp"

namespace gguf::report::detail {

std::string title_of(const Report& report, std::string_view code);  // empty when not described
std::string one_line(const model::Finding& f);                      // "subject: message"
std::string evidence_line(const model::Finding& f);                 // "name=value, name=value"
std::string human_bytes(std::uint64_t bytes);

}  // namespace gguf::report::detail
