// llama.cpp (node-llama-cpp, CPU) on the generator's fixtures: it loads every tiny preset in F32, F16,
// BF16, Q8_0 and a K-quant mix, the same model quantized by llama.cpp's own quantizer, and tiny-llama in
// every code-book (IQ1_S..IQ3_S) and ternary (TQ1_0, TQ2_0) mix, and gives
// finite, non-degenerate logits; real vocabularies copied with vocab_from tokenize exactly as llama.cpp's
// own tokenizer tests expect; synthetic vocabularies tokenize into pieces that spell the text; and the
// trained sample tokenizes held-out text as it was trained and predicts it far better than chance.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gguf/container.hpp"
#include "gguf/samples/generator.hpp"
#include "reference/ggml_reference.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
namespace fs = std::filesystem;

namespace {

void node(const std::string& args) {
    const std::string command = std::string("'") + GGUF_DOCTOR_NODE + "' '" + GGUF_DOCTOR_REFERENCE_SCRIPT + "' " + args + " > /dev/null";
    REQUIRE_MESSAGE(std::system(command.c_str()) == 0, command);
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

std::vector<float> read_f32(const fs::path& p) {
    const std::string bytes = test::read_file(p);
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
}

// llama_tokenize(text, add_special = false, parse_special = false) of each text.
std::vector<std::vector<int>> llama_tokenize(const fs::path& model, const std::vector<std::string>& texts, const fs::path& dir) {
    const fs::path in = dir / "texts.json", out = dir / "ids.json";
    std::ofstream(in) << nlohmann::json(texts).dump();
    node("tokenize-raw " + quoted(model) + " " + quoted(in) + " " + quoted(out));
    std::ifstream result(out);
    return nlohmann::json::parse(result).at("plain").get<std::vector<std::vector<int>>>();
}

void quiet(int, const char*, void*) {}

std::vector<std::string> token_texts(const fs::path& model) {
    auto m = gguf::open(model);
    REQUIRE(m.ok());
    const Value* tokens = m->find("tokenizer.ggml.tokens");
    REQUIRE(tokens != nullptr);
    std::vector<std::string> out;
    for (std::uint64_t i = 0; i < tokens->size(); ++i) out.emplace_back(tokens->string_at(i));
    return out;
}

// GPT-2's byte-level symbols back to bytes: printable bytes stand for themselves, the other 68 are
// U+0100.. in byte order.
std::string bpe_bytes(const std::string& token) {
    std::map<std::uint32_t, char> to_byte;
    std::uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool as_is = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        to_byte[as_is ? static_cast<std::uint32_t>(b) : next++] = static_cast<char>(b);
    }
    std::string out;
    for (std::size_t i = 0; i < token.size();) {
        const auto c = static_cast<unsigned char>(token[i]);
        std::uint32_t cp = c;
        std::size_t len = 1;
        if (c >= 0xc0) {
            cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(token[i + 1]) & 0x3fu);
            len = 2;
        }
        out += to_byte.at(cp);
        i += len;
    }
    return out;
}

// SentencePiece pieces back to text: U+2581 is a space, <0xXX> a byte.
std::string spm_text(const std::string& piece) {
    if (piece.size() == 6 && piece.starts_with("<0x")) return std::string(1, static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
    std::string out;
    for (std::size_t i = 0; i < piece.size();) {
        if (piece.compare(i, 3, "\xe2\x96\x81") == 0) {
            out += ' ';
            i += 3;
        } else {
            out += piece[i++];
        }
    }
    return out;
}

}  // namespace

TEST_CASE("llama.cpp loads every tiny preset in F32, F16, BF16, Q8_0, Q4_K_M and quantized by llama.cpp, and tiny-llama in every IQ and TQ mix, with sane logits") {
    test::TempDir dir;
    llama_log_set(quiet, nullptr);
    ggml_log_set(quiet, nullptr);
    llama_backend_init();
    const std::vector<int> ids{1, 300, 301, 302, 400, 450, 17, 42};
    struct Job {
        std::string name;
        fs::path model, out;
        std::uint32_t n_vocab;
    };
    std::vector<Job> jobs;
    nlohmann::json job_list = nlohmann::json::array();
    for (auto preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
        for (auto mix : {"f32", "f16", "bf16", "q8_0", "q4_k_m"}) {
            samples::ModelConfig c = samples::preset(preset).value();
            REQUIRE(samples::apply_mix(c, mix).ok());
            const std::string name = std::string(preset) + "-" + mix;
            jobs.push_back({name, dir / (name + ".gguf"), dir / (name + ".f32"), c.n_vocab});
            REQUIRE(samples::write_model(c, jobs.back().model).ok());
        }
        // The F32 model quantized by llama.cpp itself (its Q4_K_M choices and its own quantizers).
        const Job& f32 = jobs[jobs.size() - 5];
        const std::string name = std::string(preset) + "-llama-q4_k_m";
        jobs.push_back({name, dir / (name + ".gguf"), dir / (name + ".f32"), f32.n_vocab});
        llama_model_quantize_params params = llama_model_quantize_default_params();
        params.ftype = reference_ftype::mostly_q4_k_m;
        params.nthread = 2;
        REQUIRE(llama_model_quantize(f32.model.c_str(), jobs.back().model.c_str(), &params) == 0);
        auto quantized = gguf::open(jobs.back().model);
        REQUIRE(quantized.ok());
        std::map<std::string, int> types;
        for (const auto& t : quantized->tensors()) ++types[type_label(t.type)];
        CHECK(types["Q4_K"] > 0);
        CHECK(types["Q6_K"] > 0);
    }
    // Every code-book and ternary mix (gguf-samples --type iq1_s ... tq2_0), quantized by gguf_dequant's
    // own quantizers, which need no importance matrix (samples_ggml_test: ggml decodes them bit-identically).
    for (auto mix : {"iq1_s", "iq1_m", "iq2_xxs", "iq2_xs", "iq2_s", "iq3_xxs", "iq3_s", "tq1_0", "tq2_0"}) {
        samples::ModelConfig c = samples::preset("tiny-llama").value();
        REQUIRE(samples::apply_mix(c, mix).ok());
        const std::string name = std::string("tiny-llama-") + mix;
        jobs.push_back({name, dir / (name + ".gguf"), dir / (name + ".f32"), c.n_vocab});
        REQUIRE(samples::write_model(c, jobs.back().model).ok());
    }
    for (const Job& j : jobs) job_list.push_back({{"model", j.model.string()}, {"ids", ids}, {"out", j.out.string()}});
    std::ofstream(dir / "jobs.json") << job_list.dump();
    node("logits-many " + quoted(dir / "jobs.json"));

    for (const Job& j : jobs) {
        CAPTURE(j.name);
        const auto logits = read_f32(j.out);
        REQUIRE(logits.size() == ids.size() * j.n_vocab);
        for (float v : logits) REQUIRE(std::isfinite(v));
        for (std::size_t row = 0; row < ids.size(); ++row) {
            double s = 0, s2 = 0;
            for (std::size_t k = 0; k < j.n_vocab; ++k) {
                const double v = logits[row * j.n_vocab + k];
                s += v;
                s2 += v * v;
            }
            const double mean = s / j.n_vocab;
            CHECK(std::sqrt(s2 / j.n_vocab - mean * mean) > 0.05);  // not a flat distribution
        }
        CHECK(!std::equal(logits.begin(), logits.begin() + j.n_vocab, logits.begin() + j.n_vocab));
    }
}

TEST_CASE("real vocabularies copied with vocab_from tokenize exactly as llama.cpp's tokenizer tests expect") {
    test::TempDir dir;
    const fs::path vocab = fs::path(GGUF_DOCTOR_REFERENCE_DIR) / "vocab";
    for (auto [preset, file] : {std::pair{"tiny-llama", "ggml-vocab-llama-spm.gguf"}, std::pair{"tiny-qwen2", "ggml-vocab-qwen2.gguf"}}) {
        const char* vocab_file = file;  // a lambda cannot capture a structured binding before clang 16
        CAPTURE(vocab_file);
        samples::ModelConfig c = samples::preset(preset).value();
        c.vocab_from = vocab / file;
        c.n_vocab = 0;
        c.n_vocab_padding = 0;
        c.n_layer = 1;
        c.n_embd = 64;
        c.n_head = 2;
        c.n_head_kv = 1;
        c.head_dim = 32;
        c.n_ff = 128;
        REQUIRE(samples::apply_mix(c, "f16").ok());
        const fs::path model = dir / (std::string(preset) + ".gguf");
        REQUIRE(samples::write_model(c, model).ok());
        node("load " + quoted(model));

        // llama.cpp's test-tokenizer-0 inputs and expected ids.
        const std::string raw = test::read_file(vocab / (std::string(file) + ".inp"));
        std::ifstream out(vocab / (std::string(file) + ".out"));
        std::vector<std::string> texts;
        const std::string sep = "\n__ggml_vocab_test__\n";
        for (std::size_t pos = 0; pos < raw.size();) {
            const std::size_t next = raw.find(sep, pos);
            texts.push_back(raw.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
            pos = next == std::string::npos ? raw.size() : next + sep.size();
        }
        std::vector<std::vector<int>> expected;
        for (std::string line; std::getline(out, line);) {
            std::istringstream s(line);
            expected.emplace_back(std::istream_iterator<int>(s), std::istream_iterator<int>());
        }
        REQUIRE(texts.size() == expected.size());
        const auto got = llama_tokenize(model, texts, dir.path());
        for (std::size_t i = 0; i < texts.size(); ++i) {
            CAPTURE(texts[i]);
            CHECK(got[i] == expected[i]);
        }
    }
}

TEST_CASE("llama.cpp tokenizes text with the synthetic vocabularies into pieces that spell the text back") {
    test::TempDir dir;
    const std::vector<std::string> texts{
        "The weights are not broken: the reader is.",
        "A model file is a promise, and 42 layers of it hold.",
        "Zebras quickly jump over {lazy} dogs; naïve café!"};
    for (std::string preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
        CAPTURE(preset);
        const samples::ModelConfig c = samples::preset(preset).value();
        const fs::path model = dir / (std::string(preset) + ".gguf");
        REQUIRE(samples::write_model(c, model).ok());
        const auto vocab = token_texts(model);
        const auto ids = llama_tokenize(model, texts, dir.path());
        for (std::size_t i = 0; i < texts.size(); ++i) {
            CAPTURE(texts[i]);
            std::string spelled;
            for (int id : ids[i]) {
                REQUIRE(id >= 0);
                REQUIRE(static_cast<std::size_t>(id) < c.n_vocab - c.n_vocab_padding);
                spelled += c.tokenizer == samples::TokenizerKind::spm ? spm_text(vocab[static_cast<std::size_t>(id)])
                                                                       : bpe_bytes(vocab[static_cast<std::size_t>(id)]);
            }
            // SentencePiece adds a leading space (add_space_prefix), as for Llama.
            CHECK(spelled == (c.tokenizer == samples::TokenizerKind::spm ? " " + texts[i] : texts[i]));
        }
        CHECK(ids[0].size() < texts[0].size() / 2);  // words of the built-in text were learned as pieces
    }
}

TEST_CASE("the trained sample: llama.cpp tokenizes held-out text as it was trained, and predicts it far better than chance") {
    test::TempDir dir;
    const fs::path model = GGUF_DOCTOR_TRAINED_SAMPLE;
    std::ifstream in(GGUF_DOCTOR_TRAINED_HELDOUT);
    REQUIRE(in);
    const auto heldout = nlohmann::json::parse(in);
    const auto docs = heldout.at("documents").get<std::vector<std::string>>();
    const auto expected = heldout.at("sentencepiece_ids").get<std::vector<std::vector<int>>>();
    REQUIRE(docs.size() == expected.size());
    const auto ids = llama_tokenize(model, docs, dir.path());
    for (std::size_t i = 0; i < docs.size(); ++i) {
        CAPTURE(docs[i]);
        CHECK(ids[i] == expected[i]);
    }

    // The documents as one stream, <s> before each (as in training), cut into windows of the training
    // context; each window is evaluated from scratch and its tokens 1.. scored from the ones before.
    std::vector<int> stream;
    for (const auto& d : ids) {
        stream.push_back(1);
        stream.insert(stream.end(), d.begin(), d.end());
    }
    constexpr std::size_t ctx = 256;
    std::vector<std::vector<int>> windows;
    nlohmann::json jobs = nlohmann::json::array();
    for (std::size_t at = 0; at + 1 < stream.size(); at += ctx) {
        windows.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(at),
                             stream.begin() + static_cast<std::ptrdiff_t>(std::min(stream.size(), at + ctx)));
        const fs::path out = dir / ("window" + std::to_string(windows.size()) + ".f32");
        jobs.push_back({{"model", model.string()}, {"ids", windows.back()}, {"out", out.string()}});
    }
    std::ofstream(dir / "jobs.json") << jobs.dump();
    node("logits-many " + quoted(dir / "jobs.json"));
    double nll = 0;
    std::size_t scored = 0, n_vocab = 0;
    for (std::size_t w = 0; w < windows.size(); ++w) {
        const auto logits = read_f32(dir / ("window" + std::to_string(w + 1) + ".f32"));
        n_vocab = logits.size() / windows[w].size();
        REQUIRE(n_vocab == 2048);
        for (std::size_t i = 0; i + 1 < windows[w].size(); ++i) {
            const float* row = logits.data() + i * n_vocab;
            double max = row[0], sum = 0;
            for (std::size_t k = 0; k < n_vocab; ++k) max = std::max<double>(max, row[k]);
            for (std::size_t k = 0; k < n_vocab; ++k) sum += std::exp(row[k] - max);
            nll += std::log(sum) + max - row[windows[w][i + 1]];
            ++scored;
        }
    }
    const double perplexity = std::exp(nll / static_cast<double>(scored));
    MESSAGE("trained sample: perplexity " << perplexity << " on " << scored << " held-out tokens (a random model: "
                                          << n_vocab << ")");
    CHECK(perplexity < 100.0);
}
