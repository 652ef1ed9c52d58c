// Renderings of `gguf-doctor stats`. The JSON and CSV field names are a contract with scripts
// (docs/stats.md): add fields, never rename or retype them.
#include "gguf/report/stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "gguf/types.hpp"

namespace gguf::report::stats {
namespace {

using Json = nlohmann::ordered_json;
using Out = std::back_insert_iterator<std::string>;

constexpr std::string_view kSchema = "gguf-doctor/stats/1";

std::string type_name(std::uint32_t type) { return type_label(type); }

std::string shape_text(const TensorInfo& t) {
    std::string s;
    for (std::uint32_t d = 0; d < t.n_dims; ++d) fmt::format_to(Out(s), "{}{}", d ? " x " : "", t.ne[d]);
    return s;
}

// Non-finite numbers have no JSON form: the strings "NaN", "Infinity", "-Infinity" (as `info` writes).
Json number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    return v;
}

// Four significant digits, for the table.
std::string short_number(double v) {
    if (std::isnan(v)) return "-";
    return fmt::format("{:.4g}", v);
}

Json scale_json(const dequant::ScaleStats& s) {
    return Json{{"name", s.name},
                {"count", s.count},
                {"nan", s.nan_count},
                {"inf", s.inf_count},
                {"zero", s.zero_count},
                {"subnormal", s.subnormal_count},
                {"negative", s.negative_count},
                {"min", number(s.min)},
                {"max", number(s.max)},
                {"mean", number(s.mean)},
                {"std", number(s.std)}};
}

Json sub_scale_json(const dequant::SubScaleStats& s) {
    return Json{{"name", s.name},   {"bits", s.bits},         {"min_code", s.min_code},
                {"count", s.count}, {"mean", number(s.mean)}, {"histogram", s.histogram}};
}

Json code_usage_json(const dequant::CodeUsage& c) {
    Json j{{"grid_size", c.grid_size},
           {"grid_used", c.grid_used},
           {"grid_used_fraction", c.grid_used_fraction()},
           {"grid_lookups", c.grid_lookups}};
    if (c.sign_bits) {
        j["sign_bits"] = c.sign_bits;
        j["signs_set"] = c.signs_set;
        j["sign_fraction"] = c.sign_fraction();
    }
    if (c.delta_bits) {
        j["delta_bits"] = c.delta_bits;
        j["deltas_negative"] = c.deltas_negative;
        j["delta_negative_fraction"] = c.delta_negative_fraction();
    }
    return j;
}

// The share of a sub-block scale field's values on its top code (a quantizer that fits each
// super-block scale to its largest sub-block puts one there per super-block).
double top_code_share(const dequant::SubScaleStats& s) {
    return s.count ? static_cast<double>(s.histogram.back()) / static_cast<double>(s.count) : std::nan("");
}

Json rows_json(const std::vector<dequant::RowRms>& rows) {
    Json a = Json::array();
    for (const auto& r : rows) a.push_back(Json{{"row", r.row}, {"rms", number(r.rms)}});
    return a;
}

Json tensor_json(const Entry& e) {
    const TensorInfo& t = *e.info;
    const dequant::TensorStats& s = e.stats;
    Json ne = Json::array();
    for (std::uint32_t d = 0; d < t.n_dims; ++d) ne.push_back(t.ne[d]);
    Json j{{"name", t.name}, {"type", type_name(t.type)}, {"type_id", t.type}, {"ne", ne}, {"count", t.n_elements()}};
    if (!e.error.empty()) {
        j["status"] = "unreadable";
        j["error"] = e.error;
        return j;
    }
    if (!s.supported) {
        j["status"] = "unsupported";
        return j;
    }
    j["status"] = "ok";
    j["finite"] = s.finite_count;
    j["nan"] = s.nan_count;
    j["pos_inf"] = s.pos_inf_count;
    j["neg_inf"] = s.neg_inf_count;
    j["zero"] = s.zero_count;
    j["subnormal"] = s.subnormal_count;
    j["min"] = number(s.min);
    j["max"] = number(s.max);
    j["abs_max"] = number(s.abs_max);
    j["mean"] = number(s.mean);
    j["std"] = number(s.std);
    j["rms"] = number(s.rms);
    Json p = Json::object();
    for (const auto& q : s.percentiles) p[fmt::format("{:g}", q.p)] = number(q.value);
    j["percentiles"] = p;
    j["histogram"] = Json{{"min", number(s.min)}, {"max", number(s.max)}, {"counts", s.histogram}};
    Json log = Json::array();
    for (const auto& b : s.log_histogram) log.push_back(Json{{"exponent", b.exponent}, {"count", b.count}});
    j["log2_histogram"] = log;
    if (!s.raw_exponents.empty()) j["raw_exponents"] = s.raw_exponents;
    j["rows"] = Json{{"count", s.n_rows},
                     {"length", s.row_length},
                     {"zero", s.zero_rows},
                     {"nonfinite", s.nonfinite_rows},
                     {"smallest_rms", rows_json(s.smallest_rms_rows)},
                     {"largest_rms", rows_json(s.largest_rms_rows)}};
    if (!s.scales.empty()) {
        Json scales = Json::array();
        for (const auto& sc : s.scales) scales.push_back(scale_json(sc));
        j["block_scales"] = scales;
        j["nonfinite_scales"] = s.nonfinite_scales;
    }
    if (!s.sub_scales.empty()) {
        Json sub = Json::array();
        for (const auto& sc : s.sub_scales) sub.push_back(sub_scale_json(sc));
        j["sub_block_scales"] = sub;
    }
    if (s.codes.grid_size) j["code_usage"] = code_usage_json(s.codes);
    return j;
}

struct TypeTotal {
    std::uint64_t tensors = 0, elements = 0, bytes = 0, nan = 0, inf = 0, zero_rows = 0, nonfinite_scales = 0;
    std::uint64_t unsupported = 0, unreadable = 0;
};

std::map<std::uint32_t, TypeTotal> totals(const std::vector<Entry>& entries) {
    std::map<std::uint32_t, TypeTotal> by_type;
    for (const Entry& e : entries) {
        TypeTotal& t = by_type[e.info->type];
        ++t.tensors;
        t.elements += e.info->n_elements();
        t.bytes += e.info->n_bytes;
        if (!e.error.empty()) ++t.unreadable;
        else if (!e.stats.supported) ++t.unsupported;
        else {
            t.nan += e.stats.nan_count;
            t.inf += e.stats.inf_count();
            t.zero_rows += e.stats.zero_rows;
            t.nonfinite_scales += e.stats.nonfinite_scales;
        }
    }
    return by_type;
}

// Columns padded to their widest cell; the first `left` columns left-aligned, the rest right-aligned.
void table(std::string& out, const std::vector<std::vector<std::string>>& rows, std::size_t left) {
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t c = 0; c < r.size(); ++c) {
            if (c) line += "  ";
            line += c < left ? fmt::format("{:<{}}", r[c], width[c]) : fmt::format("{:>{}}", r[c], width[c]);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
    return whole ? fmt::format("{:.2f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole)) : "-";
}

}  // namespace

std::string render_text(const std::string& file, const std::vector<Entry>& entries) {
    std::string out = fmt::format("{}: {} tensors\n\n", file, entries.size());
    if (entries.empty()) return out;
    std::vector<std::vector<std::string>> rows{{"tensor", "type", "shape (ne)", "min", "max", "mean", "std", "rms",
                                                "p1", "p99", "nan", "inf", "zero", "zero rows", "bad scales"}};
    std::vector<std::string> notes;
    for (const Entry& e : entries) {
        const auto& s = e.stats;
        std::vector<std::string> r{e.info->name, type_name(e.info->type), shape_text(*e.info)};
        if (!e.error.empty() || !s.supported) {
            const std::string why = !e.error.empty() ? "unreadable" : "unsupported";
            r.insert(r.end(), {why, "", "", "", "", "", "", "", "", "", "", ""});
            notes.push_back(e.info->name + ": " +
                            (!e.error.empty() ? e.error : type_name(e.info->type) + " has no dequantizer here; no statistics"));
        } else {
            r.insert(r.end(), {short_number(s.min), short_number(s.max), short_number(s.mean), short_number(s.std),
                               short_number(s.rms), short_number(s.percentiles[1].value), short_number(s.percentiles[3].value),
                               std::to_string(s.nan_count), std::to_string(s.inf_count()), percent(s.zero_count, s.count),
                               std::to_string(s.zero_rows), s.scales.empty() ? "-" : std::to_string(s.nonfinite_scales)});
        }
        rows.push_back(std::move(r));
    }
    table(out, rows, 3);

    std::vector<std::vector<std::string>> code_rows{
        {"tensor", "type", "sub-block scales (mean code, share on top code)", "grid used", "signs set", "shifts negative"}};
    for (const Entry& e : entries) {
        const auto& s = e.stats;
        if (!e.error.empty() || !s.supported || s.sub_scales.empty()) continue;
        std::string fields;
        for (const auto& sc : s.sub_scales)
            fields += fmt::format("{}{} {} ({:.1f}%)", fields.empty() ? "" : ", ", sc.name, short_number(sc.mean),
                                  100.0 * top_code_share(sc));
        const auto& c = s.codes;
        code_rows.push_back({e.info->name, type_name(e.info->type), fields,
                             c.grid_size ? fmt::format("{} of {}", c.grid_used, c.grid_size) : "-",
                             percent(c.signs_set, c.sign_bits), percent(c.deltas_negative, c.delta_bits)});
    }
    if (code_rows.size() > 1) {
        out += "\nsub-block scales and code usage\n";
        table(out, code_rows, 3);
    }

    out += "\nper type\n";
    std::vector<std::vector<std::string>> type_rows{
        {"type", "tensors", "elements", "bytes", "nan", "inf", "zero rows", "bad scales", "unsupported", "unreadable"}};
    for (const auto& [type, t] : totals(entries))
        type_rows.push_back({type_name(type), std::to_string(t.tensors), std::to_string(t.elements), std::to_string(t.bytes),
                             std::to_string(t.nan), std::to_string(t.inf), std::to_string(t.zero_rows),
                             std::to_string(t.nonfinite_scales), std::to_string(t.unsupported), std::to_string(t.unreadable)});
    table(out, type_rows, 1);
    if (!notes.empty()) {
        out += "\nnotes\n";
        for (const auto& n : notes) out += "  " + n + "\n";
    }
    return out;
}

std::string render_json(const std::string& file, const std::vector<Entry>& entries) {
    Json tensors = Json::array();
    for (const Entry& e : entries) tensors.push_back(tensor_json(e));
    Json types = Json::array();
    for (const auto& [type, t] : totals(entries))
        types.push_back(Json{{"type", type_name(type)},
                             {"tensors", t.tensors},
                             {"elements", t.elements},
                             {"bytes", t.bytes},
                             {"nan", t.nan},
                             {"inf", t.inf},
                             {"zero_rows", t.zero_rows},
                             {"nonfinite_scales", t.nonfinite_scales},
                             {"unsupported", t.unsupported},
                             {"unreadable", t.unreadable}});
    const Json doc{{"schema", kSchema}, {"file", file}, {"tensors", tensors}, {"types", types}};
    return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string render_csv(const std::vector<Entry>& entries) {
    // RFC 4180 quoting for the name; numbers as shortest round-trip decimals, "nan" where absent.
    auto quoted = [](const std::string& s) {
        std::string q = "\"";
        for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return q + "\"";
    };
    auto num = [](double v) { return std::isnan(v) ? std::string("nan") : fmt::format("{}", v); };
    std::string out =
        "name,type,ne,count,status,finite,nan,pos_inf,neg_inf,zero,subnormal,min,max,abs_max,mean,std,rms,"
        "p0.1,p1,p50,p99,p99.9,rows,zero_rows,nonfinite_rows,scale1,scale1_min,scale1_max,scale1_mean,scale1_nonfinite,"
        "scale2,scale2_min,scale2_max,scale2_mean,scale2_nonfinite,sub1,sub1_mean,sub2,sub2_mean,grid_used_fraction,"
        "sign_fraction,delta_negative_fraction\n";
    for (const Entry& e : entries) {
        const auto& s = e.stats;
        std::string ne;
        for (std::uint32_t d = 0; d < e.info->n_dims; ++d) ne += (d ? "x" : "") + std::to_string(e.info->ne[d]);
        const std::string status = !e.error.empty() ? "unreadable" : s.supported ? "ok" : "unsupported";
        out += fmt::format("{},{},{},{},{}", quoted(e.info->name), type_name(e.info->type), ne, e.info->n_elements(), status);
        if (status != "ok") {
            out += std::string(37, ',') + "\n";
            continue;
        }
        out += fmt::format(",{},{},{},{},{},{},{},{},{},{},{},{}", s.finite_count, s.nan_count, s.pos_inf_count,
                           s.neg_inf_count, s.zero_count, s.subnormal_count, num(s.min), num(s.max), num(s.abs_max),
                           num(s.mean), num(s.std), num(s.rms));
        for (const auto& p : s.percentiles) out += "," + num(p.value);
        out += fmt::format(",{},{},{}", s.n_rows, s.zero_rows, s.nonfinite_rows);
        for (std::size_t k = 0; k < 2; ++k) {
            if (k < s.scales.size()) {
                const auto& sc = s.scales[k];
                out += fmt::format(",{},{},{},{},{}", sc.name, num(sc.min), num(sc.max), num(sc.mean), sc.nan_count + sc.inf_count);
            } else {
                out += ",,,,,";
            }
        }
        for (std::size_t k = 0; k < 2; ++k)
            out += k < s.sub_scales.size() ? fmt::format(",{},{}", s.sub_scales[k].name, num(s.sub_scales[k].mean)) : ",,";
        const auto& c = s.codes;
        out += c.grid_size ? "," + num(c.grid_used_fraction()) : ",";
        out += c.sign_bits ? "," + num(c.sign_fraction()) : ",";
        out += c.delta_bits ? "," + num(c.delta_negative_fraction()) : ",";
        out += "\n";
    }
    return out;
}

}  // namespace gguf::report::stats
