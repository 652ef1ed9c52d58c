// JUnit XML for CI: one test suite for the dump (a test case per tensor) and one for the trace (a test
// case per compared activation), so a clean audit shows passing tests and a broken one names the tensor
// or op that fails.
#include <fmt/format.h>

#include "gguf/report/audit.hpp"
#include "gguf/types.hpp"
#include "gguf/value.hpp"

namespace gguf::report {
namespace {

using namespace gguf::audit;  // this file renders audit's results

// Names come from model files and dumps: bytes that are not valid UTF-8, and control characters XML 1.0
// forbids, become '?'.
std::string xml(std::string_view text) {
    const bool utf8 = is_valid_utf8(text);
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (!utf8 && c >= 0x80)) {
            out += '?';
            continue;
        }
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += ch;
        }
    }
    return out;
}

std::string test_case(std::string_view suite, std::string_view name, std::string_view failure_message = {},
                      std::string_view body = {}) {
    if (failure_message.empty())
        return fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\"/>\n", xml(suite), xml(name));
    return fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                       xml(suite), xml(name), xml(failure_message), xml(body));
}

std::string diagnoses_text(const std::vector<Diagnosis>& diagnoses) {
    std::string out;
    for (const auto& d : diagnoses) {
        out += d.kind + ": " + d.message + "\n";
        for (const auto& e : d.evidence) out += "  " + e.name + " = " + e.value + "\n";
    }
    return out;
}

struct Suite {
    std::string name;
    std::string cases;
    std::uint64_t tests = 0, failures = 0;
    void add(std::string_view test, std::string_view failure = {}, std::string_view body = {}) {
        ++tests;
        failures += !failure.empty();
        cases += test_case(name, test, failure, body);
    }
};

Suite dump_suite(const DumpAudit& a) {
    Suite s{"gguf-doctor.audit.dump"};
    for (const TensorAudit& t : a.tensors) {
        switch (t.status) {
            case TensorStatus::match: s.add(t.name); break;
            case TensorStatus::missing:
                if (a.allow_missing) s.add(t.name);
                else s.add(t.name, "missing: no file " + t.file.filename().string());
                break;
            case TensorStatus::extra:
                if (a.allow_extra) s.add(t.file.filename().string());
                else s.add(t.file.filename().string(), t.problem.empty() ? "extra: no tensor " + t.name + " in the model" : t.problem);
                break;
            case TensorStatus::unreadable: s.add(t.name, "unreadable: " + t.problem); break;
            case TensorStatus::mismatch: {
                const std::string message = t.diagnoses.empty()
                                                ? fmt::format("{} of {} values differ; no tested hypothesis explains it",
                                                              t.agreement.compared - t.agreement.within, t.agreement.compared)
                                                : t.diagnoses.front().kind + ": " + t.diagnoses.front().message;
                s.add(t.name, message,
                      fmt::format("{} {}; relative error {:.3g}, cosine {:.4f}, max |diff| {:.3g}\n{}", type_label(t.type),
                                  t.file.filename().string(), t.agreement.relative_rms, t.agreement.cosine,
                                  t.agreement.max_abs_diff, diagnoses_text(t.diagnoses)));
                break;
            }
        }
    }
    if (a.count(TensorStatus::match) + a.count(TensorStatus::mismatch) == 0) s.add("compared tensors", "no tensor was compared");
    return s;
}

Suite trace_suite(const TraceAudit& a) {
    Suite s{"gguf-doctor.audit.trace"};
    std::string first;
    for (std::size_t i = 0; i < a.records.size(); ++i) {
        const auto& r = a.records[i];
        const std::string name = r.layer >= 0 ? fmt::format("blk.{}.{}", r.layer, r.op) : r.op;
        if (!r.diverged) {
            s.add(name);
        } else if (a.first_divergence && i == *a.first_divergence) {
            first = name;
            s.add(name, fmt::format("first divergence: {} differs by {:.3g} of its scale", r.worst, r.deviation),
                  a.localisation + "\n" + diagnoses_text(a.explanations));
        } else {
            s.add(name, fmt::format("diverges by {:.3g} (downstream of the first divergence at {})", r.deviation, first));
        }
    }
    if (a.records.empty()) s.add("compared activations", "no activation of the trace has a counterpart in the reference's");
    return s;
}

}  // namespace

std::string render_junit(const audit::AuditReport& report) {
    std::vector<Suite> suites;
    if (report.dump) suites.push_back(dump_suite(*report.dump));
    if (report.trace) suites.push_back(trace_suite(*report.trace));
    std::uint64_t tests = 0, failures = 0;
    std::string body;
    for (const Suite& s : suites) {
        tests += s.tests;
        failures += s.failures;
        body += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"0\">\n"
                            "    <properties>\n      <property name=\"model\" value=\"{}\"/>\n    </properties>\n{}  </testsuite>\n",
                            xml(s.name), s.tests, s.failures, xml(report.model_path), s.cases);
    }
    return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gguf-doctor audit\" tests=\"{}\" failures=\"{}\" "
                       "errors=\"0\" time=\"{:.3f}\">\n{}</testsuites>\n",
                       tests, failures, report.seconds, body);
}

}  // namespace gguf::report
