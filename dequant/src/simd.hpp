// AVX2 code paths are compiled per function with a target attribute instead of per file with -mavx2,
// so nothing else in a translation unit (inline library code in particular) can pick up AVX2
// instructions and break a generic build on an older CPU. They run only when simd_enabled().
#pragma once

#include <immintrin.h>

#define GGUF_AVX2 __attribute__((target("avx2,f16c")))
