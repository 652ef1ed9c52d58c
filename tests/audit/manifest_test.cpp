// Hash manifests: hashes checked against independent computations (xxHash one-shot over the file's
// bytes, coreutils' sha256sum), a round trip through JSON, and --check naming exactly what changed:
// a flipped byte, a metadata edit, another byte order, a split into shards.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <xxhash.h>

#include <cstdio>
#include <fstream>

#include "fixture.hpp"
#include "gguf/audit/manifest.hpp"
#include "support/command.hpp"

using namespace gguf;

namespace {

audit::Manifest manifest_of(const Container& model, bool sha256 = false) {
    auto m = audit::compute_manifest(model, {.values = true, .sha256 = sha256, .threads = 2});
    REQUIRE_MESSAGE(m.ok(), (m.ok() ? std::string() : m.error().describe()));
    return std::move(*m);
}

std::string hex(std::uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::vector<std::string> kinds_and_subjects(const std::vector<audit::ManifestDifference>& d) {
    std::vector<std::string> out;
    for (const auto& x : d) out.push_back(x.kind + " " + x.subject);
    return out;
}

Writer copy_of(const Container& model, ByteOrder order) {
    auto w = writer_from(model, order);
    REQUIRE(w.ok());
    return std::move(*w);
}

}  // namespace

TEST_CASE("hashes equal independent computations: xxh64 of the file's bytes, of each tensor's bytes and values; sha256sum") {
    const test::TempDir dir;
    const auto path = test::write_model(dir, "tiny-qwen2", test::type_id(TypeId::Q8_0));
    const Container model = test::open_model(path);
    const auto m = manifest_of(model, true);
    const std::string bytes = test::read_file(path);
    REQUIRE(m.files.size() == 1);
    CHECK(m.files[0].name == "model.gguf");
    CHECK(m.files[0].bytes == bytes.size());
    CHECK(m.files[0].xxh64 == hex(XXH64(bytes.data(), bytes.size(), 0)));

    const test::CommandResult sha256sum = test::run_command("sha256sum " + path.string());
    REQUIRE(!sha256sum.out.empty());
    CHECK(*m.files[0].sha256 == sha256sum.out.substr(0, 64));

    REQUIRE(m.tensors.size() == model.tensors().size());
    for (std::size_t i = 0; i < m.tensors.size(); ++i) {
        const TensorInfo& t = model.tensors()[i];
        CAPTURE(t.name);
        CHECK(m.tensors[i].name == t.name);
        CHECK(m.tensors[i].xxh64 == hex(XXH64(bytes.data() + t.file_offset, t.n_bytes, 0)));
        const auto values = test::reference_values(model, t.name);
        CHECK(*m.tensors[i].values_xxh64 == hex(XXH64(values.data(), values.size() * 4, 0)));
    }
}

TEST_CASE("a manifest survives a JSON round trip and agrees with the file it was made from") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F16)));
    const auto m = manifest_of(model, true);
    REQUIRE(audit::write_manifest(dir / "m.json", m).ok());
    auto back = audit::read_manifest(dir / "m.json");
    REQUIRE(back.ok());
    CHECK(audit::manifest_json(*back) == audit::manifest_json(m));
    CHECK(back->metadata.size() == model.metadata().size());
    CHECK(audit::check_manifest(*back, manifest_of(model, true)).empty());
}

TEST_CASE("a flipped byte is named: that tensor, and the file, and nothing else") {
    const test::TempDir dir;
    const auto path = test::write_model(dir, "tiny-llama", test::type_id(TypeId::Q4_0));
    const Container model = test::open_model(path);
    const auto expected = manifest_of(model);
    const TensorInfo& victim = *model.find_tensor("blk.1.ffn_down.weight");
    std::string bytes = test::read_file(path);
    bytes[victim.file_offset + 100] ^= 0x10;
    std::ofstream(dir / "flipped.gguf", std::ios::binary) << bytes;
    const auto d = audit::check_manifest(expected, manifest_of(test::open_model(dir / "flipped.gguf")));
    CHECK(kinds_and_subjects(d) == std::vector<std::string>{"tensor_changed blk.1.ffn_down.weight", "file_changed model.gguf"});
    CHECK(d[0].message.find("so do the values") != std::string::npos);
}

TEST_CASE("a metadata edit is named by key; a removed tensor and an added one are named") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F32)));
    const auto expected = manifest_of(model);
    Writer w = copy_of(model, ByteOrder::little);
    w.set("general.name", Value::string("edited"));
    Writer edited(w.byte_order(), w.alignment());
    for (const auto& [k, v] : w.metadata()) edited.set(k, v);
    for (WriterTensor t : w.tensors()) {
        if (t.name == "output_norm.weight") t.name = "output_norm.renamed";
        REQUIRE(edited.add_tensor(std::move(t)).ok());
    }
    const Container changed = test::open_model(test::write_model(dir, edited, "edited.gguf"));
    const auto names = kinds_and_subjects(audit::check_manifest(expected, manifest_of(changed)));
    INFO(fmt::format("{}", fmt::join(names, "; ")));
    CHECK(names == std::vector<std::string>{"tensor_missing output_norm.weight", "tensor_added output_norm.renamed",
                                            "metadata_changed general.name", "file_changed model.gguf"});
}

TEST_CASE("another byte order: re-encoded tensors by default, no difference when comparing values only") {
    const test::TempDir dir;
    const Container model = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::Q8_0)));
    const auto expected = manifest_of(model);
    const Container big = test::open_model(test::write_model(dir, copy_of(model, ByteOrder::big), "big.gguf"));
    const auto actual = manifest_of(big);
    CHECK(actual.metadata == expected.metadata);  // metadata hashes do not depend on the byte order
    const auto strict = audit::check_manifest(expected, actual);
    std::size_t reencoded = 0;
    for (const auto& d : strict) reencoded += d.kind == "tensor_reencoded";
    CHECK(reencoded == model.tensors().size());
    CHECK(audit::check_manifest(expected, actual, {.values_only = true}).empty());
}

TEST_CASE("split shards: every shard is hashed, tensors hash as in the single file") {
    const test::TempDir dir;
    const Container single = test::open_model(test::write_model(dir, "tiny-llama", test::type_id(TypeId::F16)));
    auto shards = write_split(copy_of(single, ByteOrder::little), dir / "split", 8);
    REQUIRE(shards.ok());
    REQUIRE(shards->size() == 3);
    const Container split = test::open_model(shards->front());
    const auto m = manifest_of(split);
    REQUIRE(m.files.size() == 3);
    CHECK(m.files[2].name == "split-00003-of-00003.gguf");
    const auto d = audit::check_manifest(manifest_of(single), m);
    for (const auto& x : d) {
        CAPTURE(x.kind + " " + x.subject);
        CHECK((x.kind == "file_count" || (x.kind == "metadata_added" && x.subject.starts_with("split."))));
    }
    // A shard that changed is named.
    std::string bytes = test::read_file((*shards)[1]);
    bytes[bytes.size() - 5] ^= 1;
    std::ofstream((*shards)[1], std::ios::binary | std::ios::trunc) << bytes;
    const auto after = audit::check_manifest(m, manifest_of(test::open_model(shards->front())));
    REQUIRE(after.size() == 2);
    CHECK(after[0].kind == "tensor_changed");
    CHECK(after[1].subject == "split-00002-of-00003.gguf");
}

TEST_CASE("read_manifest refuses other formats and names the broken field") {
    const test::TempDir dir;
    std::ofstream(dir / "a.json") << R"({"format": "something-else", "version": 1})";
    CHECK_FALSE(audit::read_manifest(dir / "a.json").ok());
    std::ofstream(dir / "b.json") << R"({"format": "gguf-doctor-manifest", "version": 1, "files": [], "metadata": {}, "tensors": [{"name": "x"}]})";
    auto b = audit::read_manifest(dir / "b.json");
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().message.find("tensors") != std::string::npos);
    CHECK(audit::read_manifest(dir / "missing.json").error().code == ErrorCode::io_error);
}

TEST_CASE("a header-only manifest holds what the header holds, survives JSON, and compares only that") {
    const test::TempDir dir;
    const auto path = test::write_model(dir, "tiny-llama", test::type_id(TypeId::Q4_0));
    const Container model = test::open_model(path);
    auto header = audit::compute_manifest(model, {.header_only = true});
    REQUIRE(header.ok());
    CHECK(header->header_only);
    const auto full = manifest_of(model);
    CHECK(header->metadata == full.metadata);  // the same key hashes as the full manifest
    REQUIRE(header->tensors.size() == full.tensors.size());
    for (std::size_t i = 0; i < full.tensors.size(); ++i) {
        CHECK(header->tensors[i].name == full.tensors[i].name);
        CHECK(header->tensors[i].ne == full.tensors[i].ne);
        CHECK(header->tensors[i].bytes == full.tensors[i].bytes);
        CHECK(header->tensors[i].xxh64.empty());
        CHECK_FALSE(header->tensors[i].values_xxh64.has_value());
    }
    const std::string json = audit::manifest_json(*header);
    CHECK(json.find("\"header_only\": true") != std::string::npos);
    CHECK(json.find("xxh64\"") == std::string::npos);
    REQUIRE(audit::write_manifest(dir / "h.json", *header).ok());
    auto back = audit::read_manifest(dir / "h.json");
    REQUIRE(back.ok());
    CHECK(audit::manifest_json(*back) == json);
    CHECK(audit::manifest_json(full).find("header_only") == std::string::npos);  // full manifests unchanged

    // Against a full manifest: the same file agrees; a flipped data byte is not seen (the data is not
    // read), a changed key and a changed file size are.
    CHECK(audit::check_manifest(full, *header).empty());
    std::string bytes = test::read_file(path);
    bytes[model.tensors().back().file_offset + 7] ^= 0x01;
    std::ofstream(dir / "flipped.gguf", std::ios::binary) << bytes;
    auto flipped = audit::compute_manifest(test::open_model(dir / "flipped.gguf"), {.header_only = true});
    CHECK(audit::check_manifest(full, *flipped).empty());
    bytes += std::string(32, '\0');
    std::ofstream(dir / "longer.gguf", std::ios::binary) << bytes;
    auto longer = audit::compute_manifest(test::open_model(dir / "longer.gguf"), {.header_only = true});
    CHECK(kinds_and_subjects(audit::check_manifest(full, *longer)) == std::vector<std::string>{"file_changed model.gguf"});
}
