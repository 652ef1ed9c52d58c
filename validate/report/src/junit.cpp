// JUnit XML, the format CI systems show as test results: one test suite per model, one failing test
// case per finding at or above --fail-on, and one passing test case per category without such
// findings (its lower-severity findings in system-out), so a clean model shows passing tests.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "gguf/report/report.hpp"
#include "report_internal.hpp"
#include "xml.hpp"

namespace gguf::report {
namespace detail {
namespace {

// Decodes one UTF-8 sequence at `i`; returns its length, or 0 when it is not well formed.
std::size_t utf8_length(std::string_view s, std::size_t i, std::uint32_t& cp) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    std::size_t n;
    if (c < 0x80) { cp = c; return 1; }
    if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

}  // namespace

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        std::uint32_t cp = 0;
        const std::size_t n = utf8_length(text, i, cp);
        const bool allowed = n > 0 && (cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp != 0xFFFE && cp != 0xFFFF));
        if (!allowed) {
            out += "\xEF\xBF\xBD";
            i += n ? n : 1;
            continue;
        }
        switch (cp) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out.append(text.substr(i, n));
        }
        i += n;
    }
    return out;
}

}  // namespace detail

std::string render_junit(const Report& report) {
    using detail::xml_escape;
    const char* const kCategories[] = {"structure", "architecture", "vocabulary", "tokenizer", "weights", "forward pass", "other"};
    std::map<std::string, std::vector<const model::Finding*>> failing, passing;
    for (const auto& f : report.findings) (f.severity >= report.fail_on ? failing : passing)[category_of(f.code)].push_back(&f);

    std::string cases;
    std::uint64_t tests = 0, failures = 0;
    for (const char* category : kCategories) {
        for (const model::Finding* f : failing[category]) {
            ++tests;
            ++failures;
            std::string body = detail::one_line(*f);
            if (!f->evidence.empty()) body += "\nevidence: " + detail::evidence_line(*f);
            if (!f->hint.empty()) body += "\nhint: " + f->hint;
            cases += fmt::format(
                "    <testcase classname=\"gguf-doctor.{}\" name=\"{}\" time=\"0\">\n"
                "      <failure type=\"{}\" message=\"{}\">{}</failure>\n"
                "    </testcase>\n",
                xml_escape(category), xml_escape(f->code + (f->subject.empty() ? "" : " " + f->subject)),
                xml_escape(severity_name(f->severity)), xml_escape(f->message), xml_escape(body));
        }
        if (!failing[category].empty()) continue;
        const auto& notes = passing[category];
        const bool ran = std::any_of(report.steps.begin(), report.steps.end(),
                                     [&](const CheckStep& s) { return s.name == category && s.status == "ran"; });
        if (notes.empty() && !ran) continue;
        ++tests;
        std::string out;
        for (const model::Finding* f : notes)
            out += fmt::format("{} {} {}\n", f->code, severity_name(f->severity), detail::one_line(*f));
        cases += fmt::format("    <testcase classname=\"gguf-doctor.{}\" name=\"{}\" time=\"0\">{}</testcase>\n",
                             xml_escape(category), xml_escape(category),
                             out.empty() ? "" : "\n      <system-out>" + xml_escape(out) + "</system-out>\n    ");
    }
    const std::string suite = "gguf-doctor check " + report.path;
    std::string properties;
    if (report.model) {
        properties += fmt::format("      <property name=\"architecture\" value=\"{}\"/>\n", xml_escape(report.model->architecture));
        properties += fmt::format("      <property name=\"modelled\" value=\"{}\"/>\n", report.model->modelled ? "true" : "false");
    }
    properties += fmt::format("      <property name=\"fail_on\" value=\"{}\"/>\n", severity_name(report.fail_on));
    properties += fmt::format("      <property name=\"verdict\" value=\"{}\"/>\n", xml_escape(verdict_line(report)));
    return fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites name=\"gguf-doctor\" tests=\"{0}\" failures=\"{1}\" errors=\"0\" time=\"{2:.3f}\">\n"
        "  <testsuite name=\"{3}\" tests=\"{0}\" failures=\"{1}\" errors=\"0\" skipped=\"0\" time=\"{2:.3f}\">\n"
        "    <properties>\n{4}    </properties>\n{5}"
        "  </testsuite>\n"
        "</testsuites>\n",
        tests, failures, report.seconds, xml_escape(suite), properties, cases);
}

}  // namespace gguf::report
