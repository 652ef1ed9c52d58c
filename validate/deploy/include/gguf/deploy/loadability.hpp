// Will the reference llama.cpp load this file? Every reason it would refuse the file (or abort while
// loading it), each with its evidence, judged from the header alone: ggml's reader rules (version, byte
// order, duplicate names, packed data, type ids), the keys llama.cpp reads with the exact types it
// requires, the vocabulary it builds, and the tensors (names and shapes) of modelled architectures.
// The rules follow llama.cpp's loader as released in the reference build (docs/deploy.md lists them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/model/finding.hpp"

namespace gguf::deploy {

// Which part of llama.cpp's loading stops.
enum class LoadStage : std::uint8_t {
    reader,      // ggml's GGUF reader (gguf_init_from_file) or the model loader's file checks
    hparams,     // the hyperparameter keys (llama_model::load_hparams)
    vocabulary,  // the tokenizer keys (llama_vocab::load)
    tensors,     // the tensors the architecture creates (llama_model::load_tensors)
};
std::string_view load_stage_name(LoadStage stage);

struct Refusal {
    LoadStage stage{};
    std::string subject;    // key or tensor name; empty for the whole file
    std::string message;    // what llama.cpp does, and why
    bool aborts = false;    // llama.cpp stops the process (an assertion) instead of returning an error
    std::uint64_t offset = 0;  // byte offset of the subject in the first file, 0 when unknown
};

struct LoadVerdict {
    std::vector<Refusal> refusals;  // empty: no rule says llama.cpp refuses the file
    // What was not judged, e.g. the tensors of an architecture without a schema.
    std::vector<std::string> not_judged;

    bool refuses() const { return !refusals.empty(); }
};

// The verdict for a parsed file (all shards of a split model).
LoadVerdict llama_cpp_verdict(const Container& model);

// The verdict for a file libgguf cannot parse: ggml's reader cannot either.
LoadVerdict llama_cpp_verdict(const Error& unparsable);

// The finding GD-L001 (error) "llama.cpp will refuse this file", every reason as evidence; empty when
// the verdict does not refuse.
std::vector<model::Finding> verdict_findings(const LoadVerdict& verdict);

}  // namespace gguf::deploy
