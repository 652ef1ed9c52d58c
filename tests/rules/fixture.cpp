#include "fixture.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <fstream>

#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/quantize.hpp"
#include "support/temp_dir.hpp"

namespace gguf::test {

samples::ModelConfig config(std::string_view preset, std::uint32_t n_layer) {
    auto c = samples::preset(preset);
    REQUIRE_MESSAGE(c.ok(), preset);
    c->n_layer = n_layer;
    return *c;
}

Writer build(const samples::ModelConfig& config) {
    auto w = samples::build_model(config);
    REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().describe()));
    return std::move(*w);
}

const WriterTensor& tensor(const Writer& w, std::string_view name) {
    for (const auto& t : w.tensors())
        if (t.name == name) return t;
    FAIL("no tensor " << name);
    throw std::logic_error("unreachable");
}

namespace {

void rebuild(Writer& w, const std::function<void(std::vector<WriterTensor>&)>& change) {
    std::vector<WriterTensor> tensors = w.tensors();
    change(tensors);
    w.clear_tensors();
    for (auto& t : tensors) {
        const std::string name = t.name;
        auto added = w.add_tensor(std::move(t));
        REQUIRE_MESSAGE(added.ok(), name);
    }
}

}  // namespace

void edit_tensor(Writer& w, std::string_view name, const std::function<void(WriterTensor&)>& edit) {
    bool found = false;
    rebuild(w, [&](std::vector<WriterTensor>& tensors) {
        for (auto& t : tensors)
            if (t.name == name) {
                edit(t);
                found = true;
            }
    });
    REQUIRE_MESSAGE(found, name);
}

void remove_tensor(Writer& w, std::string_view name) {
    rebuild(w, [&](std::vector<WriterTensor>& tensors) {
        std::erase_if(tensors, [&](const WriterTensor& t) { return t.name == name; });
    });
}

std::vector<float> values(const WriterTensor& t) {
    std::uint64_t n = 1;
    for (auto d : t.ne) n *= d;
    std::vector<float> out(n);
    switch (static_cast<TypeId>(t.type)) {
        case TypeId::F32:
            std::memcpy(out.data(), t.data.data(), n * 4);
            break;
        case TypeId::F16:
        case TypeId::BF16:
            for (std::uint64_t i = 0; i < n; ++i) {
                std::uint16_t h;
                std::memcpy(&h, t.data.data() + 2 * i, 2);
                out[i] = t.type == static_cast<std::uint32_t>(TypeId::F16) ? fp16_to_fp32(h) : bf16_to_fp32(h);
            }
            break;
        default:
            FAIL("values() of a quantized tensor: " << t.name);
    }
    return out;
}

void set_values(WriterTensor& t, std::span<const float> v) {
    auto bytes = dequant::quantize(t.type, v, t.ne[0]);
    REQUIRE_MESSAGE(bytes.ok(), t.name);
    t.data = std::move(*bytes);
}

void quantize_matrices(Writer& w, std::uint32_t type) {
    rebuild(w, [&](std::vector<WriterTensor>& tensors) {
        for (auto& t : tensors) {
            if (t.ne.size() != 2) continue;
            const auto v = values(t);
            t.type = type;
            set_values(t, v);
        }
    });
}

std::vector<std::byte> serialize(const Writer& w) {
    auto bytes = w.serialize();
    REQUIRE_MESSAGE(bytes.ok(), (bytes.ok() ? "" : bytes.error().describe()));
    return std::move(*bytes);
}

std::set<std::string> Outcome::codes(Severity at_least) const {
    std::set<std::string> out;
    for (const auto& f : findings)
        if (f.severity >= at_least) out.insert(f.code);
    return out;
}

bool Outcome::has(std::string_view code) const { return find(code) != nullptr; }

const model::Finding* Outcome::find(std::string_view code, std::string_view subject) const {
    for (const auto& f : findings)
        if (f.code == code && (subject.empty() || f.subject == subject)) return &f;
    return nullptr;
}

std::string Outcome::describe() const {
    std::string out = opened ? "" : "open failed: " + open_error.describe() + "\n";
    for (const auto& f : findings) {
        out += f.code + " " + std::string(severity_name(f.severity)) + " " + f.subject + ": " + f.message;
        for (const auto& e : f.evidence) out += " [" + e.name + "=" + e.value + "]";
        out += "\n";
    }
    return out;
}

Outcome check(const Writer& w, rules::CheckOptions options) { return check_bytes(serialize(w), std::move(options)); }

Outcome check_bytes(std::span<const std::byte> file, rules::CheckOptions options) {
    TempDir dir;
    const auto path = dir / "model.gguf";
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    }
    Outcome o;
    auto model = gguf::open(path);
    if (!model) {
        o.open_error = model.error();
        return o;
    }
    o.opened = true;
    o.findings = rules::check(*model, options).findings;
    return o;
}

std::uint64_t offset_field_position(std::span<const std::byte> file, std::string_view name) {
    TempDir dir;
    const auto path = dir / "model.gguf";
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    }
    auto model = gguf::open(path);
    REQUIRE(model.ok());
    const TensorInfo* t = model->find_tensor(name);
    REQUIRE_MESSAGE(t != nullptr, name);
    // Tensor info: name (u64 length + bytes), n_dims (u32), dims (u64 each), type (u32), offset (u64).
    return t->info_offset + 8 + t->name.size() + 4 + 8 * t->n_dims + 4;
}

void write_u64(std::vector<std::byte>& file, std::uint64_t position, std::uint64_t value) {
    REQUIRE(position + 8 <= file.size());
    std::memcpy(file.data() + position, &value, 8);
}

}  // namespace gguf::test
