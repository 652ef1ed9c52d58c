// Decoders and statistics on random blocks of every supported type. Input: a type selector byte, a
// flags byte (bit 0: byte order, bit 1: two rows, bit 2: small statistics chunks, bits 3 and 4 both
// set: statistics too), then the blocks (cut to whole blocks).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gguf/dequant.hpp"
#include "gguf/stats.hpp"
#include "gguf/types.hpp"

namespace {

const std::vector<std::uint32_t>& supported_types() {
    static const std::vector<std::uint32_t> types = [] {
        std::vector<std::uint32_t> out;
        for (const auto& t : gguf::all_types())
            if (gguf::dequant::is_supported(static_cast<std::uint32_t>(t.id))) out.push_back(static_cast<std::uint32_t>(t.id));
        return out;
    }();
    return types;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const auto& types = supported_types();
    const std::uint32_t type = types[data[0] % types.size()];
    const gguf::TypeInfo* info = gguf::find_type(type);
    const gguf::ByteOrder order = (data[1] & 1) ? gguf::ByteOrder::big : gguf::ByteOrder::little;
    const std::size_t n_blocks = (size - 2) / info->type_size;
    if (n_blocks == 0) return 0;
    const std::span blocks(reinterpret_cast<const std::byte*>(data + 2), n_blocks * info->type_size);

    std::vector<float> out(n_blocks * info->block_size);
    gguf::dequant::decode_blocks(type, blocks, order, out);

    // The same blocks as a tensor of 1 or 2 rows (2 when the blocks split evenly).
    gguf::TensorInfo t;
    t.name = "fuzz";
    t.type = type;
    const std::uint64_t rows = (data[1] & 2) && n_blocks % 2 == 0 ? 2 : 1;
    t.n_dims = 2;
    t.ne = {n_blocks * info->block_size / rows, rows, 1, 1};
    t.n_bytes = blocks.size();
    t.data_valid = true;
    const gguf::TensorView view{&t, blocks, order};
    auto values = gguf::dequant::to_float(view, 1);
    // The whole-tensor path must give decode_blocks' bits (NaN payloads included).
    if (!values || values->size() != out.size() || std::memcmp(values->data(), out.data(), out.size() * sizeof(float)) != 0)
        __builtin_trap();
    // Statistics cost a 65536-bin histogram per call, far more than decoding a few blocks: they run
    // for one flags value in four, so that most executions explore the decoders.
    if ((data[1] & 0x18) != 0x18) return 0;
    gguf::dequant::StatsOptions options;
    options.threads = 1;
    if (data[1] & 4) options.chunk_bytes = 64 + (data[1] >> 3);  // several chunks per tensor, uneven ends
    auto stats = gguf::dequant::compute_stats(view, options);
    if (!stats || !stats->supported || stats->count != out.size()) __builtin_trap();
    // The value classes, counted again from the decoded values.
    std::uint64_t nan = 0, inf = 0;
    for (const float v : out) {
        nan += std::isnan(v);
        inf += std::isinf(v);
    }
    if (stats->nan_count != nan || stats->inf_count() != inf || stats->finite_count != out.size() - nan - inf)
        __builtin_trap();
    return 0;
}
