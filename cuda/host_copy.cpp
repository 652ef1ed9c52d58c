#include "host_copy.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>

namespace gguf::cuda {

void parallel_copy(void* dst, const void* src, std::uint64_t bytes) {
    constexpr std::uint64_t kPiece = std::uint64_t{1} << 20;
    const auto pieces = static_cast<std::int64_t>((bytes + kPiece - 1) / kPiece);
    auto* out = static_cast<std::byte*>(dst);
    const auto* in = static_cast<const std::byte*>(src);
#pragma omp parallel for num_threads(std::min(8, omp_get_num_procs())) schedule(static) if (pieces > 4)
    for (std::int64_t p = 0; p < pieces; ++p) {
        const std::uint64_t at = static_cast<std::uint64_t>(p) * kPiece;
        std::memcpy(out + at, in + at, std::min(kPiece, bytes - at));
    }
}

}  // namespace gguf::cuda
