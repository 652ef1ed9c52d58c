// One self-contained HTML document for any Page: the page as JSON in a data script, drawn by an inline
// script (src/html/report.js) with an inline style. A Content-Security-Policy forbids every fetch, so
// the report never touches the network, even when a model's strings contain URLs.
#include <nlohmann/json.hpp>

#include "gguf/report/page.hpp"
#include "html_assets.hpp"
#include "xml.hpp"

namespace gguf::report {
namespace {

using Json = nlohmann::ordered_json;

// NaN and infinities have no JSON form: null (the script shows "-" and leaves gaps in lines).
Json number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json numbers(const std::vector<double>& values) {
    Json a = Json::array();
    for (const double v : values) a.push_back(number(v));
    return a;
}

Json content_json(const Table& t) {
    Json rows = Json::array();
    for (const auto& row : t.rows) {
        Json r = Json::array();
        for (const Cell& c : row) {
            if (const auto* s = std::get_if<std::string>(&c)) r.push_back(*s);
            else r.push_back(number(std::get<double>(c)));
        }
        rows.push_back(std::move(r));
    }
    return {{"kind", "table"}, {"columns", t.columns}, {"rows", std::move(rows)}, {"status", t.row_status}, {"sortable", t.sortable}};
}

Json content_json(const LinePlot& p) {
    Json series = Json::array(), bands = Json::array();
    for (const auto& s : p.series)
        series.push_back({{"name", s.name}, {"x", numbers(s.x)}, {"y", numbers(s.y)}, {"dashed", s.dashed}});
    for (const auto& b : p.bands)
        bands.push_back({{"name", b.name}, {"x", numbers(b.x)}, {"low", numbers(b.low)}, {"high", numbers(b.high)}});
    return {{"kind", "line"}, {"x_label", p.x_label}, {"y_label", p.y_label}, {"log_y", p.log_y}, {"points", p.points},
            {"series", std::move(series)}, {"bands", std::move(bands)}};
}

Json content_json(const Histograms& h) {
    Json items = Json::array();
    for (const auto& i : h.items)
        items.push_back({{"name", i.name}, {"min", number(i.min)}, {"max", number(i.max)}, {"counts", i.counts}, {"note", i.note}});
    return {{"kind", "histograms"}, {"x_label", h.x_label}, {"items", std::move(items)}};
}

Json content_json(const Heatmap& m) {
    return {{"kind", "heatmap"},         {"row_label", m.row_label}, {"column_label", m.column_label},
            {"value_label", m.value_label}, {"rows", m.rows},         {"columns", m.columns},
            {"values", numbers(m.values)}, {"log_scale", m.log_scale}, {"mark_above", number(m.mark_above)}};
}

Json page_json(const Page& page) {
    Json sections = Json::array();
    for (const Section& s : page.sections) {
        Json blocks = Json::array();
        for (const Block& b : s.blocks) {
            Json j = std::visit([](const auto& c) { return content_json(c); }, b.content);
            j["title"] = b.title;
            j["note"] = b.note;
            blocks.push_back(std::move(j));
        }
        sections.push_back({{"title", s.title}, {"text", s.text}, {"blocks", std::move(blocks)}});
    }
    return {{"title", page.title},
            {"subtitle", page.subtitle},
            {"passed", page.passed ? Json(*page.passed) : Json(nullptr)},
            {"verdict", page.verdict},
            {"generator", page.generator},
            {"sections", std::move(sections)}};
}

// Inside <script>, "</script" would end the element and "<!--" changes how it is parsed: every "<"
// (only ever inside a JSON string) is written as the escape \u003c.
std::string script_safe(const std::string& json) {
    std::string out;
    out.reserve(json.size());
    for (const char c : json) {
        if (c == '<') out += "\\u003c";
        else out += c;
    }
    return out;
}

}  // namespace

std::string render_html(const Page& page) {
    // Strings from model files need not be UTF-8: invalid bytes become U+FFFD, so the document parses.
    const std::string data = script_safe(page_json(page).dump(-1, ' ', false, Json::error_handler_t::replace));
    std::string out;
    out.reserve(data.size() + 32768);
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
           "script-src 'unsafe-inline'\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
    out += detail::xml_escape(page.title);
    out += "</title>\n<style>\n";
    out += detail::kReportStyle;
    out += "</style>\n</head>\n<body>\n<noscript>This report draws its tables and plots with JavaScript; the data is in "
           "the gd-data script element of this file.</noscript>\n<script id=\"gd-data\" type=\"application/json\">";
    out += data;
    out += "</script>\n<script>\n";
    out += detail::kReportScript;
    out += "</script>\n</body>\n</html>\n";
    return out;
}

}  // namespace gguf::report
