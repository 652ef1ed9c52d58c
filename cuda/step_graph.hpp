// One generation step as a CUDA graph. A single-token step is a few hundred short kernels; launched
// one by one, the GPU waits on the host between them and the step costs the same milliseconds for a
// 0.5B and a 1.1B model. Here the step's work is captured from the stream instead of launched, and the
// executable graph of the previous step is updated in place with the new arguments (positions, cache
// rows, key counts), which is valid while the kernels and their order stay the same; when they do not
// (a cuBLAS product that picks another kernel as the cache grows), the graph is instantiated anew.
// The kernels and their arguments are exactly those of the direct launches, so results are identical.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <exception>

namespace gguf::cuda {

class StepGraph {
public:
    StepGraph() = default;
    ~StepGraph();
    StepGraph(const StepGraph&) = delete;
    StepGraph& operator=(const StepGraph&) = delete;

    // Captures what `enqueue` puts on `stream` (which must not synchronize or allocate) and launches it
    // there. An exception from `enqueue` ends the capture, discards it and propagates.
    template <class Enqueue>
    void launch(cudaStream_t stream, Enqueue&& enqueue) {
        begin(stream);
        try {
            enqueue();
        } catch (...) {
            abandon(stream);
            throw;
        }
        finish_and_launch(stream);
    }

    std::uint64_t launches() const { return launches_; }
    std::uint64_t instantiations() const { return instantiations_; }

private:
    void begin(cudaStream_t stream);
    void abandon(cudaStream_t stream) noexcept;
    void finish_and_launch(cudaStream_t stream);

    cudaGraphExec_t exec_ = nullptr;
    std::uint64_t launches_ = 0, instantiations_ = 0;
};

}  // namespace gguf::cuda
