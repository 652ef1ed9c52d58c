// The trace audit: run the reference on the user's tokens, compare op by op, and at the first
// divergence say which inputs still agree and which hypotheses reproduce the user's numbers.
#include "gguf/audit/trace_audit.hpp"

#include <fmt/format.h>

#include <map>

#include "gguf/audit/npy.hpp"
#include "gguf/forward/pass_params.hpp"
#include "trace_detail.hpp"

namespace gguf::audit {
namespace {

std::string record_name(std::int32_t layer, const std::string& op) {
    return layer >= 0 ? fmt::format("blk.{}.{}", layer, op) : op;
}

Error trace_error(std::string message) { return Error{ErrorCode::invalid_argument, 0, std::move(message), ""}; }

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
    return out;
}

std::string localise(const Container& model, const TraceAudit& audit, const RecordComparison& d, std::uint64_t n_layer) {
    std::map<std::string, const RecordComparison*> compared;
    for (const auto& r : audit.records) compared.emplace(record_name(r.layer, r.op), &r);
    std::vector<std::string> agreeing, absent;
    for (const auto& [layer, op] : detail::op_inputs(model, d.layer, d.op, n_layer)) {
        const std::string name = record_name(layer, op);
        const auto it = compared.find(name);
        (it != compared.end() && !it->second->diverged ? agreeing : absent).push_back(name);
    }
    const auto weights = detail::op_weights(model, d.layer, d.op);
    std::string fault = detail::op_description(d.op);
    if (!weights.empty()) fault += " or its weights (" + join(weights) + ")";
    const std::string self = record_name(d.layer, d.op);
    std::string text;
    if (agreeing.empty() && absent.empty()) text = fmt::format("{} is the first activation that differs: {}", self, fault);
    else if (agreeing.empty()) text = fmt::format("{} is the first activation that differs: {}", self, fault);
    else text = fmt::format("{} agree{}, {} does not: {}", join(agreeing), agreeing.size() == 1 ? "s" : "", self, fault);
    if (!absent.empty())
        text += fmt::format("; {} {} not in your trace, so the fault may lie there too (record {} to narrow it down)",
                            join(absent), absent.size() == 1 ? "is" : "are", absent.size() == 1 ? "it" : "them");
    return text;
}

}  // namespace

Result<TraceAudit> audit_trace(const Container& model, forward::Forward& reference, const forward::TraceFile& theirs,
                               const TraceAuditOptions& options) {
    if (theirs.header.tokens.empty()) return trace_error("the trace lists no \"tokens\": the audit needs the evaluated token ids");
    if (theirs.header.first_position != 0)
        return trace_error("the trace starts at position " + std::to_string(theirs.header.first_position) +
                           ": evaluate the tokens from position 0 (an empty KV cache)");
    std::vector<std::vector<float>> their_values(theirs.records.size());
    for (std::size_t i = 0; i < theirs.records.size(); ++i) {
        if (i >= theirs.npy.size() || theirs.npy[i].empty()) continue;
        auto array = read_npy(theirs.npy[i]);
        if (!array) return array.error();
        std::uint64_t expected = 1;
        for (const auto d : theirs.records[i].shape) expected *= d;
        if (array->size() != expected)
            return trace_error(fmt::format("record {} ({}): {} holds {} values, the record's shape {}", i,
                                           record_name(theirs.records[i].layer, theirs.records[i].op), theirs.npy[i].string(),
                                           array->size(), expected));
        their_values[i] = std::move(array->values);
    }

    forward::Trace ours({.first_values = 0, .keep_values = true});
    reference.reset();
    auto logits = reference.evaluate(theirs.header.tokens, &ours);
    reference.reset();
    if (!logits) return logits.error();
    const model::ModelSpec& spec = reference.spec();
    auto params = forward::pass_params(model, spec);
    if (!params) return params.error();

    TraceAudit audit;
    audit.tokens = theirs.header.tokens;
    audit.tolerance = options.tolerance;
    const bool qk_hf = options.qk_order == QkOrder::hf;
    std::map<std::pair<std::int32_t, std::string>, std::size_t> their_index;
    for (std::size_t i = 0; i < theirs.records.size(); ++i) their_index.emplace(std::pair{theirs.records[i].layer, theirs.records[i].op}, i);
    std::map<std::pair<std::int32_t, std::string>, bool> seen;
    for (const forward::TraceRecord& r : ours.records()) {
        const auto key = std::pair{r.layer, r.op};
        seen[key] = true;
        const auto it = their_index.find(key);
        if (it == their_index.end()) {
            audit.not_in_theirs.push_back(record_name(r.layer, r.op));
            continue;
        }
        const forward::TraceRecord& t = theirs.records[it->second];
        const auto values = detail::in_their_order(spec, qk_hf, r.op, r.values);
        const auto d = detail::compare_activation(values, r.shape, t, their_values[it->second]);
        RecordComparison c;
        c.layer = r.layer;
        c.op = r.op;
        c.ours = d.summary;
        c.theirs = t;
        c.full_values = !their_values[it->second].empty();
        c.deviation = d.deviation;
        c.worst = d.worst;
        c.relative_rms = d.relative_rms;
        c.max_abs_diff = d.max_abs_diff;
        c.diverged = !(d.deviation <= options.tolerance);
        if (c.diverged && !audit.first_divergence) audit.first_divergence = audit.records.size();
        audit.records.push_back(std::move(c));
    }
    for (const auto& t : theirs.records)
        if (!seen.count({t.layer, t.op})) audit.not_in_ours.push_back(record_name(t.layer, t.op));

    if (audit.first_divergence) {
        const RecordComparison& d = audit.records[*audit.first_divergence];
        audit.localisation = localise(model, audit, d, spec.n_layer);
        const std::size_t their_i = their_index.at({d.layer, d.op});
        const detail::DivergencePoint point{model, spec, *params, ours, theirs.records[their_i], their_values[their_i], d.layer,
                                            d.op, audit.tokens.size(), options.tolerance, 0, qk_hf};
        detail::explain_divergence(point, audit.explanations, audit.tested);
    }
    return audit;
}

}  // namespace gguf::audit
