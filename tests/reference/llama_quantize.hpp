// llama.cpp's quantizer (llama_model_quantize) for the differential tests: quantizes `in` to `out` as
// `ftype` (a LLAMA_FTYPE_* value) on 2 threads; llama.cpp's and ggml's log is kept and shown only when
// the quantizer fails.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "reference/ggml_reference.hpp"

namespace gguf::test {

inline std::string& llama_quantize_log() {
    static std::string text;
    return text;
}

inline void llama_quantize(const std::filesystem::path& in, const std::filesystem::path& out, std::int32_t ftype) {
    const auto capture = [](int, const char* text, void*) { llama_quantize_log() += text; };
    llama_log_set(capture, nullptr);
    ggml_log_set(capture, nullptr);
    llama_quantize_log().clear();
    llama_model_quantize_params params = llama_model_quantize_default_params();
    params.nthread = 2;
    params.ftype = ftype;
    REQUIRE_MESSAGE(llama_model_quantize(in.c_str(), out.c_str(), &params) == 0, llama_quantize_log());
}

}  // namespace gguf::test
