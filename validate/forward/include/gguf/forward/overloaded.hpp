// Overloaded{[](const A&) {...}, [](const B&) {...}}: one visitor from several lambdas, for std::visit
// over a program's ops (the builders, and the CPU and CUDA executors).
#pragma once

namespace gguf::forward {

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
// clang 14 does not deduce an aggregate's template arguments from its initializers (C++20 P1816) by itself.
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace gguf::forward
