// An engine's own test with the installed package (docs/audit.md, "Calling the reference from C++"):
// every tensor its loader produces is audited against the reference dequantizer, and its logits are
// compared with the reference forward pass. Here the "engine" is a stand-in that returns the reference's
// own numbers, so every check passes. Usage: consumer MODEL.gguf; exit 0 when every check passes.
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include "gguf/audit/tensor_audit.hpp"
#include "gguf/container.hpp"
#include "gguf/dequant.hpp"
#include "gguf/forward/compare.hpp"
#include "gguf/forward/cpu.hpp"

namespace my_engine {  // stand-ins for the engine under test

std::vector<float> load_tensor(const gguf::Container& model, const gguf::TensorInfo& tensor) {
    return gguf::dequant::to_float(model.view(tensor).value()).value();
}

gguf::forward::Logits logits(const gguf::Container& model, std::span<const std::int32_t> tokens) {
    return gguf::forward::make_cpu_forward(model).value()->evaluate(tokens).value();
}

}  // namespace my_engine

int main(int argc, char** argv) {
    if (argc != 2) return 3;
    auto opened = gguf::open(argv[1]);
    if (!opened) {
        std::fprintf(stderr, "%s\n", opened.error().describe().c_str());
        return 2;
    }
    const gguf::Container& model = *opened;
    int failures = 0;

    // 1. Each tensor as the engine's loader produced it, against the reference decoding of the file.
    for (const gguf::TensorInfo& tensor : model.tensors()) {
        gguf::audit::NpyArray mine;
        for (std::uint32_t d = tensor.n_dims; d-- > 0;) mine.shape.push_back(tensor.ne[d]);  // NumPy order
        mine.dtype = "<f4";
        mine.values = my_engine::load_tensor(model, tensor);
        const gguf::audit::TensorAudit audit = gguf::audit::audit_tensor(model, tensor, mine);
        if (audit.status != gguf::audit::TensorStatus::match) {
            ++failures;
            std::printf("%s: %s\n", tensor.name.c_str(),
                        audit.diagnoses.empty() ? "values differ" : audit.diagnoses.front().message.c_str());
        }
    }

    // 2. The engine's logits against the reference forward pass, on the same tokens from position 0.
    const std::vector<std::int32_t> tokens = {1, 17, 42, 99};
    auto reference = gguf::forward::make_cpu_forward(model, {.threads = 2});
    if (!reference) {
        std::fprintf(stderr, "%s\n", reference.error().describe().c_str());
        return 2;
    }
    auto expected = (*reference)->evaluate(tokens);
    if (!expected) return 2;
    const gguf::forward::LogitsAgreement agreement = gguf::forward::compare_logits(*expected, my_engine::logits(model, tokens));
    std::printf("logits: max |diff| %g (%g of the largest logit), top-1 mismatches %llu, mean KL %g\n",
                agreement.max_abs_diff, agreement.relative_diff,
                static_cast<unsigned long long>(agreement.argmax_mismatches), agreement.mean_kl);
    if (agreement.argmax_mismatches > 0 || agreement.relative_diff > 1e-4) ++failures;

    std::printf("%zu tensors audited, %d failures\n", model.tensors().size(), failures);
    return failures == 0 ? 0 : 1;
}
