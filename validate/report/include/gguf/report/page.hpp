// What an HTML report shows, as plain data: a page of titled sections, each a list of blocks (a
// table, a line plot, a set of histograms, a heat map). render_html() draws any page; the commands'
// page builders (html.hpp) only fill these structures. A new kind of result (a counterfactual, a
// per-layer measurement) becomes a Section attached to the report and needs no HTML, CSS or script.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace gguf::report {

// A table cell: text, or a number (sorted as a number, shown with 4 significant digits, its full value
// on hover). NaN shows as "-".
using Cell = std::variant<std::string, double>;

struct Table {
    std::vector<std::string> columns;
    std::vector<std::vector<Cell>> rows;
    // Per row, empty or "error", "warning", "info", "ok": the row is coloured by it.
    std::vector<std::string> row_status;
    bool sortable = true;  // click a column's title to sort by it
};

// One line of a plot: y over x (layers, positions...). A NaN y leaves a gap.
struct Series {
    std::string name;
    std::vector<double> x, y;
    bool dashed = false;
};

// A shaded range behind the lines, e.g. the band a rule accepts.
struct Band {
    std::string name;
    std::vector<double> x, low, high;
};

struct LinePlot {
    std::string x_label, y_label;
    std::vector<Series> series;
    std::vector<Band> bands;
    bool log_y = false;  // non-positive values are left out of a logarithmic axis
    bool points = false; // mark every point (few points, or x values that are not a sequence)
};

// Counts over equal bins of [min, max].
struct Histogram {
    std::string name;
    double min = 0, max = 0;
    std::vector<std::uint64_t> counts;
    std::string note;  // a line under the plot (type, shape, statistics)
};

// Histograms of which one is shown at a time, chosen from a list.
struct Histograms {
    std::string x_label;
    std::vector<Histogram> items;
};

// A value per (row, column), e.g. layers x ops; colour from the smallest to the largest value.
struct Heatmap {
    std::string row_label, column_label, value_label;
    std::vector<std::string> rows, columns;
    std::vector<double> values;  // rows.size() * columns.size(), row-major; NaN: no value
    bool log_scale = false;
    double mark_above = 0;       // cells above this value are outlined (e.g. a tolerance); 0: none
};

struct Block {
    std::string title;
    std::string note;  // one or two sentences under the title: what the block shows, what is healthy
    std::variant<Table, LinePlot, Histograms, Heatmap> content;
};

struct Section {
    std::string title;
    std::string text;  // a paragraph before the blocks; may be empty
    std::vector<Block> blocks;
};

struct Page {
    std::string title;     // "gguf-doctor check model.gguf"
    std::string subtitle;  // what the model is
    std::optional<bool> passed;  // colours the verdict; nullopt: the command has no pass/fail
    std::string verdict;         // one line
    std::vector<Section> sections;
    std::string generator;       // "gguf-doctor 0.1.0"
};

// One self-contained HTML document (inline style and script, no network): the page's data as JSON
// and a small script that draws it as SVG when the file is opened.
std::string render_html(const Page& page);

}  // namespace gguf::report
