// Files written by llama.cpp's quantizer (llama_model_quantize) read the same in libgguf and in ggml.
// The quantizer's input is a tiny llama model written by our writer, as one file and as split shards:
// llama.cpp accepting both is itself a check of the writer.
#include <doctest/doctest.h>

#include <string>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"
#include "reference/libgguf_ggml_compare.hpp"
#include "reference/libgguf_llama_fixture.hpp"
#include "reference/llama_quantize.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;


TEST_CASE("files written by llama.cpp's quantizer read the same in libgguf and in ggml") {
    llama_backend_init();
    test::TempDir dir;
    const Writer source = reference::tiny_llama();
    REQUIRE(source.write(dir / "f32.gguf").ok());
    reference::check_same_as_ggml(dir / "f32.gguf");

    struct Case { const char* name; int32_t ftype; std::uint32_t attn_q_type; };
    for (const Case& c : {Case{"Q8_0", reference_ftype::mostly_q8_0, 8}, Case{"Q4_K_M", reference_ftype::mostly_q4_k_m, 12},
                          Case{"Q4_0", reference_ftype::mostly_q4_0, 2}, Case{"Q6_K", reference_ftype::mostly_q6_k, 14}}) {
        CAPTURE(c.name);
        const auto out = dir / (std::string(c.name) + ".gguf");
        test::llama_quantize(dir / "f32.gguf", out, c.ftype);
        reference::check_same_as_ggml(out);

        // Beyond agreeing with ggml: the quantizer kept our metadata and changed the types it should.
        auto m = open(out);
        REQUIRE(m.ok());
        CHECK(m->get_u64("general.file_type") == static_cast<std::uint64_t>(c.ftype));
        CHECK(m->find("general.quantization_version") != nullptr);
        CHECK(*m->find("tokenizer.ggml.tokens") == *source.find("tokenizer.ggml.tokens"));
        CHECK(m->get_u64("llama.block_count") == 2u);
        CHECK(m->find_tensor("blk.0.attn_q.weight")->type == c.attn_q_type);
        CHECK(m->find_tensor("blk.1.ffn_norm.weight")->type == 0u);  // norms stay F32
        CHECK(m->tensors().size() == source.tensors().size());
    }
}

TEST_CASE("llama.cpp's quantizer reads our split shards as the model they split") {
    llama_backend_init();
    test::TempDir dir;
    const Writer source = reference::tiny_llama();
    REQUIRE(source.write(dir / "single.gguf").ok());
    auto shards = write_split(source, dir / "split", 5);
    REQUIRE(shards.ok());
    REQUIRE(shards->size() == 5);  // 21 tensors, 5 per shard
    for (const auto& shard : *shards) reference::check_same_as_ggml(shard);

    test::llama_quantize(dir / "single.gguf", dir / "from-single.gguf", reference_ftype::mostly_q8_0);
    test::llama_quantize(shards->front(), dir / "from-split.gguf", reference_ftype::mostly_q8_0);
    // The quantizer drops the split keys, so both inputs give the same file, byte for byte.
    CHECK(test::read_file(dir / "from-single.gguf") == test::read_file(dir / "from-split.gguf"));
}
