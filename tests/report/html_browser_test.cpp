// Each kind of HTML report (check, stats, diff, audit) opened in a real browser, headless Chromium:
// the page logs nothing to the console, its script caught no error while drawing, every plot the
// page's data describes is an SVG with marks in it, and a screenshot is written (to the folder in
// GGUF_DOCTOR_SCREENSHOT_DIR, default the test's build folder; docs/images/ holds the trained sample's).
// Skipped (exit 77) with a message when no Chromium is installed; test.sh installs it.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

#include "gguf/container.hpp"
#include "gguf/types.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
namespace fs = std::filesystem;

namespace {

const fs::path kBin = GGUF_DOCTOR_BINARY_DIR;
const fs::path kSource = GGUF_DOCTOR_SOURCE_DIR;
// Relative to the source folder, where the tool runs: the reports (and docs/images) name it so.
const fs::path kTrained = "samples/trained/tiny-english-f16.gguf";

std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

test::CommandResult tool(const std::string& arguments) {
    return test::run_command("cd " + quote(kSource) + " && " + (kBin / "gguf-doctor").string() + " " + arguments + " 2>&1");
}

std::string find_chromium() {
    if (const char* env = std::getenv("GGUF_DOCTOR_CHROMIUM"); env && *env) return env;
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
        auto found = test::run_command(std::string("command -v ") + name + " 2>/dev/null");
        while (!found.out.empty() && (found.out.back() == '\n' || found.out.back() == '\r')) found.out.pop_back();
        if (found.status == 0 && !found.out.empty()) return found.out;
    }
    return {};
}

const std::string& chromium() {
    static const std::string binary = [] {
        std::string b = find_chromium();
        if (b.empty()) {
            std::cout << "SKIPPED: no Chromium found (apt-get install chromium, or set GGUF_DOCTOR_CHROMIUM); the HTML "
                         "reports are not opened in a browser\n";
            std::_Exit(77);
        }
        return b;
    }();
    return binary;
}

fs::path screenshot_dir() {
    const char* env = std::getenv("GGUF_DOCTOR_SCREENSHOT_DIR");
    fs::path dir = env && *env ? fs::path(env) : kBin / "tests/report/screenshots";
    fs::create_directories(dir);
    return dir;
}

// A browser with a profile of its own, removed afterwards, and no network: every host name fails.
class Browser {
public:
    std::string flags() const {
        return " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
               " --disable-component-update --disable-sync --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir=" +
               quote(profile_.path() / "profile");
    }

    struct Loaded {
        std::string dom;      // after the page's scripts ran
        std::string console;  // the console messages the browser logged
    };

    Loaded open(const fs::path& html) const {
        const fs::path log = profile_.path() / "log.txt";
        const auto r = test::run_command(chromium() + flags() + " --enable-logging=stderr --v=0 --dump-dom " +
                                         quote("file://" + fs::absolute(html).string()) + " 2>" + quote(log));
        REQUIRE_MESSAGE(r.status == 0, "chromium --dump-dom failed for " << html);
        Loaded loaded{r.out, {}};
        std::istringstream lines(test::read_file(log));
        for (std::string line; std::getline(lines, line);)
            if (line.find(":CONSOLE") != std::string::npos) loaded.console += line + "\n";
        return loaded;
    }

    void screenshot(const fs::path& html, const fs::path& png, int height) const {
        fs::remove(png);
        const auto r = test::run_command(chromium() + flags() + " --hide-scrollbars --window-size=1280," + std::to_string(height) +
                                         " --screenshot=" + quote(fs::absolute(png)) + " " +
                                         quote("file://" + fs::absolute(html).string()) + " >/dev/null 2>&1");
        CHECK(r.status == 0);
        const std::string bytes = test::read_file(png);
        REQUIRE_MESSAGE(bytes.size() > 8, "no screenshot written to " << png);
        CHECK(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    }

private:
    test::TempDir profile_;
};

// The page's data (the JSON the script draws), read from the file as written.
nlohmann::json page_data(const std::string& html) {
    const std::string open = "<script id=\"gd-data\" type=\"application/json\">";
    const auto begin = html.find(open);
    REQUIRE(begin != std::string::npos);
    const auto end = html.find("</script>", begin);
    REQUIRE(end != std::string::npos);
    return nlohmann::json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

// Plots the data asks for: every line plot and heat map, one per set of histograms that has any.
std::map<std::string, int> expected_plots(const nlohmann::json& page) {
    std::map<std::string, int> kinds;
    for (const auto& section : page["sections"])
        for (const auto& block : section["blocks"]) {
            const std::string kind = block["kind"];
            if (kind == "line" || kind == "heatmap" || (kind == "histograms" && !block["items"].empty())) ++kinds[kind];
        }
    return kinds;
}

std::string body_attribute(const std::string& dom, const std::string& name) {
    std::smatch m;
    const std::regex body("<body([^>]*)>");
    if (!std::regex_search(dom, m, body)) return {};
    const std::string attributes = m[1];
    const std::regex attribute(name + "=\"([^\"]*)\"");
    return std::regex_search(attributes, m, attribute) ? std::string(m[1]) : std::string();
}

struct Drawn {
    int plots = 0;        // <svg class="gd-plot"> elements
    int with_marks = 0;   // of those, with at least one data mark (line, bar, cell, band)
};

Drawn drawn_plots(const std::string& dom) {
    Drawn d;
    const std::regex svg("<svg class=\"gd-plot\"[^>]*data-marks=\"(\\d+)\"");
    for (auto it = std::sregex_iterator(dom.begin(), dom.end(), svg); it != std::sregex_iterator(); ++it) {
        ++d.plots;
        d.with_marks += std::stoi((*it)[1]) > 0;
    }
    // An SVG the script began but never finished has no data-marks: count every gd-plot too.
    std::size_t count = 0;
    for (std::size_t at = dom.find("<svg class=\"gd-plot\""); at != std::string::npos; at = dom.find("<svg class=\"gd-plot\"", at + 1))
        ++count;
    CHECK(static_cast<int>(count) == d.plots);
    return d;
}

// Opens a report, checks it drew everything without a message, and writes its screenshot (none when
// `screenshot_name` is empty).
nlohmann::json check_report(const Browser& browser, const fs::path& html, const std::string& screenshot_name, int height) {
    const std::string text = test::read_file(html);
    REQUIRE_MESSAGE(!text.empty(), html << " was not written");
    // Self-contained: nothing is loaded from elsewhere, and the policy forbids it anyway.
    CHECK(text.find("default-src 'none'") != std::string::npos);
    CHECK(text.find("src=\"http") == std::string::npos);
    CHECK(text.find("href=\"http") == std::string::npos);
    CHECK(text.find("<link") == std::string::npos);
    const nlohmann::json page = page_data(text);
    const auto expected = expected_plots(page);
    int expected_total = 0;
    for (const auto& [kind, n] : expected) expected_total += n;

    const Browser::Loaded loaded = browser.open(html);
    CHECK_MESSAGE(loaded.console.empty(), "console messages:\n" << loaded.console);
    CHECK(body_attribute(loaded.dom, "data-status") == "done");
    CHECK_MESSAGE(body_attribute(loaded.dom, "data-errors").empty(), body_attribute(loaded.dom, "data-errors"));
    const Drawn drawn = drawn_plots(loaded.dom);
    CHECK(drawn.plots == expected_total);
    CHECK(drawn.with_marks == expected_total);
    CHECK(body_attribute(loaded.dom, "data-plots") == std::to_string(expected_total));
    // Every section title is on the page.
    for (const auto& section : page["sections"]) CHECK(loaded.dom.find(section["title"].get<std::string>()) != std::string::npos);
    if (!screenshot_name.empty()) browser.screenshot(html, screenshot_dir() / screenshot_name, height);
    return page;
}

bool has_block(const nlohmann::json& page, const std::string& kind, const std::string& title_part) {
    for (const auto& section : page["sections"])
        for (const auto& block : section["blocks"])
            if (block["kind"] == kind && block["title"].get<std::string>().find(title_part) != std::string::npos) return true;
    return false;
}

// The data marks (bars, lines, cells) of the plot drawn under the block titled `title`: -1 when the
// block has no plot of its own (the next plot on the page belongs to a later block).
int marks_of_block(const std::string& dom, const std::string& title) {
    const auto heading = dom.find("<h3>" + title + "</h3>");
    if (heading == std::string::npos) return -1;
    const auto svg = dom.find("<svg class=\"gd-plot\"", heading);
    const auto next_heading = dom.find("<h3>", heading + 1);
    if (svg == std::string::npos || (next_heading != std::string::npos && next_heading < svg)) return -1;
    std::smatch m;
    const std::string tag = dom.substr(svg, dom.find('>', svg) - svg);
    return std::regex_search(tag, m, std::regex("data-marks=\"(\\d+)\"")) ? std::stoi(m[1]) : -1;
}

// A sample model of `preset` with the type mix `type`, written by gguf-samples into `dir`.
fs::path sample(const test::TempDir& dir, const std::string& name, const std::string& arguments) {
    const fs::path file = dir / (name + ".gguf");
    const auto made = test::run_command((kBin / "gguf-samples").string() + " " + arguments + " -o " + quote(file) + " 2>&1");
    REQUIRE_MESSAGE(made.status == 0, made.out);
    return file;
}

// Doubles every value of a float16 tensor in place (one more in each exponent): a copy of the model
// whose weights differ there, as a loader that scaled that tensor would see them.
void double_f16_tensor(const fs::path& file, const std::string& tensor) {
    std::uint64_t offset = 0, count = 0;
    {
        auto model = gguf::open(file.string());
        REQUIRE(model.ok());
        const TensorInfo* t = model->find_tensor(tensor);
        REQUIRE(t != nullptr);
        REQUIRE(t->type == 1);  // F16
        offset = t->file_offset;
        count = t->n_elements();
    }
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    std::vector<std::uint16_t> bits(count);
    f.seekg(static_cast<std::streamoff>(offset));
    f.read(reinterpret_cast<char*>(bits.data()), static_cast<std::streamsize>(count * 2));
    for (auto& b : bits) {
        const unsigned exponent = (b >> 10) & 0x1F;
        if (exponent > 0 && exponent < 30) b = static_cast<std::uint16_t>(b + 0x0400);
    }
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(reinterpret_cast<const char*>(bits.data()), static_cast<std::streamsize>(count * 2));
    REQUIRE(f.good());
}

}  // namespace

TEST_CASE("the check report of the trained sample draws norms, weight RMS, histograms, predictions, activations and the counterfactual passes") {
    REQUIRE(fs::exists(kSource / kTrained));
    const Browser browser;
    test::TempDir dir;
    const auto r = tool("check " + quote(kTrained) + " --html " + quote(dir / "check.html"));
    REQUIRE_MESSAGE(r.status == 0, r.out);
    const auto page = check_report(browser, dir / "check.html", "check.png", 3700);
    CHECK(has_block(page, "line", "Norm gains: attn_norm.weight"));
    CHECK(has_block(page, "line", "Norm gains: ffn_norm.weight"));
    CHECK(has_block(page, "line", "Weight RMS across layers"));
    CHECK(has_block(page, "histograms", "Histogram per tensor"));
    CHECK(has_block(page, "table", "Top predictions per prompt"));
    CHECK(has_block(page, "line", "Activation RMS per layer and op"));
    // The counterfactual passes run on a model this small: every trial, and the per-block ones as lines.
    CHECK(has_block(page, "table", "Every trial"));
    CHECK(has_block(page, "line", "Per block"));
    CHECK(has_block(page, "line", "Perplexity after each block"));  // the logit lens
}

TEST_CASE("the check report of a K-quantized model draws its block scales") {
    const Browser browser;
    test::TempDir dir;
    const fs::path model = sample(dir, "q4_k_m", "--preset tiny-llama --type q4_k_m");
    const auto r = tool("check " + quote(model) + " --no-forward --html " + quote(dir / "check.html"));
    REQUIRE_MESSAGE(r.status <= 1, r.out);  // random weights may have findings; the report is what is tested
    const auto page = check_report(browser, dir / "check.html", "check-q4_k_m.png", 3800);
    CHECK(has_block(page, "line", "Mean |d| across layers"));
    CHECK(has_block(page, "table", "Scale statistics per tensor"));
    CHECK(has_block(page, "table", "Sub-block scales and code usage per tensor"));  // Q4_K's 6-bit scales and mins
    // The distributions: one histogram per quantized tensor and field, the first drawn with its bars.
    CHECK(has_block(page, "histograms", "Super-block scale histogram per tensor"));
    CHECK(has_block(page, "histograms", "Sub-block scale histogram per tensor"));
    const std::string dom = browser.open(dir / "check.html").dom;
    CHECK(marks_of_block(dom, "Super-block scale histogram per tensor") > 0);
    CHECK(marks_of_block(dom, "Sub-block scale histogram per tensor") > 0);
    // Every quantized tensor is in the lists: d and dmin of each K-quant tensor, scales and mins too.
    auto opened = gguf::open(model.string());
    REQUIRE(opened.ok());
    std::size_t k_quant = 0;
    for (const auto& t : opened->tensors())
        k_quant += t.type == static_cast<std::uint32_t>(TypeId::Q4_K) || t.type == static_cast<std::uint32_t>(TypeId::Q5_K);
    REQUIRE(k_quant > 0);
    for (const auto& section : page["sections"])
        for (const auto& block : section["blocks"])
            if (block["title"] == "Super-block scale histogram per tensor") CHECK(block["items"].size() >= 2 * k_quant);
}

TEST_CASE("the check report of an IQ model draws its d and its sub-block scale codes") {
    const Browser browser;
    test::TempDir dir;
    const fs::path model = sample(dir, "iq2_xs", "--preset tiny-llama --type iq2_xs");
    const auto r = tool("check " + quote(model) + " --no-forward --html " + quote(dir / "check.html"));
    REQUIRE_MESSAGE(r.status <= 1, r.out);
    const auto page = check_report(browser, dir / "check.html", "check-iq2_xs.png", 3800);
    CHECK(has_block(page, "histograms", "Super-block scale histogram per tensor"));
    CHECK(has_block(page, "histograms", "Sub-block scale histogram per tensor"));
    const std::string dom = browser.open(dir / "check.html").dom;
    CHECK(marks_of_block(dom, "Super-block scale histogram per tensor") > 0);
    CHECK(marks_of_block(dom, "Sub-block scale histogram per tensor") > 0);
}

// The goal of issue 19: the report of a 150k-vocabulary, 300-tensor model stays under 5 MB and is drawn
// in under 2 s. The model is Qwen2.5-0.5B's vocabulary and depth at a small width, K-quantized so that
// every section is there (block scales too), with the forward pass and its trace.
TEST_CASE("the reports of a 150k-token, 300-tensor model stay under 5 MB and are drawn in under 2 s") {
    const Browser browser;
    test::TempDir dir;
    const fs::path model = sample(dir, "wide-vocab", "--preset qwen2.5-0.5b --n-embd 256 --n-head 4 --n-head-kv 2 --head-dim 64 "
                                                     "--n-ff 512 --n-layer 25 --type q4_k_m");
    {
        auto opened = gguf::open(model.string());
        REQUIRE(opened.ok());
        CHECK(opened->tensors().size() >= 300);
        const TensorInfo* embedding = opened->find_tensor("token_embd.weight");
        REQUIRE(embedding != nullptr);
        CHECK(embedding->ne[1] >= 150000);
    }
    const auto checked = tool("check " + quote(model) + " --html " + quote(dir / "check.html") + " >/dev/null");
    REQUIRE_MESSAGE(checked.status <= 1, checked.out);  // random weights fail the forward pass's sanity
    const auto stats = tool("stats " + quote(model) + " --html " + quote(dir / "stats.html") + " >/dev/null");
    REQUIRE_MESSAGE(stats.status == 0, stats.out);
    for (const std::string report : {"check.html", "stats.html"}) {
        CAPTURE(report);
        CHECK(fs::file_size(dir / report) < 5'000'000);
        check_report(browser, dir / report, "", 0);
        const std::string dom = browser.open(dir / report).dom;
        const std::string ready = body_attribute(dom, "data-ready-ms");
        REQUIRE(!ready.empty());
        MESSAGE(report << ": " << fs::file_size(dir / report) << " bytes, drawn " << ready << " ms after navigation start");
        CHECK(std::stoi(ready) < 2000);
    }
    CHECK(has_block(page_data(test::read_file(dir / "check.html")), "histograms", "Super-block scale histogram per tensor"));
}

TEST_CASE("the stats report has a sortable table of every tensor and their histograms") {
    const Browser browser;
    test::TempDir dir;
    const auto r = tool("stats " + quote(kTrained) + " --html " + quote(dir / "stats.html") + " >/dev/null");
    REQUIRE_MESSAGE(r.status == 0, r.out);
    const auto page = check_report(browser, dir / "stats.html", "stats.png", 2400);
    REQUIRE(!page["sections"].empty());
    const auto& table = page["sections"][0]["blocks"][0];
    CHECK(table["kind"] == "table");
    CHECK(table["sortable"] == true);
    auto model = gguf::open((kSource / kTrained).string());
    REQUIRE(model.ok());
    CHECK(table["rows"].size() == model->tensors().size());
    CHECK(has_block(page, "histograms", "Histogram per tensor"));
}

TEST_CASE("the diff report draws the difference across layers and the KL divergence per position") {
    const Browser browser;
    test::TempDir dir;
    const auto copy = dir / "scaled.gguf";
    fs::copy_file(kSource / kTrained, copy);
    double_f16_tensor(copy, "blk.2.ffn_down.weight");
    const auto r = tool("diff " + quote(kTrained) + " " + quote(copy) + " --forward --max-tokens 48 --html " + quote(dir / "diff.html") +
                        " >/dev/null");
    REQUIRE_MESSAGE(r.status == 1, r.out);  // they differ
    const auto page = check_report(browser, dir / "diff.html", "diff.png", 2200);
    CHECK(has_block(page, "line", "Relative error across layers"));
    CHECK(has_block(page, "line", "KL divergence per position"));
}

TEST_CASE("the audit report draws a layer-by-op heat map and the diagnosis of the first divergence") {
    const Browser browser;
    test::TempDir dir;
    // A loader that doubled the up projection of layer 1: its trace against the real model diverges there,
    // and the diagnosis names the factor.
    const auto broken = dir / "broken.gguf";
    fs::copy_file(kSource / kTrained, broken);
    double_f16_tensor(broken, "blk.1.ffn_up.weight");
    const auto traced = tool("trace " + quote(broken) + " --prompt 'The cat sat on the mat' --out " + quote(dir / "theirs.json") + " >/dev/null");
    REQUIRE_MESSAGE(traced.status == 0, traced.out);
    const auto r = tool("audit " + quote(kTrained) + " --trace " + quote(dir / "theirs.json") + " --html " + quote(dir / "audit.html") +
                        " >/dev/null");
    REQUIRE_MESSAGE(r.status == 1, r.out);  // the trace diverges
    const auto page = check_report(browser, dir / "audit.html", "audit.png", 1400);
    CHECK(has_block(page, "heatmap", "Deviation from the reference"));
    CHECK(has_block(page, "table", "First divergence: blk.1.up"));
    CHECK(test::read_file(dir / "audit.html").find("\"scaled\"") != std::string::npos);
}
