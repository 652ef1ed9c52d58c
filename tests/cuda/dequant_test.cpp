// GPU dequantization is bit-identical to the CPU decoders (gguf::dequant, themselves bit-identical to
// ggml) for every type they support, in both byte orders. Blocks are random bytes, so their scales
// cover every f16 class: normal, subnormal, zero, infinity and NaN with any payload.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "../../cuda/device_buffer.hpp"
#include "../../cuda/kernels/kernels.hpp"
#include "gguf/cuda/device.hpp"
#include "gguf/dequant.hpp"
#include "gguf/types.hpp"
#include "gpu.hpp"

using namespace gguf;

namespace {

std::vector<std::uint32_t> supported_types() {
    std::vector<std::uint32_t> types;
    for (const TypeInfo& t : all_types())
        if (dequant::is_supported(static_cast<std::uint32_t>(t.id))) types.push_back(static_cast<std::uint32_t>(t.id));
    return types;
}

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::byte> bytes(n);
    for (auto& b : bytes) b = static_cast<std::byte>(rng() & 0xFFu);
    return bytes;
}

// The first position where the bits differ, or -1.
std::int64_t first_difference(std::span<const float> a, std::span<const float> b) {
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<std::int64_t>(i);
    return -1;
}

std::uint32_t bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

TensorInfo info_for(std::uint32_t type, std::uint64_t row_length, std::uint64_t rows) {
    TensorInfo t;
    t.name = "random." + type_label(type);
    t.type = type;
    t.n_dims = 2;
    t.ne = {row_length, rows, 1, 1};
    t.n_bytes = *byte_size(type, row_length * rows);
    t.data_valid = true;
    return t;
}

}  // namespace

TEST_CASE("every type the CPU decodes has a GPU decoder") {
    test::require_gpu();
    for (const std::uint32_t type : supported_types()) {
        CAPTURE(type_label(type));
        CHECK(cuda::is_supported(type));
    }
    CHECK_FALSE(cuda::is_supported(static_cast<std::uint32_t>(TypeId::Q4_0_4_4)));  // removed: no CPU decoder either
}

TEST_CASE("GPU dequantization of random blocks is bit-identical to the CPU's, little- and big-endian") {
    test::require_gpu();
    for (const std::uint32_t type : supported_types()) {
        CAPTURE(type_label(type));
        const TypeInfo& ti = *find_type(type);
        // A few tiles of every kernel plus a ragged end: 3 rows of 1000 blocks' worth of values.
        const std::uint64_t row_length = std::uint64_t{ti.block_size} * 1000, rows = 3;
        const TensorInfo info = info_for(type, row_length, rows);
        const auto little = random_bytes(info.n_bytes, type * 7919u + 1);

        auto expected = dequant::to_float(TensorView{&info, little, ByteOrder::little}, 1);
        REQUIRE(expected.ok());
        auto gpu = cuda::dequantize(TensorView{&info, little, ByteOrder::little});
        REQUIRE_MESSAGE(gpu.ok(), (gpu.ok() ? "" : gpu.error().describe()));
        const auto diff = first_difference(*expected, *gpu);
        CHECK_MESSAGE(diff < 0, "value " << diff << ": CPU bits " << std::hex << bits((*expected)[diff < 0 ? 0 : diff])
                                         << ", GPU bits " << bits((*gpu)[diff < 0 ? 0 : diff]));

        if (!byte_swap_layout(type)) continue;  // IQ1_M: no big-endian layout is defined (types.hpp)
        std::vector<std::byte> big = little;
        REQUIRE(swap_block_fields(type, big));
        auto gpu_big = cuda::dequantize(TensorView{&info, big, ByteOrder::big});
        REQUIRE(gpu_big.ok());
        CHECK(first_difference(*expected, *gpu_big) < 0);
    }
}

TEST_CASE("the dequant kernel reads blocks at any byte offset and any count") {
    test::require_gpu();
    for (const std::uint32_t type : supported_types()) {
        CAPTURE(type_label(type));
        const TypeInfo& ti = *find_type(type);
        for (const std::uint64_t n_blocks : {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{65}, std::uint64_t{517}}) {
            CAPTURE(n_blocks);
            const std::uint64_t n_bytes = n_blocks * ti.type_size, n_values = n_blocks * ti.block_size;
            const auto bytes = random_bytes(n_bytes, static_cast<std::uint32_t>(type * 31 + n_blocks));
            std::vector<float> expected(n_values);
            dequant::decode_blocks(type, bytes, ByteOrder::little, expected);
            for (const std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{6}, std::size_t{16}}) {
                CAPTURE(offset);
                cuda::DeviceBuffer<std::byte> in(n_bytes + offset);
                in.upload(bytes, nullptr, offset);
                cuda::DeviceBuffer<float> out(n_values);
                cuda::dequantize(type, in.data() + offset, n_values, out.data(), nullptr);
                std::vector<float> got(n_values);
                REQUIRE(cudaMemcpy(got.data(), out.data(), out.bytes(), cudaMemcpyDeviceToHost) == cudaSuccess);
                CHECK(first_difference(expected, got) < 0);
            }
        }
    }
}

TEST_CASE("rows gathered from a quantized matrix equal the CPU's decoded rows") {
    test::require_gpu();
    for (const std::uint32_t type : supported_types()) {
        CAPTURE(type_label(type));
        const TypeInfo& ti = *find_type(type);
        const std::uint64_t n_in = std::uint64_t{ti.block_size} * (ti.block_size == 1 ? 40 : 3), n_rows = 50;
        const TensorInfo info = info_for(type, n_in, n_rows);
        const auto bytes = random_bytes(info.n_bytes, type + 99);
        const std::vector<std::int32_t> ids{0, 49, 7, 7, 23, 1};
        std::vector<float> expected;
        for (const auto id : ids) {
            std::vector<float> row(n_in);
            REQUIRE(dequant::decode_rows(TensorView{&info, bytes, ByteOrder::little}, static_cast<std::uint64_t>(id), 1, row).ok());
            expected.insert(expected.end(), row.begin(), row.end());
        }
        cuda::DeviceBuffer<std::byte> matrix(bytes.size());
        matrix.upload(bytes);
        cuda::DeviceBuffer<std::int32_t> d_ids(ids.size());
        d_ids.upload(ids);
        cuda::DeviceBuffer<float> out(expected.size());
        cuda::get_rows(type, matrix.data(), n_in, d_ids.data(), ids.size(), out.data(), nullptr);
        std::vector<float> got(expected.size());
        REQUIRE(cudaMemcpy(got.data(), out.data(), out.bytes(), cudaMemcpyDeviceToHost) == cudaSuccess);
        CHECK(first_difference(expected, got) < 0);
    }
}

TEST_CASE("a tensor whose type has no decoder is refused with its name") {
    test::require_gpu();
    TensorInfo info = info_for(static_cast<std::uint32_t>(TypeId::Q4_0_4_4), 256, 1);
    const std::vector<std::byte> bytes(info.n_bytes);
    auto r = cuda::dequantize(TensorView{&info, bytes, ByteOrder::little});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(info.name) != std::string::npos);
    CHECK(r.error().message.find("unsupported") != std::string::npos);
}
