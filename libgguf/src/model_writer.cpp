// Whole-model writes: copying a parsed model into a writer, and writing a model as split shards.
#include <cstdio>
#include <limits>

#include "gguf/container.hpp"
#include "gguf/writer.hpp"

namespace gguf {
namespace {

// The keys llama.cpp's gguf-split adds to every shard (LLM_KV_SPLIT_*).
constexpr std::string_view kSplitNo = "split.no";
constexpr std::string_view kSplitCount = "split.count";
constexpr std::string_view kSplitTensorsCount = "split.tensors.count";

bool is_split_key(std::string_view key) { return key == kSplitNo || key == kSplitCount || key == kSplitTensorsCount; }

WriterTensor borrow(const WriterTensor& t) {
    WriterTensor b{t.name, t.type, t.ne, {}};
    b.borrowed = t.bytes();
    b.borrowed_order = t.bytes_order();
    return b;
}

}  // namespace

Result<Writer> writer_from(const Container& model, ByteOrder order) {
    Writer w(order);  // a non-default alignment arrives with the model's general.alignment key
    for (const auto& e : model.metadata()) {
        // Readers use the first of duplicated keys; so does the copy.
        if (is_split_key(e.key) || w.find(e.key)) continue;
        w.set(e.key, e.value);
    }
    for (const auto& t : model.tensors()) {
        auto view = model.view(t);
        if (!view) return view.error();
        WriterTensor wt{t.name, t.type, {t.ne.begin(), t.ne.begin() + t.n_dims}, {}};
        wt.borrowed = view->bytes;
        wt.borrowed_order = view->order;
        if (auto r = w.add_tensor(std::move(wt)); !r) {
            Error e = r.error();
            e.offset = t.info_offset;
            e.path = model.shards()[t.shard].path.string();
            return e;
        }
    }
    return w;
}

std::filesystem::path split_shard_path(const std::filesystem::path& prefix, std::uint64_t index, std::uint64_t count) {
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, "-%05llu-of-%05llu.gguf", static_cast<unsigned long long>(index + 1),
                  static_cast<unsigned long long>(count));
    std::filesystem::path p = prefix;
    p += suffix;
    return p;
}

Result<std::vector<SplitShard>> plan_split(const Writer& model, const SplitLimits& limits) {
    auto invalid = [](std::string m) { return Error{ErrorCode::invalid_argument, 0, std::move(m), ""}; };
    if (limits.max_tensors == 0 && limits.max_bytes == 0)
        return invalid("split: give a maximum number of tensors or a maximum size per shard");
    const auto& tensors = model.tensors();
    if (tensors.size() > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
        return invalid("split: the tensor count does not fit split.tensors.count (int32)");
    const std::uint64_t align = model.alignment();
    std::vector<SplitShard> shards(1);
    for (std::uint64_t i = 0; i < tensors.size(); ++i) {
        const std::uint64_t n = tensors[i].bytes().size();
        const std::uint64_t padded = n + (align - n % align) % align;
        SplitShard& cur = shards.back();
        const bool full = cur.n_tensors > 0 &&
                          ((limits.max_tensors && cur.n_tensors >= limits.max_tensors) ||
                           (limits.max_bytes && cur.data_bytes + padded > limits.max_bytes));
        if (full) shards.push_back({i, 0, 0});
        shards.back().n_tensors += 1;
        shards.back().data_bytes += padded;
    }
    // gguf-split stores split.no and split.count as uint16.
    if (shards.size() > std::numeric_limits<std::uint16_t>::max())
        return invalid("split: " + std::to_string(shards.size()) + " shards do not fit split.count (uint16)");
    return shards;
}

Result<std::vector<std::filesystem::path>> write_split(const Writer& model, const std::filesystem::path& prefix,
                                                        const SplitLimits& limits) {
    auto plan = plan_split(model, limits);
    if (!plan) return plan.error();
    const std::uint64_t count = plan->size();
    const std::uint64_t n_tensors = model.tensors().size();
    std::vector<std::filesystem::path> paths;
    for (std::uint64_t k = 0; k < count; ++k) {
        // Only the first shard carries the model's metadata (and so its alignment); the others use the
        // default alignment, as gguf-split's shards do.
        Writer shard(model.byte_order());
        if (k == 0)
            for (const auto& [key, value] : model.metadata())
                if (!is_split_key(key)) shard.set(key, value);
        shard.set(kSplitNo, Value::u16(static_cast<std::uint16_t>(k)));
        shard.set(kSplitCount, Value::u16(static_cast<std::uint16_t>(count)));
        shard.set(kSplitTensorsCount, Value::i32(static_cast<std::int32_t>(n_tensors)));
        const SplitShard& s = (*plan)[k];
        for (std::uint64_t i = s.first_tensor; i < s.first_tensor + s.n_tensors; ++i)
            if (auto r = shard.add_tensor(borrow(model.tensors()[i])); !r) return r.error();
        paths.push_back(split_shard_path(prefix, k, count));
        if (auto r = shard.write(paths.back()); !r) return r.error();
    }
    return paths;
}

Result<std::vector<std::filesystem::path>> write_split(const Writer& model, const std::filesystem::path& prefix,
                                                        std::uint64_t max_tensors_per_shard) {
    if (max_tensors_per_shard == 0)
        return Error{ErrorCode::invalid_argument, 0, "write_split: max_tensors_per_shard must be at least 1", ""};
    return write_split(model, prefix, SplitLimits{max_tensors_per_shard, 0});
}

}  // namespace gguf
