// Eigen views of the float spans the forward pass passes around: activations are row-major
// [n_tokens][width], weights row-major [n_out][n_in].
#pragma once

#include <Eigen/Core>
#include <span>

namespace gguf::forward {

using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMajor = Eigen::Map<RowMajorMatrix>;
using ConstRowMajor = Eigen::Map<const RowMajorMatrix>;
using Vector = Eigen::Map<Eigen::VectorXf>;
using ConstVector = Eigen::Map<const Eigen::VectorXf>;

inline RowMajor map(std::span<float> s, std::size_t rows, std::size_t cols) {
    return {s.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols)};
}
inline ConstRowMajor map(std::span<const float> s, std::size_t rows, std::size_t cols) {
    return {s.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols)};
}
inline Vector map(std::span<float> s) { return {s.data(), static_cast<Eigen::Index>(s.size())}; }
inline ConstVector map(std::span<const float> s) { return {s.data(), static_cast<Eigen::Index>(s.size())}; }

}  // namespace gguf::forward
