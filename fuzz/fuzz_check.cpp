// `gguf-doctor check --no-forward` on arbitrary bytes, through the library: every rule, the value rules
// on the tensor data included, and the four reports rendered from the findings.
#include <cstddef>
#include <cstdint>

#include "gguf/container.hpp"
#include "gguf/report/report.hpp"
#include "gguf/rules/check.hpp"
#include "gguf/rules/codes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    gguf::report::Report r;
    r.tool_version = "fuzz";
    r.path = "fuzz.gguf";
    for (const auto& c : gguf::rules::codes()) r.codes.push_back({std::string(c.code), std::string(c.title), c.severity});
    auto model = gguf::open_memory({reinterpret_cast<const std::byte*>(data), size}, r.path);
    if (!model) {
        r.findings.push_back(gguf::rules::unparsable_finding(model.error()));
    } else {
        gguf::rules::CheckOptions options;
        options.threads = 1;
        gguf::rules::CheckResult result = gguf::rules::check(*model, options);
        gguf::report::ModelSummary m;
        if (result.spec) {
            m.architecture = result.spec->architecture;
            m.n_layer = result.spec->n_layer;
            m.n_embd = result.spec->n_embd;
            m.n_vocab = result.spec->n_vocab;
        }
        m.modelled = result.modelled;
        m.n_tensors = model->tensors().size();
        m.n_parameters = model->n_parameters();
        r.model = m;
        r.findings = std::move(result.findings);
        r.steps.push_back({"structure", "ran", ""});
        r.steps.push_back({"forward pass", "skipped", "--no-forward"});
    }
    volatile std::size_t sink = gguf::report::render_text(r, false).size() + gguf::report::render_json(r).size() +
                                gguf::report::render_junit(r).size() + gguf::report::render_sarif(r).size();
    (void)sink;
    return 0;
}
