#include "progress.hpp"

#include <cstdio>

namespace gguf::cli {

ProgressBar::ProgressBar(std::string label, std::uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && total > 0) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::advance_to(std::uint64_t done) {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (finished_ || (now - last_draw_ < std::chrono::milliseconds(100) && done < total_)) return;
    last_draw_ = now;
    draw(done);
}

void ProgressBar::draw(std::uint64_t done) {
    constexpr int width = 30;
    const double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
    const int filled = static_cast<int>(frac * width);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r%s [%.*s%*s] %3.0f%% %.1fs", label_.c_str(), filled, "##############################",
                 width - filled, "", frac * 100.0, secs);
    std::fflush(stderr);
}

void ProgressBar::finish() {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = true;
    std::fprintf(stderr, "\r\033[K");  // clear the line so the report starts clean
    std::fflush(stderr);
}

}  // namespace gguf::cli
