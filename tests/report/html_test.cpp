// The HTML renderer and the page builders, without a browser: the page's data parses back (nlohmann)
// with every string intact, model strings cannot close the script element, NaN is null, and the
// builders put findings, extra sections and the audit's verdict where the page says.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "gguf/report/html.hpp"
#include "gguf/types.hpp"

using namespace gguf;
using nlohmann::json;

namespace {

json page_data(const std::string& html) {
    const std::string open = "<script id=\"gd-data\" type=\"application/json\">";
    const auto begin = html.find(open);
    REQUIRE(begin != std::string::npos);
    const auto end = html.find("</script>", begin);
    REQUIRE(end != std::string::npos);
    return json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

}  // namespace

TEST_CASE("a model's strings cannot end the data script, and come back intact") {
    report::Page page;
    const std::string hostile = "blk.0.</script><script>alert(1)</script><!--";
    page.title = "title <b>&";
    page.sections.push_back({hostile, "", {{"t", "", report::Table{{"name"}, {{hostile}}, {}, true}}}});
    const std::string html = report::render_html(page);
    CHECK(html.find("<script>alert(1)") == std::string::npos);
    CHECK(html.find("<title>title &lt;b&gt;&amp;</title>") != std::string::npos);
    const json data = page_data(html);
    CHECK(data["sections"][0]["title"] == hostile);
    CHECK(data["sections"][0]["blocks"][0]["rows"][0][0] == hostile);
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD and the data still parses") {
    report::Page page;
    page.title = std::string("bad \xff\xfe byte");
    const json data = page_data(report::render_html(page));
    CHECK(data["title"] == "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
}

TEST_CASE("non-finite numbers are null; every block kind is named for the script") {
    report::Page page;
    report::LinePlot line{"x", "y", {{"s", {0, 1, 2}, {1.0, std::nan(""), INFINITY}, false}}, {}, false, false};
    report::Heatmap map{"r", "c", "v", {"0"}, {"a", "b"}, {0.5, std::nan("")}, true, 0.05};
    report::Histograms hist{"values", {{"t", -1, 1, {1, 2, 3}, ""}}};
    page.sections.push_back({"s", "", {{"l", "", line}, {"h", "", map}, {"g", "", hist}, {"t", "", report::Table{{"a"}, {{1.5}}, {}, false}}}});
    const json data = page_data(report::render_html(page));
    const json& blocks = data["sections"][0]["blocks"];
    CHECK(blocks[0]["kind"] == "line");
    CHECK(blocks[0]["series"][0]["y"] == json::array({1.0, nullptr, nullptr}));
    CHECK(blocks[1]["kind"] == "heatmap");
    CHECK(blocks[1]["values"] == json::array({0.5, nullptr}));
    CHECK(blocks[1]["mark_above"] == 0.05);
    CHECK(blocks[2]["kind"] == "histograms");
    CHECK(blocks[2]["items"][0]["counts"] == json::array({1, 2, 3}));
    CHECK(blocks[3]["kind"] == "table");
    CHECK(blocks[3]["sortable"] == false);
}

TEST_CASE("the check page lists findings errors first, and the report's own sections after its sections") {
    report::Report r;
    r.path = "m.gguf";
    r.findings.push_back({"GD-W001", Severity::info, "a", "note", {}, ""});
    r.findings.push_back({"GD-S001", Severity::error, "b", "broken", {{"offset", "12"}}, "fix it"});
    r.sections.push_back({"Counterfactual", "undone mistakes", {{"t", "", report::Table{{"mistake"}, {{"transposed"}}, {}, true}}}});
    const report::Page page = report::check_page(r, {});
    CHECK(page.passed == false);
    REQUIRE(!page.sections.empty());
    const auto& findings = std::get<report::Table>(page.sections.front().blocks.front().content);
    REQUIRE(findings.rows.size() == 2);
    CHECK(std::get<std::string>(findings.rows[0][0]) == "GD-S001");
    CHECK(std::get<std::string>(findings.rows[0][5]) == "offset=12");
    CHECK(findings.row_status == std::vector<std::string>{"error", "info"});
    CHECK(page.sections.back().title == "Counterfactual");
}

TEST_CASE("the check page draws each quantized tensor's block scales as histograms, sub-block codes centred on their bins") {
    dequant::TensorStats t;
    t.name = "blk.0.ffn_down.weight";
    t.type = static_cast<std::uint32_t>(TypeId::Q4_K);
    t.supported = true;
    t.count = t.finite_count = 512;
    t.n_rows = 2;
    t.histogram = {1, 2};
    dequant::ScaleStats d;
    d.name = "d";
    d.count = 2;
    d.min = 0.5;
    d.max = 0.75;
    d.histogram = {1, 0, 1};
    t.scales.push_back(d);
    dequant::SubScaleStats sub;
    sub.name = "scales";
    sub.bits = 6;
    sub.count = 16;
    sub.histogram.assign(64, 0);
    sub.histogram[63] = 16;
    t.sub_scales.push_back(sub);
    dequant::TensorStats plain;  // F16: no block scales, not in the scale histograms
    plain.name = "output_norm.weight";
    plain.supported = true;
    plain.count = plain.finite_count = 4;
    plain.n_rows = 1;
    plain.histogram = {4};
    report::CheckMeasurements measured;
    measured.tensors = {t, plain};
    const json data = page_data(report::render_html(report::check_page(report::Report{}, measured)));
    const json* super = nullptr;
    const json* codes = nullptr;
    for (const auto& section : data["sections"])
        for (const auto& block : section["blocks"]) {
            if (block["title"] == "Super-block scale histogram per tensor") super = &block;
            if (block["title"] == "Sub-block scale histogram per tensor") codes = &block;
        }
    REQUIRE(super != nullptr);
    REQUIRE(codes != nullptr);
    CHECK((*super)["kind"] == "histograms");
    REQUIRE((*super)["items"].size() == 1);
    CHECK((*super)["items"][0]["name"] == "blk.0.ffn_down.weight d");
    CHECK((*super)["items"][0]["min"] == 0.5);
    CHECK((*super)["items"][0]["max"] == 0.75);
    CHECK((*super)["items"][0]["counts"] == json::array({1, 0, 1}));
    REQUIRE((*codes)["items"].size() == 1);
    CHECK((*codes)["items"][0]["name"] == "blk.0.ffn_down.weight scales");
    CHECK((*codes)["items"][0]["min"] == -0.5);
    CHECK((*codes)["items"][0]["max"] == 63.5);
    CHECK((*codes)["items"][0]["counts"][63] == 16);
}

TEST_CASE("the audit page's verdict is the text report's last line") {
    audit::AuditReport a;
    a.model_path = "m.gguf";
    a.trace = audit::TraceAudit{};
    a.trace->records.push_back({});
    a.trace->records.back().layer = 0;
    a.trace->records.back().op = "attn_norm";
    a.trace->records.back().deviation = 0.01;
    a.trace->tolerance = 0.05;
    const report::Page page = report::audit_page(a);
    CHECK(page.verdict == "PASS  1 activations agree");
    CHECK(page.passed == true);
    const auto& map = std::get<report::Heatmap>(page.sections.front().blocks.front().content);
    CHECK(map.rows == std::vector<std::string>{"0"});
    CHECK(map.columns == std::vector<std::string>{"attn_norm"});
    CHECK(map.values == std::vector<double>{0.01});
}
