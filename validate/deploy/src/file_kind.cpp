// File kinds, and the rules of llama.cpp's LoRA loader (src/llama-adapter.cpp of the reference release).
#include "gguf/deploy/file_kind.hpp"

#include <fmt/format.h>

#include <map>

#include "rules.hpp"

namespace gguf::deploy {
namespace {

constexpr std::string_view kPoolingNames[] = {"none", "mean", "cls", "last", "rank"};  // llama_pooling_type 0..4
constexpr std::uint64_t kPoolingRank = 4;

struct Pair {
    const TensorInfo* a = nullptr;
    const TensorInfo* b = nullptr;
};

std::map<std::string, Pair> lora_pairs(const Container& adapter, std::vector<std::string>* others) {
    std::map<std::string, Pair> pairs;
    for (const TensorInfo& t : adapter.tensors()) {
        if (t.name.ends_with(".lora_a")) pairs[t.name.substr(0, t.name.size() - 7)].a = &t;
        else if (t.name.ends_with(".lora_b")) pairs[t.name.substr(0, t.name.size() - 7)].b = &t;
        else if (others && !t.name.ends_with("_norm.weight")) others->push_back(t.name);
    }
    return pairs;
}

}  // namespace

std::string_view file_kind_name(FileKind kind) {
    switch (kind) {
        case FileKind::language_model: return "language model";
        case FileKind::embedding_model: return "embedding model";
        case FileKind::reranker: return "reranking model";
        case FileKind::lora_adapter: return "LoRA adapter";
        case FileKind::projector: return "multimodal projector";
        case FileKind::vocabulary_only: return "vocabulary only";
    }
    return "?";
}

KindInfo file_kind(const Container& model) {
    KindInfo k;
    const std::string arch(model.get_string("general.architecture").value_or(""));
    const std::string type(model.get_string("general.type").value_or(""));
    if (type == "adapter" || model.find("adapter.type")) {
        k.kind = FileKind::lora_adapter;
        const auto pairs = lora_pairs(model, nullptr);
        std::uint64_t rank = 0;
        for (const auto& [name, p] : pairs)
            if (p.a) rank = std::max<std::uint64_t>(rank, p.a->ne[1]);
        k.detail = fmt::format("{} {}, alpha {}, rank {}, {} pairs", model.get_string("adapter.type").value_or("?"),
                               arch.empty() ? "?" : arch,
                               model.get_f64("adapter.lora.alpha") ? fmt::format("{:g}", *model.get_f64("adapter.lora.alpha"))
                                                                   : std::string("absent"),
                               rank, pairs.size());
        return k;
    }
    if (arch == "clip" || type == "mmproj" || model.find("clip.has_vision_encoder") || model.find("clip.projector_type")) {
        k.kind = FileKind::projector;
        k.detail = std::string(model.get_string("clip.projector_type").value_or(""));
        return k;
    }
    if (model.tensors().empty()) {
        k.kind = FileKind::vocabulary_only;
        return k;
    }
    const auto pooling = model.get_u64(arch + ".pooling_type");
    const bool classifier = model.find(arch + ".classifier.output_labels") != nullptr;
    if ((pooling && *pooling == kPoolingRank) || classifier) {
        k.kind = FileKind::reranker;
        k.detail = "pooling rank";
    } else if (pooling && *pooling > 0) {
        k.kind = FileKind::embedding_model;
        k.detail = "pooling " + std::string(*pooling < std::size(kPoolingNames) ? kPoolingNames[*pooling] : "unknown");
    }
    return k;
}

LoadVerdict lora_verdict(const Container& adapter, const Container* base) {
    LoadVerdict out;
    detail::Verdict v(out);
    detail::check_reader(adapter, v);
    const auto str = [&](std::string_view key) { return std::string(adapter.get_string(key).value_or("")); };
    if (str("general.type") != "adapter")
        v.refuse(LoadStage::hparams, "general.type", "'" + str("general.type") + "': llama.cpp's LoRA loader requires 'adapter'");
    if (str("adapter.type") != "lora")
        v.refuse(LoadStage::hparams, "adapter.type", "'" + str("adapter.type") + "': llama.cpp loads only 'lora' adapters");
    if (const Value* alpha = adapter.find("adapter.lora.alpha"); alpha && alpha->type() != ValueType::float32)
        v.abort(LoadStage::hparams, "adapter.lora.alpha", "stored as " + detail::type_label(*alpha) + ": llama.cpp reads a float32 and stops on an assertion");
    std::vector<std::string> others;
    const auto pairs = lora_pairs(adapter, &others);
    for (const auto& name : others)
        v.refuse(LoadStage::tensors, name, "neither .lora_a nor .lora_b: llama.cpp refuses a tensor with another suffix");
    for (const auto& [name, p] : pairs)
        if (!p.a || !p.b) v.refuse(LoadStage::tensors, name, std::string("the pair lacks its ") + (p.a ? ".lora_b" : ".lora_a"));
    if (!base) {
        v.not_judged("the pairs against a base model (give --base MODEL)");
        return out;
    }
    const std::string arch = str("general.architecture");
    const std::string base_arch(base->get_string("general.architecture").value_or(""));
    if (arch != base_arch)
        v.refuse(LoadStage::hparams, "general.architecture", "adapter for '" + arch + "', base model is '" + base_arch + "'");
    for (const auto& [name, p] : pairs) {
        if (!p.a || !p.b) continue;
        const TensorInfo* w = base->find_tensor(name);
        if (!w) {
            v.refuse(LoadStage::tensors, name, "the base model has no such tensor");
            continue;
        }
        const bool embedding = name == "token_embd.weight";  // its A and B are swapped (llama.cpp applies it to rows)
        const bool shape_ok = embedding ? (w->ne[0] == p.b->ne[1] && w->ne[1] == p.a->ne[1])
                                        : (w->ne[0] == p.a->ne[0] && w->ne[1] == p.b->ne[1]);
        if (!shape_ok)
            v.refuse(LoadStage::tensors, name,
                     fmt::format("lora_a [{}, {}] and lora_b [{}, {}] do not fit the base tensor [{}, {}]", p.a->ne[0],
                                 p.a->ne[1], p.b->ne[0], p.b->ne[1], w->ne[0], w->ne[1]));
        else if (!embedding && p.a->ne[1] != p.b->ne[0])
            v.refuse(LoadStage::tensors, name,
                     fmt::format("rank of lora_a ({}) differs from lora_b's ({})", p.a->ne[1], p.b->ne[0]));
    }
    return out;
}

}  // namespace gguf::deploy
