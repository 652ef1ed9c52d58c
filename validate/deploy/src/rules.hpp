// The parts of the loadability verdict, one per stage of llama.cpp's loading.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gguf/container.hpp"
#include "gguf/deploy/loadability.hpp"

namespace gguf::deploy::detail {

class Verdict {
public:
    explicit Verdict(LoadVerdict& out) : out_(out) {}
    void refuse(LoadStage stage, std::string subject, std::string message, std::uint64_t offset = 0) {
        out_.refusals.push_back({stage, std::move(subject), std::move(message), false, offset});
    }
    void abort(LoadStage stage, std::string subject, std::string message, std::uint64_t offset = 0) {
        out_.refusals.push_back({stage, std::move(subject), std::move(message), true, offset});
    }
    void not_judged(std::string what) { out_.not_judged.push_back(std::move(what)); }

private:
    LoadVerdict& out_;
};

// Where a key starts in the first file (0 when absent), for evidence.
std::uint64_t key_offset(const Container& model, std::string_view key);

// The GGUF type name of a value as ggml prints it ("uint32", "array"...).
std::string type_label(const Value& v);

void check_reader(const Container& model, Verdict& v);
void check_hparams(const Container& model, std::string_view arch, Verdict& v);
void check_vocabulary(const Container& model, Verdict& v);
void check_tensors(const Container& model, Verdict& v);

}  // namespace gguf::deploy::detail
