// The HTML renderer without a browser: the page's data parses back (nlohmann) with every string
// intact, model strings cannot close the script element, NaN is null.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "gguf/report/page.hpp"

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
