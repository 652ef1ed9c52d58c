// Blocks built from per-tensor statistics, shared by the check and stats reports.
#pragma once

#include <optional>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/report/page.hpp"
#include "gguf/stats.hpp"

namespace gguf::report::detail {

// A selectable histogram of every tensor with statistics.
Block histograms_block(const std::vector<const dequant::TensorStats*>& tensors);
// The RMS of every 2-D weight in the layers, one line per tensor kind; nullopt without layers.
std::optional<Block> weight_rms_block(const std::vector<const dequant::TensorStats*>& tensors);
// Mean, min and max of each kind of norm gain across layers, with the band of the sibling rule
// (the layers' median mean |gain| divided and multiplied by `outlier_ratio`) when `model` is given
// and the ratio is positive.
std::vector<Block> norm_blocks(const std::vector<const dequant::TensorStats*>& tensors, const Container* model,
                               double outlier_ratio);
// Block scales of the quantized tensors: mean scale across layers per field and kind, a selectable
// histogram of each tensor's super-block scales and of its sub-block scale codes, and tables; a section
// with only a sentence when no tensor has block scales.
Section block_scale_section(const std::vector<const dequant::TensorStats*>& tensors);

}  // namespace gguf::report::detail
