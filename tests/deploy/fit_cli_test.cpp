// gguf-doctor fit end to end, on numbers computed by hand from the tiny llama preset's shapes (the
// differential test in tests/reference compares them with llama.cpp's own allocations).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "gguf/deploy/fit.hpp"
#include "rules/fixture.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

test::CommandResult fit(const std::string& args) {
    return test::run_command(std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor fit " + args + " 2>&1");
}

nlohmann::json fit_json(const std::string& args) {
    const auto r = fit(args + " --json");
    REQUIRE_MESSAGE(r.status <= 1, r.out);
    return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("the KV cache is cells x layers x (K and V rows of the KV heads), with the context padded to 256") {
    test::TempDir dir;
    // tiny-llama: 8 heads of 32 over n_embd 256, 2 KV heads: K and V rows of 64 values per layer.
    const auto path = dir / "m.gguf";
    REQUIRE(test::build(test::config("tiny-llama", 2)).write(path).ok());
    const std::string model = "'" + path.string() + "'";
    auto j = fit_json(model + " --ctx 1000");
    CHECK(j["n_ctx"] == 1024);
    CHECK(j["bytes"]["kv_k"] == 2u * 1024 * 64 * 2);  // layers x cells x 64 F16 values
    CHECK(j["bytes"]["kv_v"] == 2u * 1024 * 64 * 2);
    j = fit_json(model + " --ctx 1024 --kv-type q8_0");
    CHECK(j["bytes"]["kv_k"] == 2u * 1024 * (64 / 32 * 34));  // two Q8_0 blocks of 34 bytes per row
    j = fit_json(model + " --ctx 1024 --kv-type q4_0");
    CHECK(j["bytes"]["kv_v"] == 2u * 1024 * (64 / 32 * 18));

    auto opened = open(path);
    REQUIRE(opened.ok());
    std::uint64_t tensor_bytes = 0;
    for (const auto& t : opened->tensors()) tensor_bytes += t.n_bytes;
    CHECK(j["bytes"]["weights"] == tensor_bytes);
}

TEST_CASE("layers go to the GPUs as llama.cpp assigns them: the last N of the blocks plus the output layer") {
    test::TempDir dir;
    const auto path = dir / "m.gguf";
    REQUIRE(test::build(test::config("tiny-llama", 4)).write(path).ok());
    const std::string model = "'" + path.string() + "'";
    // 2 of the 5 layers (4 blocks + output) on the GPU: block 3 and the output layer.
    auto j = fit_json(model + " --ctx 512 --gpu-memory 1G --n-gpu-layers 2");
    std::map<std::string, std::string> device;
    for (const auto& l : j["layers"]) device[l["layer"]] = l["device"];
    CHECK(device["input"] == "CPU");
    CHECK(device["2"] == "CPU");
    CHECK(device["3"] == "GPU0");
    CHECK(device["output"] == "GPU0");
    // Two GPUs of equal memory share all 5 layers: 0, 1, 2 on the first (0/5, 1/5, 2/5 < 1/2), the rest on the second.
    j = fit_json(model + " --ctx 512 --gpu-memory 1G --gpu-memory 1G");
    device.clear();
    for (const auto& l : j["layers"]) device[l["layer"]] = l["device"];
    CHECK(device["input"] == "CPU");
    CHECK(device["0"] == "GPU0");
    CHECK(device["2"] == "GPU0");
    CHECK(device["3"] == "GPU1");
    CHECK(device["output"] == "GPU1");
    // The KV cache of a layer lives on its device.
    for (const auto& d : j["devices"])
        if (d["name"] == "CPU") CHECK(d["kv_cache"] == 0);
}

TEST_CASE("the largest context that fits does fit, and 256 more cells do not") {
    test::TempDir dir;
    auto config = test::config("tiny-llama", 2);
    config.n_ctx = 65536;
    const auto path = dir / "m.gguf";
    REQUIRE(test::build(config).write(path).ok());
    const std::string model = "'" + path.string() + "'";
    const auto j = fit_json(model + " --gpu-memory 20M");
    const std::uint32_t best = j["max_context"];
    REQUIRE(best > 0);
    REQUIRE(best < 65536);
    CHECK(fit(model + " --gpu-memory 20M --ctx " + std::to_string(best)).status == 0);
    CHECK(fit(model + " --gpu-memory 20M --ctx " + std::to_string(best + 256)).status == 1);
}

TEST_CASE("a split model counts as one") {
    test::TempDir dir;
    const Writer w = test::build(test::config("tiny-qwen2", 2));
    REQUIRE(w.write(dir / "whole.gguf").ok());
    auto shards = write_split(w, dir / "split", 6);
    REQUIRE(shards.ok());
    REQUIRE(shards->size() > 1);
    const auto whole = fit_json("'" + (dir / "whole.gguf").string() + "' --ctx 512");
    const auto split = fit_json("'" + shards->front().string() + "' --ctx 512");
    CHECK(whole["bytes"] == split["bytes"]);
}

TEST_CASE("sizes are read with binary units; bad options are usage errors") {
    CHECK(deploy::parse_size("24G") == 24ull << 30);
    CHECK(deploy::parse_size("8192MiB") == 8192ull << 20);
    CHECK(deploy::parse_size("1.5 GB") == 3ull << 29);
    CHECK(deploy::parse_size("100") == 100u);
    CHECK_FALSE(deploy::parse_size("lots").has_value());
    CHECK_FALSE(deploy::parse_size("-1G").has_value());
    test::TempDir dir;
    const auto path = dir / "m.gguf";
    REQUIRE(test::build(test::config("tiny-llama", 2)).write(path).ok());
    CHECK(fit("'" + path.string() + "' --kv-type q5_1").status == 3);
    CHECK(fit("'" + path.string() + "' --gpu-memory lots").status == 3);
    CHECK(fit("'" + (dir / "missing.gguf").string() + "'").status == 2);
}

namespace {

std::string write_preset(const test::TempDir& dir, std::string_view preset) {
    auto config = samples::preset(preset);
    REQUIRE(config.ok());
    const auto path = dir / (std::string(preset) + ".gguf");
    REQUIRE(samples::write_model(*config, path).ok());
    return "'" + path.string() + "'";
}

std::uint64_t layer_kv(const nlohmann::json& j, const std::string& layer) {
    for (const auto& l : j["layers"])
        if (l["layer"] == layer) return l["kv_cache"];
    FAIL("no layer " << layer);
    return 0;
}

}  // namespace

TEST_CASE("a hybrid model: only full-attention layers keep a KV cache, the delta-net layers a recurrent state") {
    test::TempDir dir;
    // tiny-qwen35: 3 layers, full attention every 3rd (layer 2); 2 KV heads of 64; delta-net state of
    // conv kernel 4 over inner 128 + 2 groups x 2 x state 32, and state 32 x inner 128, in F32.
    const std::string model = write_preset(dir, "tiny-qwen35");
    const auto j = fit_json(model + " --ctx 1024");
    CHECK(layer_kv(j, "0") == 0);
    CHECK(layer_kv(j, "1") == 0);
    CHECK(layer_kv(j, "2") == 2u * 1024 * 2 * 64 * 2);  // K and V x cells x 2 heads x 64 x F16
    const std::uint64_t state = ((4 - 1) * (128 + 2 * 2 * 32) + 32 * 128) * 4;
    CHECK(j["bytes"]["recurrent_state"] == 2 * state);
    CHECK(j["devices"][0]["total"] == j["devices"][0]["weights"].get<std::uint64_t>() + j["devices"][0]["kv_cache"].get<std::uint64_t>() +
                                          2 * state + j["devices"][0]["compute_estimate"].get<std::uint64_t>());
    const auto text = fit(model + " --ctx 1024");
    CHECK(text.out.find("recurrent state") != std::string::npos);
}

TEST_CASE("sliding-window layers keep the window plus one ubatch; gemma4's shared layers keep no cache") {
    test::TempDir dir;
    // tiny-gemma2: window 4, layer 0 slides (llama.cpp's default period 2); 2 KV heads of 128.
    const std::string gemma2 = write_preset(dir, "tiny-gemma2");
    auto j = fit_json(gemma2 + " --ctx 4096 --ubatch 512");
    CHECK(layer_kv(j, "0") == 2u * 768 * 2 * 128 * 2);  // 4 + 512 cells padded to 256
    CHECK(layer_kv(j, "1") == 2u * 4096 * 2 * 128 * 2);
    j = fit_json(gemma2 + " --ctx 4096 --ubatch 512 --swa-full");
    CHECK(layer_kv(j, "0") == 2u * 4096 * 2 * 128 * 2);
    j = fit_json(gemma2 + " --ctx 512 --ubatch 512");
    CHECK(layer_kv(j, "0") == 2u * 512 * 2 * 128 * 2);  // never more than the context
    CHECK(j["notes"].empty());

    // tiny-gemma4: layers 0 and 2 slide (head 64), 1 and 3 are global (head 128), one KV head; layers 2
    // and 3 reuse the caches of 0 and 1.
    const std::string gemma4 = write_preset(dir, "tiny-gemma4");
    j = fit_json(gemma4 + " --ctx 4096 --ubatch 256");
    CHECK(layer_kv(j, "0") == 2u * 512 * 64 * 2);
    CHECK(layer_kv(j, "1") == 2u * 4096 * 128 * 2);
    CHECK(layer_kv(j, "2") == 0);
    CHECK(layer_kv(j, "3") == 0);
}
