// The tensors llama.cpp creates for a modelled architecture (llama_model::load_tensors): each required
// one must be in the file, each one it creates must have exactly the shape the hyperparameters give
// (the embedding and lm_head have one row per token of the vocabulary), and the file must hold no
// tensor it does not create (it counts them and refuses a difference).
#include <fmt/format.h>

#include "gguf/model/schema.hpp"
#include "gguf/model/spec.hpp"
#include "rules.hpp"

namespace gguf::deploy::detail {
namespace {

std::string shape_text(const std::vector<std::uint64_t>& ne) {
    std::string s;
    for (std::size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
    return "[" + s + "]";
}

std::vector<std::uint64_t> shape_of(const TensorInfo& t) { return {t.ne.begin(), t.ne.begin() + t.n_dims}; }

// llama.cpp compares the first dimensions and requires the rest to be 1.
bool same_shape(const TensorInfo& t, const std::vector<std::uint64_t>& expected) {
    for (std::size_t i = 0; i < max_dims; ++i) {
        const std::uint64_t want = i < expected.size() ? expected[i] : 1;
        if (t.ne[i] != want) return false;
    }
    return true;
}

}  // namespace

void check_tensors(const Container& model, Verdict& v) {
    if (model.tensors().empty()) {
        v.refuse(LoadStage::tensors, "", "the file has no tensors (a vocabulary-only file): every architecture creates some");
        return;
    }
    auto spec = model::read_spec(model);
    const std::string arch(model.get_string("general.architecture").value_or(""));
    if (!spec || !spec->modelled) {
        v.not_judged(spec ? "the tensors of architecture '" + arch + "' (no schema)"
                          : "the tensors (the hyperparameters cannot be read: " + spec.error().message + ")");
        return;
    }
    auto schema = model::schema_for(*spec);
    if (!schema) {
        v.not_judged("the tensors of architecture '" + arch + "' (no schema)");
        return;
    }
    for (const model::ExpectedTensor& e : schema->tensors) {
        const TensorInfo* t = model.find_tensor(e.name);
        if (!t) {
            if (e.presence == model::Presence::required) v.refuse(LoadStage::tensors, e.name, "required tensor is missing");
            continue;
        }
        if (!same_shape(*t, e.ne))
            v.refuse(LoadStage::tensors, e.name,
                     "shape " + shape_text(shape_of(*t)) + " where llama.cpp creates " + shape_text(e.ne) +
                         (e.vocab_rows ? fmt::format(" (one row per token: {} tokens)", spec->n_vocab) : ""),
                     t->shard == 0 ? t->info_offset : 0);
    }
    std::size_t extra = 0;
    std::string first_extra;
    for (const TensorInfo& t : model.tensors())
        if (!schema->find(t.name)) {
            if (extra++ == 0) first_extra = t.name;
        }
    if (extra > 0)
        v.refuse(LoadStage::tensors, first_extra,
                 fmt::format("{} tensor{} llama.cpp does not create for {} (this one first): it counts the tensors and "
                             "refuses the file",
                             extra, extra == 1 ? "" : "s", arch));
}

}  // namespace gguf::deploy::detail
