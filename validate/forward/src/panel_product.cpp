#include "panel_product.hpp"

namespace gguf::forward {

PanelProduct panel_product() {
#ifdef GGUF_FORWARD_HAVE_AVX2
    static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2) return kernels::panel_product_avx2;
#endif
    return kernels::panel_product_generic;
}

}  // namespace gguf::forward
