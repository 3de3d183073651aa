#include "transfer/progress.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace pochta::transfer {

namespace {

constexpr int bar_width = 30;
constexpr auto redraw_interval = std::chrono::milliseconds(200);

}  // namespace

ProgressBar::ProgressBar(std::FILE* out, std::string unit)
    : out_(out), unit_(std::move(unit)), enabled_(::isatty(::fileno(out)) != 0),
      started_(std::chrono::steady_clock::now()), last_(started_ - redraw_interval) {}

void ProgressBar::update(const ProgressUpdate& p) {
    const auto now = std::chrono::steady_clock::now();
    if (!enabled_ || now - last_ < redraw_interval) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - started_).count();
    const double fraction = p.total > 0 ? std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.total)) : 0;
    const int filled = static_cast<int>(fraction * bar_width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(bar_width, '.');
    const double rate = seconds > 0 ? static_cast<double>(p.messages) / seconds : 0;
    const std::string line = fmt::format("\r[{}] {:3.0f}% {}/{} {}, {} messages, {:.0f}/s ", bar, fraction * 100,
                                         p.done, p.total, unit_, p.messages, rate);
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
    drawn_ = true;
}

void ProgressBar::finish() {
    if (drawn_) std::fputs("\n", out_);
    drawn_ = false;
}

}  // namespace pochta::transfer
