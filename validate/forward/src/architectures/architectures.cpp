// describe_architecture(): the registry of builders, the checks every architecture shares, and the
// slot widths executors allocate from.
#include "architectures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "gguf/forward/overloaded.hpp"

namespace gguf::forward {
namespace {

struct Entry {
    std::string_view name;
    architectures::Builder build;
};

constexpr Entry kBuilders[] = {
    {"llama", architectures::build_llama},
    {"qwen2", architectures::build_qwen2},
    {"qwen3", architectures::build_qwen3},
    {"gemma3", architectures::build_gemma3},
    {"qwen35", architectures::build_qwen35},
    {"qwen35moe", architectures::build_qwen35moe},
    {"qwen3moe", architectures::build_qwen3moe},
    {"qwen2moe", architectures::build_qwen2moe},
    {"gemma2", architectures::build_gemma2},
    {"olmo2", architectures::build_olmo2},
    {"granite", architectures::build_granite},
    {"phi3", architectures::build_phi3},
    {"mistral3", architectures::build_mistral3},
    {"gpt-oss", architectures::build_gpt_oss},
    {"gemma4", architectures::build_gemma4},
};

Error unsupported(std::string message) { return Error{ErrorCode::invalid_argument, 0, std::move(message), ""}; }


// The largest width per token each slot takes in any op.
void size_slots(Program& p, const WeightBinding& w) {
    const auto use = [&p](Slot s, std::uint64_t width) {
        auto& slot = p.slot_width[static_cast<std::size_t>(s)];
        slot = std::max(slot, width);
    };
    const auto size = [&](const std::vector<Op>& ops, const WeightSet& set) {
        for (const Op& op : ops)
            std::visit(Overloaded{
                           [&](const Embed& o) { use(o.out, set.matrices[o.matrix].n_in); },
                           [&](const RmsNorm& o) { use(o.out, o.width), use(o.in, o.width); },
                           [&](const Linear& o) {
                               use(o.out, set.matrices[o.matrix].n_out);
                               use(o.in, set.matrices[o.matrix].n_in);
                           },
                           [&](const Add& o) { use(o.out, o.width), use(o.a, o.width), use(o.b, o.width); },
                           [&](const Rope& o) { use(o.x, o.n_heads * o.head_dim); },
                           [&](const Attention& o) {
                               use(o.q, o.shape.n_head * o.shape.head_dim);
                               use(Slot::k, o.shape.n_head_kv * o.shape.head_dim);
                               use(Slot::v, o.shape.n_head_kv * o.shape.head_dim_v);
                               use(o.out, o.shape.n_head * o.shape.head_dim_v);
                           },
                           [&](const Scale& o) { use(o.x, o.width); },
                           [&](const SwiGlu& o) { use(o.out, o.width), use(o.gate, o.width), use(o.up, o.width); },
                           [&](const GeGlu& o) { use(o.out, o.width), use(o.gate, o.width), use(o.up, o.width); },
                           [&](const SoftCap& o) { use(o.x, o.width); },
                           [&](const RouteExperts& o) { use(o.logits, o.n_expert), use(o.out, 2 * o.params.n_expert_used); },
                           [&](const MoeFfn& o) {
                               use(o.in, set.matrices[o.gate].n_in);
                               use(o.out, set.matrices[o.down].n_out);
                               use(o.routing, 2 * o.n_expert_used);
                           },
                           [&](const SharedExpertGate& o) { use(o.x, o.width), use(o.gate, 1); },
                           [&](const Record& o) { use(o.slot, o.width); },
                           [&](const SplitHeads& o) {
                               use(o.in, 2 * o.n_heads * o.head_dim);
                               use(o.first, o.n_heads * o.head_dim), use(o.second, o.n_heads * o.head_dim);
                           },
                           [&](const RopeMulti& o) { use(o.x, o.n_heads * o.head_dim); },
                           [&](const SigmoidGate& o) { use(o.out, o.width), use(o.in, o.width), use(o.gate, o.width); },
                           [&](const CausalConv& o) { use(o.out, o.channels), use(o.in, o.channels); },
                           [&](const DeltaNet& o) {
                               const ops::DeltaNetShape& d = o.shape;
                               use(o.qkv, (2 * d.n_k_heads + d.n_v_heads) * d.head_dim);
                               use(o.alpha, d.n_v_heads), use(o.beta, d.n_v_heads);
                               use(o.out, d.n_v_heads * d.head_dim);
                           },
                           [&](const GatedRmsNorm& o) { use(o.out, o.width), use(o.in, o.width), use(o.gate, o.width); },
                           [&](const Temperature& o) { use(o.x, o.width); },
                           [&](const Slice& o) { use(o.out, o.width), use(o.in, o.in_width); },
                       },
                       op);
    };
    size(p.input, w.globals);
    for (std::size_t il = 0; il < p.layers.size(); ++il) size(p.layers[il].ops, w.layers[il]);
    size(p.output, w.globals);
}

}  // namespace

const std::vector<std::string>& forward_architectures() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const Entry& e : kBuilders) n.emplace_back(e.name);
        return n;
    }();
    return names;
}

Result<Architecture> describe_architecture(const Container& model, const model::ModelSpec& spec,
                                           std::uint64_t context_length) {
    const auto entry = std::find_if(std::begin(kBuilders), std::end(kBuilders),
                                    [&](const Entry& e) { return e.name == spec.architecture; });
    if (entry == std::end(kBuilders))
        return unsupported("architecture '" + spec.architecture + "' is not modelled by the reference forward pass");
    auto params = pass_params(model, spec, context_length);
    if (!params) return params.error();

    const TensorInfo* embd = model.find_tensor("token_embd.weight");
    if (!embd) return unsupported("tensor 'token_embd.weight' is missing");
    const std::uint64_t n_vocab = embd->ne[1];
    if (spec.n_vocab != 0 && spec.n_vocab != n_vocab)
        return unsupported(fmt::format("token_embd.weight has {} rows but the vocabulary has {} tokens", n_vocab, spec.n_vocab));

    architectures::Build b{model, spec, *params, architectures::Binder(model), {}};
    b.arch.weights.n_vocab = n_vocab;
    b.arch.weights.layers.resize(spec.n_layer);
    b.arch.program.layers.resize(spec.n_layer);
    b.arch.program.ropes.push_back(params->rope);
    entry->build(b);
    if (b.bind.error()) return *b.bind.error();
    size_slots(b.arch.program, b.arch.weights);
    return std::move(b.arch);
}

}  // namespace gguf::forward
