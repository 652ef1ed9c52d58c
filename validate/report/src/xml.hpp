// XML text escaping for the JUnit report. Model files carry arbitrary bytes in names and messages, so
// characters XML 1.0 forbids (control characters, invalid UTF-8) become U+FFFD.
#pragma once

#include <string>
#include <string_view>

namespace gguf::report::detail {

std::string xml_escape(std::string_view text);

}  // namespace gguf::report::detail
