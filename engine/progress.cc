#include "engine/posix.h"  // first: see posix.h
#include "engine/progress.h"


#include <cmath>

namespace pipe {

Progress::Progress(std::FILE* out) : out_(out), tty_(out && ::isatty(::fileno(out))) {}

Progress& Progress::null() {
  static Progress p(nullptr);
  p.enabled_ = false;
  return p;
}

void Progress::clear() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_ && bar_shown_) std::fprintf(out_, "\r\033[K");
  bar_shown_ = false;
}

void Progress::line(const std::string& text) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_ && bar_shown_) std::fprintf(out_, "\r\033[K");
  bar_shown_ = false;
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

void Progress::bar(const std::string& label, long done, long total, const std::string& unit,
                   const std::string& extra) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (label != bar_label_ || done == 0) {
    bar_label_ = label;
    bar_start_ = now;
    last_print_ = now - std::chrono::hours(1);
  }
  bool final = done >= total;
  double since_print = std::chrono::duration<double>(now - last_print_).count();
  if (!final && since_print < (tty_ ? 0.1 : 5.0)) return;
  last_print_ = now;
  double elapsed = std::chrono::duration<double>(now - bar_start_).count();
  double rate = elapsed > 0 ? done / elapsed : 0;
  double eta = rate > 0 ? (total - done) / rate : 0;
  char nums[160];
  std::snprintf(nums, sizeof nums, "%ld/%ld %s, %.0f %s/s, %s %s", done, total, unit.c_str(), rate,
                unit.c_str(), final ? "took" : "eta", format_seconds(final ? elapsed : eta).c_str());
  if (tty_) {
    const int width = 24;
    int filled = total > 0 ? static_cast<int>(width * static_cast<double>(done) / total) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(out_, "\r\033[K%s [%s] %s%s%s", label.c_str(), bar.c_str(), nums, extra.empty() ? "" : "  ",
                 extra.c_str());
    bar_shown_ = !final;
    if (final) std::fprintf(out_, "\n");
  } else {
    std::fprintf(out_, "%s: %s%s%s\n", label.c_str(), nums, extra.empty() ? "" : "  ", extra.c_str());
  }
  std::fflush(out_);
}

std::string format_seconds(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.2fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(std::fmod(s, 60)));
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600), static_cast<int>(std::fmod(s, 3600) / 60));
  return buf;
}

}  // namespace pipe
