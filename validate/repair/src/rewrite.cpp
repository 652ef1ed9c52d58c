#include "gguf/repair/rewrite.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <map>

#include "gguf/dequant.hpp"
#include "gguf/quantize.hpp"

namespace gguf::repair {
namespace {

Error rewrite_error(const std::string& tensor, std::string message) {
    return Error{ErrorCode::invalid_argument, 0, fmt::format("tensor '{}': {}", tensor, message), ""};
}

std::vector<float> as_floats(const std::vector<std::byte>& bytes) {
    std::vector<float> v(bytes.size() / sizeof(float));
    std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
    return v;
}

// The F32 values encoded as `type`, and how far the encoding is from them.
Result<std::pair<std::vector<std::byte>, RewrittenTensor>> encode(const TensorInfo& t, const TensorReplacement& r) {
    RewrittenTensor info{t.name, t.type, t.type, true, 0};
    const std::vector<float> values = as_floats(r.bytes);
    auto bytes = dequant::quantize(t.type, values, t.ne[0]);
    if (!bytes) return rewrite_error(t.name, fmt::format("cannot be encoded as {} again: {}", type_label(t.type), bytes.error().message));
    std::vector<float> back(values.size());
    dequant::decode_blocks(t.type, *bytes, ByteOrder::little, back);
    for (std::size_t i = 0; i < values.size(); ++i) {
        const bool same = std::memcmp(&values[i], &back[i], sizeof(float)) == 0;
        if (!same) {
            info.exact = false;
            info.max_abs_diff = std::max(info.max_abs_diff, static_cast<double>(std::fabs(values[i] - back[i])));
        }
    }
    return std::pair{std::move(*bytes), info};
}

}  // namespace

Result<Rewritten> rewrite_with(const Container& model, const std::vector<TensorReplacement>& replacements) {
    std::map<std::string, const TensorReplacement*> by_name;
    for (const auto& r : replacements) {
        if (!model.find_tensor(r.name)) return rewrite_error(r.name, "the model has no such tensor");
        by_name[r.name] = &r;
    }
    auto writer = writer_from(model, model.byte_order());
    if (!writer) return writer.error();
    std::vector<WriterTensor> tensors = writer->tensors();
    writer->clear_tensors();
    std::vector<RewrittenTensor> rewritten;
    for (WriterTensor& wt : tensors) {
        auto it = by_name.find(wt.name);
        if (it != by_name.end()) {
            const TensorReplacement& r = *it->second;
            const TensorInfo& info = *model.find_tensor(r.name);
            if (r.type == info.type || r.type != static_cast<std::uint32_t>(TypeId::F32)) {
                // The tensor's own blocks reordered, or the same bytes under another type: as they are.
                wt.type = r.type;
                wt.data = r.bytes;
                rewritten.push_back({r.name, info.type, r.type, true, 0});
            } else {
                auto enc = encode(info, r);
                if (!enc) return enc.error();
                wt.data = std::move(enc->first);
                rewritten.push_back(enc->second);
            }
            wt.borrowed = {};
        }
        if (auto a = writer->add_tensor(std::move(wt)); !a) return a.error();
    }
    return Rewritten{std::move(*writer), std::move(rewritten)};
}

}  // namespace gguf::repair
