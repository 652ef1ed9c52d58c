#include "panel_product.hpp"

#include "gguf/dequant.hpp"

namespace gguf::forward {

// The project's one SIMD switch (GGUF_DOCTOR_SIMD=0 forces the portable code everywhere) decides here
// too; the AVX2 product also needs FMA, which that switch does not check.
PanelProduct panel_product() {
#ifdef GGUF_FORWARD_HAVE_AVX2
    static const bool avx2 = dequant::simd_enabled() && __builtin_cpu_supports("fma");
    if (avx2) return kernels::panel_product_avx2;
#endif
    return kernels::panel_product_generic;
}

}  // namespace gguf::forward
