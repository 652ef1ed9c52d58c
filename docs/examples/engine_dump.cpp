// What an engine writes for `gguf-doctor audit` (docs/audit.md): a folder with one float32 .npy per
// tensor, named after the GGUF tensor, and a trace JSON (docs/trace.md) of its activations.
// The "engine" here is a stand-in: its loader's token_embd.weight comes from a float32 .npy that
// `gguf-doctor dump` wrote, and its only op is the embedding lookup. SCALE (default 1) multiplies the
// values, to see a diagnosis.
//
//   g++ -std=c++17 -O2 engine_dump.cpp -o engine_dump
//   ./engine_dump token_embd.npy OUT_DIR 1,2,3 [SCALE]
//   gguf-doctor audit MODEL --dump OUT_DIR --only token_embd.weight
//   gguf-doctor audit MODEL --trace OUT_DIR/trace.json
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

// A float32 .npy (NumPy format 1.0), shape outermost first, values in C order. Assumes a
// little-endian host (x86, ARM): the data is written as it lies in memory, and '<f4' says so.
void write_npy(const std::string& path, const std::vector<uint64_t>& shape, const float* values) {
    uint64_t n = 1;
    std::string dims;
    for (const uint64_t d : shape) {
        n *= d;
        dims += std::to_string(d) + ",";
    }
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    header.append(63 - (10 + header.size()) % 64, ' ');  // the data starts at a multiple of 64
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(static_cast<char>(header.size() & 0xFF)).put(static_cast<char>(header.size() >> 8));
    out << header;
    out.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(n * sizeof(float)));
}

// A trace in gguf-doctor's format: per activation, its statistics over the finite values (in double)
// and its first values. JSON has no NaN or infinity: the format spells them "nan", "inf", "-inf".
std::string json_number(double x) {
    if (std::isnan(x)) return "\"nan\"";
    if (std::isinf(x)) return x > 0 ? "\"inf\"" : "\"-inf\"";
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", x);
    return text;
}

struct TraceWriter {
    std::string records;
    // x: the activation of every evaluated position, [rows = n_tokens][width], row-major.
    void record(int layer, const std::string& op, uint64_t rows, uint64_t width, const float* x) {
        double lo = 0, hi = 0, sum = 0, squares = 0;
        uint64_t finite = 0;
        for (uint64_t i = 0; i < rows * width; ++i) {
            if (!std::isfinite(x[i])) continue;
            lo = finite == 0 ? x[i] : std::fmin(lo, x[i]);
            hi = finite == 0 ? x[i] : std::fmax(hi, x[i]);
            sum += x[i];
            squares += static_cast<double>(x[i]) * x[i];
            ++finite;
        }
        const double n = finite > 0 ? static_cast<double>(finite) : 1.0;
        std::string first;
        for (uint64_t i = 0; i < 8 && i < rows * width; ++i) first += (i ? "," : "") + json_number(x[i]);
        records += std::string(records.empty() ? "" : ",\n") + "  {\"layer\": " + std::to_string(layer) + ", \"op\": \"" + op +
                   "\", \"shape\": [" + std::to_string(rows) + ", " + std::to_string(width) + "], \"min\": " + json_number(lo) +
                   ", \"max\": " + json_number(hi) + ", \"mean\": " + json_number(sum / n) +
                   ", \"rms\": " + json_number(std::sqrt(squares / n)) +
                   ", \"non_finite\": " + std::to_string(rows * width - finite) + ", \"first\": [" + first + "]}";
    }
    void write(const std::string& path, const std::vector<int32_t>& tokens) const {
        std::string ids;
        for (const int32_t t : tokens) ids += (ids.empty() ? "" : ",") + std::to_string(t);
        std::ofstream(path) << "{\"format\": \"gguf-doctor-trace\", \"version\": 1, \"backend\": \"my-engine\",\n"
                            << " \"tokens\": [" << ids << "],\n \"records\": [\n" << records << "\n ]}\n";
    }
};

int main(int argc, char** argv) {
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: engine_dump TOKEN_EMBD.npy OUT_DIR TOKEN,TOKEN,... [SCALE]\n");
        return 3;
    }
    // The stand-in loader: a float32 .npy as gguf-doctor dump writes it ([n_vocab, n_embd]).
    std::ifstream in(argv[1], std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    unsigned long long n_vocab = 0, n_embd = 0;
    const size_t shape_at = bytes.find("'shape': (");
    if (bytes.size() < 10 || shape_at == std::string::npos ||
        std::sscanf(bytes.c_str() + shape_at + 10, "%llu, %llu", &n_vocab, &n_embd) != 2) {
        std::fprintf(stderr, "%s: not a 2-D .npy from gguf-doctor dump\n", argv[1]);
        return 2;
    }
    const size_t data_at = 10 + (static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8);
    std::vector<float> embd(n_vocab * n_embd);
    if (bytes.size() < data_at + 4 * embd.size()) return 2;
    std::memcpy(embd.data(), bytes.data() + data_at, 4 * embd.size());
    const float scale = argc == 5 ? std::stof(argv[4]) : 1.0f;
    for (float& v : embd) v *= scale;

    // The dump: one file per tensor, named after the GGUF tensor, NumPy shape [ne1, ne0].
    const std::string dir = argv[2];
    std::filesystem::create_directories(dir);
    write_npy(dir + "/token_embd.weight.npy", {n_vocab, n_embd}, embd.data());

    // The trace: evaluate the tokens from position 0 and record each op's activation.
    std::vector<int32_t> tokens;
    std::stringstream ids(argv[3]);
    for (std::string id; std::getline(ids, id, ',');) {
        tokens.push_back(static_cast<int32_t>(std::stol(id)));
        if (tokens.back() < 0 || static_cast<uint64_t>(tokens.back()) >= n_vocab) return 3;
    }
    std::vector<float> h(tokens.size() * n_embd);
    for (size_t t = 0; t < tokens.size(); ++t)
        std::memcpy(&h[t * n_embd], &embd[static_cast<uint64_t>(tokens[t]) * n_embd], 4 * n_embd);
    TraceWriter trace;
    trace.record(-1, "embedding", tokens.size(), n_embd, h.data());
    trace.write(dir + "/trace.json", tokens);
    std::printf("wrote %s/token_embd.weight.npy (%llu x %llu) and %s/trace.json\n", dir.c_str(), n_vocab, n_embd, dir.c_str());
    return 0;
}
