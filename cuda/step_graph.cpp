#include "step_graph.hpp"

#include "check.hpp"

namespace gguf::cuda {

StepGraph::~StepGraph() {
    if (exec_) cudaGraphExecDestroy(exec_);
}

void StepGraph::begin(cudaStream_t stream) {
    // Thread-local: host threads copying logits meanwhile make no CUDA calls that could join the capture.
    GGUF_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
}

void StepGraph::abandon(cudaStream_t stream) noexcept {
    cudaGraph_t graph = nullptr;
    cudaStreamEndCapture(stream, &graph);  // also ends a capture that an error invalidated
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();  // the capture's error is reported by the exception being propagated
}

void StepGraph::finish_and_launch(cudaStream_t stream) {
    cudaGraph_t graph = nullptr;
    GGUF_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
    struct Owned {
        cudaGraph_t g;
        ~Owned() { cudaGraphDestroy(g); }
    } owned{graph};
    if (exec_) {
        cudaGraphExecUpdateResultInfo info{};
        if (cudaGraphExecUpdate(exec_, graph, &info) != cudaSuccess) {
            cudaGetLastError();  // a changed topology is not an error: instantiate below
            cudaGraphExecDestroy(exec_);
            exec_ = nullptr;
        }
    }
    if (!exec_) {
        GGUF_CUDA_CHECK(cudaGraphInstantiate(&exec_, graph, 0));
        ++instantiations_;
    }
    GGUF_CUDA_CHECK(cudaGraphLaunch(exec_, stream));
    ++launches_;
}

}  // namespace gguf::cuda
