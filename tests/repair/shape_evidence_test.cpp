// Hyperparameters determined by the tensor shapes (repair::values_implied_by_shapes): nothing is
// proposed for a healthy file of any tiny preset (every architecture the generator knows), and a key
// set wrong is given back the value the generator wrote.
#include <doctest/doctest.h>

#include <string>

#include "gguf/container.hpp"
#include "gguf/repair/edit.hpp"
#include "gguf/repair/shape_evidence.hpp"
#include "gguf/samples/generator.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

samples::ModelConfig small(std::string_view preset) {
    auto c = samples::preset(preset);
    REQUIRE(c.ok());
    c->n_layer = std::min<std::uint32_t>(c->n_layer, 4);
    return *c;
}

}  // namespace

TEST_CASE("a healthy file of every tiny preset: no hyperparameter disagrees with its shapes") {
    int tried = 0;
    for (const auto name : samples::preset_names()) {
        if (!name.starts_with("tiny-")) continue;
        CAPTURE(name);
        ++tried;
        test::TempDir dir;
        REQUIRE(samples::write_model(small(name), dir / "m.gguf").ok());
        auto model = open(dir / "m.gguf");
        REQUIRE(model.ok());
        for (const auto& v : repair::values_implied_by_shapes(*model)) FAIL_CHECK(v.key << ": " << v.evidence);
    }
    CHECK(tried >= 10);
}

TEST_CASE("a wrong block count, embedding length, feed-forward length or KV head count is given back its value") {
    const samples::ModelConfig c = small("tiny-llama");
    test::TempDir dir;
    REQUIRE(samples::write_model(c, dir / "m.gguf").ok());
    auto model = open(dir / "m.gguf");
    REQUIRE(model.ok());
    struct Case {
        std::string key;
        std::uint64_t wrong, right;
    };
    const Case cases[] = {{"llama.block_count", c.n_layer + 1, c.n_layer},
                          {"llama.embedding_length", c.n_embd * 2, c.n_embd},
                          {"llama.feed_forward_length", c.n_ff + 32, c.n_ff},
                          {"llama.attention.head_count_kv", c.n_head_kv == 1 ? 2u : 1u, c.n_head_kv}};
    for (const Case& k : cases) {
        CAPTURE(k.key);
        const repair::MetadataEdit edit{repair::MetadataEdit::Kind::set, k.key, std::to_string(k.wrong), std::nullopt};
        auto edited = repair::apply_edits(*model, {&edit, 1});
        REQUIRE(edited.ok());
        REQUIRE(edited->writer.write(dir / "damaged.gguf").ok());
        auto damaged = open(dir / "damaged.gguf");
        REQUIRE(damaged.ok());
        const auto implied = repair::values_implied_by_shapes(*damaged);
        REQUIRE(implied.size() == 1);
        CHECK(implied[0].key == k.key);
        CHECK(implied[0].file == k.wrong);
        CHECK(implied[0].implied == k.right);
    }
}
