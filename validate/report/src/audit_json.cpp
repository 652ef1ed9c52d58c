// The JSON form of an audit (docs/audit.md, "JSON output"). Non-finite numbers are written as the
// strings "nan", "inf", "-inf", as in trace files.
#include <cmath>
#include <nlohmann/json.hpp>

#include "gguf/report/audit.hpp"
#include "gguf/types.hpp"

namespace gguf::report {
namespace {

using namespace gguf::audit;  // this file renders audit's results

using nlohmann::json;

json number(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    return x;
}

json diagnosis_json(const Diagnosis& d) {
    json evidence = json::object();
    for (const auto& e : d.evidence) evidence[e.name] = e.value;
    json j = {{"kind", d.kind}, {"message", d.message}, {"evidence", std::move(evidence)}};
    if (d.compared) {
        j["compared"] = d.compared;
        j["agreeing"] = d.within;
    }
    return j;
}

json record_json(const forward::TraceRecord& r) {
    json first = json::array();
    for (const float f : r.first) first.push_back(number(f));
    return {{"shape", r.shape},           {"min", number(r.min)},   {"max", number(r.max)}, {"mean", number(r.mean)},
            {"rms", number(r.rms)},       {"non_finite", r.non_finite}, {"first", std::move(first)}};
}

json dump_json(const DumpAudit& a) {
    json tensors = json::array();
    for (const TensorAudit& t : a.tensors) {
        json j = {{"name", t.name}, {"status", status_name(t.status)}, {"file", t.file.filename().string()}};
        if (t.status != TensorStatus::extra) j["type"] = type_label(t.type);
        if (t.status == TensorStatus::match || t.status == TensorStatus::mismatch) {
            const Agreement& g = t.agreement;
            j["shape"] = t.expected_shape;
            j["your_shape"] = t.dump_shape;
            j["your_dtype"] = t.dump_dtype;
            j["tolerance"] = {{"rtol", t.tolerance.rtol}, {"atol", t.tolerance.atol}};
            j["agreement"] = {{"compared", g.compared},
                              {"agreeing", g.within},
                              {"first_mismatch", g.first_mismatch < g.compared ? json(g.first_mismatch) : json(nullptr)},
                              {"max_abs_diff", number(g.max_abs_diff)},
                              {"relative_error", number(g.relative_rms)},
                              {"cosine", number(g.cosine)}};
        }
        if (t.status == TensorStatus::mismatch) {
            json diagnoses = json::array();
            for (const auto& d : t.diagnoses) diagnoses.push_back(diagnosis_json(d));
            j["diagnoses"] = std::move(diagnoses);
            j["tested"] = t.tested;
        }
        if (!t.problem.empty()) j["problem"] = t.problem;
        tensors.push_back(std::move(j));
    }
    return {{"dir", a.dir.string()},
            {"passed", a.passed()},
            {"counts",
             {{"match", a.count(TensorStatus::match)},
              {"mismatch", a.count(TensorStatus::mismatch)},
              {"missing", a.count(TensorStatus::missing)},
              {"extra", a.count(TensorStatus::extra)},
              {"unreadable", a.count(TensorStatus::unreadable)}}},
            {"allow_missing", a.allow_missing},
            {"allow_extra", a.allow_extra},
            {"tensors", std::move(tensors)}};
}

json trace_json(const TraceAudit& a, const std::string& path) {
    json records = json::array();
    for (const auto& r : a.records)
        records.push_back({{"layer", r.layer},
                           {"op", r.op},
                           {"diverged", r.diverged},
                           {"deviation", number(r.deviation)},
                           {"worst", r.worst},
                           {"full_values", r.full_values}});
    json j = {{"file", path},
              {"passed", a.passed()},
              {"tokens", a.tokens},
              {"tolerance", a.tolerance},
              {"records", std::move(records)},
              {"not_in_yours", a.not_in_theirs},
              {"not_in_reference", a.not_in_ours},
              {"first_divergence", nullptr}};
    if (a.first_divergence) {
        const auto& d = a.records[*a.first_divergence];
        json explanations = json::array();
        for (const auto& e : a.explanations) explanations.push_back(diagnosis_json(e));
        j["first_divergence"] = {{"layer", d.layer},
                                 {"op", d.op},
                                 {"deviation", number(d.deviation)},
                                 {"worst", d.worst},
                                 {"reference", record_json(d.ours)},
                                 {"yours", record_json(d.theirs)},
                                 {"localisation", a.localisation},
                                 {"explanations", std::move(explanations)},
                                 {"tested", a.tested}};
        if (d.full_values) {
            j["first_divergence"]["relative_error"] = number(d.relative_rms);
            j["first_divergence"]["max_abs_diff"] = number(d.max_abs_diff);
        }
    }
    return j;
}

}  // namespace

std::string render_json(const audit::AuditReport& report) {
    json j = {{"tool", "gguf-doctor"},
              {"version", report.tool_version},
              {"command", "audit"},
              {"model", report.model_path},
              {"passed", report.passed()},
              {"seconds", report.seconds}};
    if (report.dump) j["dump"] = dump_json(*report.dump);
    if (report.trace) j["trace"] = trace_json(*report.trace, report.trace_path);
    return j.dump(1) + "\n";
}

}  // namespace gguf::report
