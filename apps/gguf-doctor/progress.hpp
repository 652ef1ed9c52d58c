// A progress bar on stderr, drawn only when stderr is a terminal. Libraries report progress through
// callbacks; only apps/ draws.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace gguf::cli {

class ProgressBar {
public:
    ProgressBar(std::string label, std::uint64_t total, bool enabled);
    ~ProgressBar();
    // Thread-safe; redraws at most ten times a second.
    void advance_to(std::uint64_t done);
    void finish();

private:
    void draw(std::uint64_t done);
    std::string label_;
    std::uint64_t total_;
    bool enabled_;
    bool finished_ = false;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point last_draw_{};
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace gguf::cli
