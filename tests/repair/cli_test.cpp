// `gguf-doctor edit`, `split` and `merge` run as programs: what they write, and what they refuse to write.
#include <doctest/doctest.h>

#include <string>

#include "gguf/container.hpp"
#include "repair/model_fixture.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

test::CommandResult doctor(const std::string& args) {
    return test::run_command(std::string("'") + GGUF_DOCTOR_EXE + "' " + args + " 2>&1");
}

// A model with `n` F32 tensors of 64 values (256 bytes each, a multiple of the 32-byte alignment).
std::filesystem::path model_with(const test::TempDir& dir, int n) {
    Writer w = test::edit_fixture();
    w.clear_tensors();
    for (int i = 0; i < n; ++i) {
        std::vector<std::byte> data(256);
        for (std::size_t b = 0; b < data.size(); ++b) data[b] = static_cast<std::byte>(b + i);
        REQUIRE(w.add_tensor({"t" + std::to_string(i), 0, {64}, std::move(data)}).ok());
    }
    const auto path = dir / "model.gguf";
    REQUIRE(w.write(path).ok());
    return path;
}

}  // namespace

TEST_CASE("edit writes the changes it lists, and never writes over its input") {
    test::TempDir dir;
    const auto in = model_with(dir, 2);
    const std::string before = test::read_file(in);
    auto r = doctor("edit " + q(in) + " -o " + q(dir / "out.gguf") +
                    " --set llama.context_length=8192 --delete custom.note --special-token eos='<|end|>'");
    CHECK_MESSAGE(r.status == 0, r.out);
    CHECK(r.out.find("llama.context_length: 2048 -> 8192") != std::string::npos);
    CHECK(r.out.find("custom.note: \"kept\" -> (removed)") != std::string::npos);
    CHECK(r.out.find("tokenizer.ggml.eos_token_id: 2 -> 4") != std::string::npos);
    auto out = open(dir / "out.gguf");
    REQUIRE(out.ok());
    CHECK(out->find("llama.context_length")->as_u64() == 8192);
    CHECK(out->find("custom.note") == nullptr);
    CHECK(out->find("tokenizer.ggml.eos_token_id")->as_u64() == 4);
    CHECK(test::read_file(in) == before);

    r = doctor("edit " + q(in) + " -o " + q(in) + " --set general.name=x");
    CHECK(r.status == 3);
    CHECK(r.out.find("never writes over") != std::string::npos);
    CHECK(test::read_file(in) == before);
    // An existing output needs --force.
    CHECK(doctor("edit " + q(in) + " -o " + q(dir / "out.gguf") + " --set general.name=x").status == 3);
    CHECK(doctor("edit " + q(in) + " -o " + q(dir / "out.gguf") + " --set general.name=x --force").status == 0);
    CHECK(open(dir / "out.gguf")->find("general.name")->as_string() == "x");
}

TEST_CASE("edit applies edits in command-line order, refuses a bad one with exit 3, and --dry-run writes nothing") {
    test::TempDir dir;
    const auto in = model_with(dir, 1);
    // The rename comes first, so the --set of the new name finds the renamed (string) key.
    auto r = doctor("edit " + q(in) + " -o " + q(dir / "a.gguf") + " --rename custom.note=custom.other --set custom.other=new");
    CHECK_MESSAGE(r.status == 0, r.out);
    CHECK(open(dir / "a.gguf")->find("custom.other")->as_string() == "new");

    r = doctor("edit " + q(in) + " -o " + q(dir / "b.gguf") + " --set llama.context_length=big");
    CHECK(r.status == 3);
    CHECK(r.out.find("not a uint32 value") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "b.gguf"));

    r = doctor("edit " + q(in) + " -o " + q(dir / "c.gguf") + " --set general.name=y --dry-run");
    CHECK(r.status == 0);
    CHECK(r.out.find("general.name: \"edit fixture\" -> \"y\"") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "c.gguf"));

    CHECK(doctor("edit " + q(in) + " -o " + q(dir / "d.gguf")).status == 3);               // nothing to do
    CHECK(doctor("edit " + q(dir / "missing.gguf") + " -o " + q(dir / "d.gguf") + " --set general.name=z").status == 2);
}

TEST_CASE("split cuts by tensor count or by size as gguf-split does, and merge gives back the same bytes") {
    test::TempDir dir;
    const auto in = model_with(dir, 5);
    // 5 tensors of 256 bytes; at most 600 bytes of data a shard -> 2 + 2 + 1.
    auto r = doctor("split " + q(in) + " --max-size 600B -o " + q(dir / "s"));
    CHECK_MESSAGE(r.status == 0, r.out);
    for (int k = 1; k <= 3; ++k) {
        const auto shard = dir / ("s-0000" + std::to_string(k) + "-of-00003.gguf");
        REQUIRE(std::filesystem::exists(shard));
        auto m = open(shard, {.load_split = false});
        REQUIRE(m.ok());
        CHECK(m->tensors().size() == (k < 3 ? 2u : 1u));
        CHECK(m->find("split.no")->as_u64() == static_cast<std::uint64_t>(k - 1));
        CHECK(m->find("split.count")->as_u64() == 3);
        CHECK(m->find("split.tensors.count")->as_i64() == 5);
    }
    r = doctor("merge " + q(dir / "s-00002-of-00003.gguf") + " -o " + q(dir / "merged.gguf"));
    CHECK_MESSAGE(r.status == 0, r.out);
    // Our writer lays a file out the one way ggml accepts, so the round trip is the original file.
    CHECK(test::read_file(dir / "merged.gguf") == test::read_file(in));

    r = doctor("split " + q(in) + " --max-tensors 4 -o " + q(dir / "t") + " --dry-run");
    CHECK(r.status == 0);
    CHECK(r.out.find("t-00001-of-00002.gguf: 4 tensors, 1024 bytes") != std::string::npos);
    CHECK(r.out.find("t-00002-of-00002.gguf: 1 tensor, 256 bytes") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "t-00001-of-00002.gguf"));

    CHECK(doctor("split " + q(in)).status == 3);                       // no limit given
    CHECK(doctor("split " + q(in) + " --max-size 12X").status == 3);
    // Existing shards are not replaced without --force.
    CHECK(doctor("split " + q(in) + " --max-size 600B -o " + q(dir / "s")).status == 3);
    CHECK(doctor("merge " + q(dir / "s-00001-of-00003.gguf") + " -o " + q(dir / "s-00003-of-00003.gguf")).status == 3);
}
