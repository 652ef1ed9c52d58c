// Metadata -> ModelSpec -> schema on arbitrary bytes: read_spec fails with a named key or gives a spec
// whose schema can be built, and every tensor name parses.
#include <cstddef>
#include <cstdint>

#include "gguf/container.hpp"
#include "gguf/model/schema.hpp"
#include "gguf/model/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto model = gguf::open_memory({reinterpret_cast<const std::byte*>(data), size}, "fuzz.gguf");
    if (!model) return 0;
    volatile std::uint64_t sink = 0;
    for (const auto& t : model->tensors()) {
        const auto name = gguf::model::parse_tensor_name(t.name);
        sink = sink + name.group().size() + static_cast<std::uint64_t>(gguf::model::role_from_name(t.name));
    }
    auto spec = gguf::model::read_spec(*model);
    if (!spec) {
        (void)spec.error().describe();
        return 0;
    }
    sink = sink + spec->n_embd_kv() + spec->n_gqa();
    if (auto schema = gguf::model::schema_for(*spec)) {
        for (const auto& t : model->tensors())
            if (const auto* expected = schema->find(t.name)) sink = sink + expected->ne.size();
    }
    return 0;
}
