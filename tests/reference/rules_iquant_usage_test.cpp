// Grid and sign usage of healthy code-book (IQ) files, measured: the trained sample and a preset's
// layer matrices quantized by ggml's own quantizers (with an importance matrix from our forward pass,
// as llama-imatrix computes it) and by gguf_dequant's quantizers. Prints the distributions that
// docs/rules.md records for the GD-W023 thresholds, and requires that no value rule warns on any of
// these files: a usage rule that cried wolf on real IQ files would be worse than none.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>

#include "gguf/dequant.hpp"
#include "gguf/quantize.hpp"
#include "gguf/rules/check.hpp"
#include "gguf/stats.hpp"
#include "gguf/writer.hpp"
#include "reference/ggml_reference.hpp"
#include "reference/importance_matrix.hpp"

namespace fs = std::filesystem;
using namespace gguf;

namespace {

// The source model as float32 tensors (the quantizers' input), with its metadata.
Writer float32_copy(const Container& model) {
    Writer out;
    for (const auto& m : model.metadata()) out.set(m.key, m.value);
    for (const TensorInfo& t : model.tensors()) {
        auto view = model.view(t);
        REQUIRE(view.ok());
        auto values = dequant::to_float(*view, 2);
        REQUIRE(values.ok());
        WriterTensor w{t.name, static_cast<std::uint32_t>(TypeId::F32), {t.ne.begin(), t.ne.begin() + t.n_dims}, {}};
        w.data.resize(values->size() * 4);
        std::memcpy(w.data.data(), values->data(), w.data.size());
        REQUIRE(out.add_tensor(std::move(w)).ok());
    }
    return out;
}

struct Range {
    double low = std::numeric_limits<double>::infinity(), high = -std::numeric_limits<double>::infinity();
    void add(double v) {
        low = std::min(low, v);
        high = std::max(high, v);
    }
    std::string text() const {
        std::ostringstream s;
        s << std::fixed << std::setprecision(4) << low << ".." << high;
        return s.str();
    }
};

// The usage figures of every quantized tensor of one file.
struct Usage {
    Range grid_used, grid_used_of_reachable, signs, deltas, top_code;
    std::uint64_t tensors = 0;
};

Usage measure(const Container& model, std::uint32_t type) {
    Usage u;
    for (const TensorInfo& t : model.tensors()) {
        if (t.type != type) continue;
        auto view = model.view(t);
        REQUIRE(view.ok());
        auto s = dequant::compute_stats(*view);
        REQUIRE(s.ok());
        ++u.tensors;
        const auto& c = s->codes;
        u.grid_used.add(c.grid_used_fraction());
        u.grid_used_of_reachable.add(static_cast<double>(c.grid_used) / std::min<double>(c.grid_size, static_cast<double>(c.grid_lookups)));
        if (c.sign_bits) u.signs.add(c.sign_fraction());
        if (c.delta_bits) u.deltas.add(c.delta_negative_fraction());
        // Share of sub-block scales on the field's top code.
        if (!s->sub_scales.empty() && s->sub_scales[0].count)
            u.top_code.add(static_cast<double>(s->sub_scales[0].histogram.back()) / static_cast<double>(s->sub_scales[0].count));
    }
    return u;
}

std::string warnings_and_errors(const Container& model) {
    std::string out;
    for (const auto& f : rules::check(model).findings)
        if (f.severity >= Severity::warning) out += f.code + " " + f.subject + ": " + f.message + "\n";
    return out;
}

void measure_source(const std::string& label, const fs::path& source, const std::vector<std::int32_t>& ids) {
    const test::TempDir dir;
    const auto imatrix = test::importance_matrix(source, ids);
    REQUIRE(!imatrix.empty());
    const Writer floats = float32_copy(test::open_model(source));
    const TypeId types[] = {TypeId::IQ1_S, TypeId::IQ1_M, TypeId::IQ2_XXS, TypeId::IQ2_XS, TypeId::IQ2_S,
                            TypeId::IQ3_XXS, TypeId::IQ3_S, TypeId::TQ1_0, TypeId::TQ2_0};
    for (TypeId id : types) {
        const auto type = static_cast<std::uint32_t>(id);
        for (const bool by_ggml : {true, false}) {
            const std::string name = std::string(find_type(type)->name) + (by_ggml ? "-ggml" : "-ours");
            CAPTURE(label);
            CAPTURE(name);
            const Writer q = test::with_tensors(floats, [&](WriterTensor& t) {
                const auto im = imatrix.find(t.name);
                if (im == imatrix.end() || t.ne[0] % 256 != 0) return true;
                std::vector<float> values(t.data.size() / 4);
                std::memcpy(values.data(), t.data.data(), t.data.size());
                std::vector<std::byte> bytes(*byte_size(type, values.size()));
                if (by_ggml) {
                    const std::uint64_t n_rows = values.size() / t.ne[0];
                    REQUIRE(ggml_quantize_chunk(static_cast<int>(type), values.data(), bytes.data(), 0,
                                                static_cast<std::int64_t>(n_rows), static_cast<std::int64_t>(t.ne[0]),
                                                im->second.data()) == bytes.size());
                } else {
                    auto ours = dequant::quantize(type, values, t.ne[0]);
                    REQUIRE(ours.ok());
                    bytes = std::move(*ours);
                }
                t.type = type;
                t.data = std::move(bytes);
                return true;
            });
            const fs::path path = dir / (name + ".gguf");
            REQUIRE(q.write(path).ok());
            const Container model = test::open_model(path);
            const Usage u = measure(model, type);
            REQUIRE(u.tensors > 0);
            MESSAGE(label << " " << name << " (" << u.tensors << " tensors): grid used " << u.grid_used.text()
                          << ", of reachable " << u.grid_used_of_reachable.text() << ", signs set " << u.signs.text()
                          << ", deltas negative " << u.deltas.text() << ", top sub-scale code " << u.top_code.text());
            CHECK_MESSAGE(warnings_and_errors(model).empty(), warnings_and_errors(model));
        }
    }
}

}  // namespace

TEST_CASE("healthy IQ files (ggml's and our quantizers, trained and preset weights): usage measured, no warning") {
    llama_backend_init();
    measure_source("trained", fs::path(GGUF_DOCTOR_SOURCE_DIR) / "samples/trained/tiny-english-f16.gguf",
                   test::prompt_ids(200));
    const test::TempDir dir;
    for (const std::string preset : {"tiny-llama"}) {
        auto config = samples::preset(preset);
        REQUIRE(config.ok());
        measure_source(preset, test::write_preset(dir, preset, "f32"),
                       test::prompt_ids(config->n_vocab - config->n_vocab_padding));
    }
}
