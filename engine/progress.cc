#include "engine/posix.h"  // first: see posix.h
#include "engine/progress.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <cmath>

namespace pipe {

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

char marker(const std::string& status, unsigned tick) {
  if (status == "running") return "|/-\\"[tick % 4];
  if (status == "ran") return '*';
  if (status == "cached") return '=';
  if (status == "failed" || status == "interrupted") return '!';
  if (status == "skipped") return '-';
  return '.';
}

}  // namespace

Progress::Progress(std::FILE* out) : Progress(out, out && ::isatty(::fileno(out))) {}

Progress::Progress(std::FILE* out, bool live) : out_(out), tty_(out && live) {}

Progress::~Progress() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

Progress& Progress::null() {
  static Progress p(nullptr);
  p.enabled_ = false;
  return p;
}

int Progress::width() const {
  struct winsize ws {};
  if (out_ && ::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 100;
}

void Progress::erase_locked() {
  if (drawn_lines_ > 0) std::fprintf(out_, "\033[%dA\r\033[J", drawn_lines_);
  drawn_lines_ = 0;
}

void Progress::draw_locked() {
  std::vector<std::string> rows;
  size_t id_width = 0;
  for (const auto& s : stages_) id_width = std::max(id_width, s.id.size());
  for (const auto& s : stages_) {
    char buf[64] = "";
    if (s.status == "running")
      std::snprintf(buf, sizeof buf, "%s", format_seconds(since(s.started)).c_str());
    else if (s.seconds >= 0)
      std::snprintf(buf, sizeof buf, "%s", format_seconds(s.seconds).c_str());
    std::string row = std::string("  ") + marker(s.status, tick_) + " " + s.id +
                      std::string(id_width - s.id.size() + 2, ' ') + s.status;
    if (*buf) row += std::string(s.status.size() < 8 ? 8 - s.status.size() : 1, ' ') + buf;
    rows.push_back(row);
  }
  for (const auto& [thread, text] : bars_) rows.push_back("    " + text);
  size_t cols = static_cast<size_t>(std::max(20, width() - 1));
  for (auto& row : rows) {
    if (row.size() > cols) row.resize(cols);  // a wrapped row would break the redraw
    std::fprintf(out_, "\033[2K%s\n", row.c_str());
  }
  drawn_lines_ = static_cast<int>(rows.size());
  std::fflush(out_);
}

void Progress::ticker() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(150));
    if (stop_) break;
    bool live = !bars_.empty();
    for (const auto& s : stages_) live = live || s.status == "running";
    if (!live || drawn_lines_ == 0) continue;
    ++tick_;
    erase_locked();
    draw_locked();
  }
}

void Progress::clear() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_) erase_locked();
  std::fflush(out_);
}

void Progress::line(const std::string& text) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (!tty_) {
    std::fprintf(out_, "%s\n", text.c_str());
    std::fflush(out_);
    return;
  }
  bool board = drawn_lines_ > 0;
  erase_locked();
  std::fprintf(out_, "%s\n", text.c_str());
  if (board || !stages_.empty()) draw_locked();
  std::fflush(out_);
}

std::string Progress::bar_text(const std::string& label, long done, long total, const std::string& unit,
                               const std::string& extra, double elapsed, bool final) const {
  double rate = elapsed > 0 ? done / elapsed : 0;
  double eta = rate > 0 ? (total - done) / rate : 0;
  char nums[200];
  std::snprintf(nums, sizeof nums, "%ld/%ld %s, %.0f %s/s, %s %s", done, total, unit.c_str(), rate,
                unit.c_str(), final ? "took" : "eta", format_seconds(final ? elapsed : eta).c_str());
  std::string out = label + " ";
  if (tty_) {
    const int kWidth = 24;
    int filled = total > 0 ? static_cast<int>(kWidth * std::min(1.0, static_cast<double>(done) / total)) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    out += "[" + bar + "] ";
  } else {
    out.back() = ':';
    out += " ";
  }
  out += nums;
  if (!extra.empty()) out += "  " + extra;
  return out;
}

void Progress::bar(const std::string& label, long done, long total, const std::string& unit,
                   const std::string& extra) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  BarClock& clock = clocks_[std::this_thread::get_id()];
  if (label != clock.label || done == 0) {
    clock.label = label;
    clock.start = now;
    clock.last_print = now - std::chrono::hours(1);
  }
  bool final = done >= total;
  double since_print = std::chrono::duration<double>(now - clock.last_print).count();
  if (!final && since_print < (tty_ ? 0.1 : 5.0)) {
    if (tty_)
      bars_[std::this_thread::get_id()] =
          bar_text(label, done, total, unit, extra, since(clock.start), false);
    return;
  }
  clock.last_print = now;
  std::string text = bar_text(label, done, total, unit, extra, since(clock.start), final);
  if (!tty_) {
    std::fprintf(out_, "%s\n", text.c_str());
  } else {
    erase_locked();
    if (final) {
      bars_.erase(std::this_thread::get_id());
      std::fprintf(out_, "%s\n", text.c_str());
    } else {
      bars_[std::this_thread::get_id()] = text;
    }
    draw_locked();
  }
  std::fflush(out_);
}

void Progress::begin_stages(const std::vector<std::string>& ids) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  stages_.clear();
  for (const auto& id : ids) stages_.push_back({id, "pending", {}, -1});
  if (!tty_) return;
  if (!ticker_.joinable()) ticker_ = std::thread([this] { ticker(); });
  erase_locked();
  draw_locked();
}

void Progress::stage(const std::string& id, const std::string& status, const std::string& text) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(stages_.begin(), stages_.end(), [&](const StageLine& s) { return s.id == id; });
  if (it == stages_.end()) it = stages_.insert(stages_.end(), {id, "pending", {}, -1});
  if (status == "running")
    it->started = std::chrono::steady_clock::now();
  else if (it->status == "running")
    it->seconds = since(it->started);
  it->status = status;
  if (status != "running") bars_.erase(std::this_thread::get_id());
  if (!tty_) {
    std::fprintf(out_, "%s\n", text.c_str());
  } else {
    erase_locked();
    if (status == "failed") std::fprintf(out_, "%s\n", text.c_str());
    draw_locked();
  }
  std::fflush(out_);
}

void Progress::end_stages() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_) {
    bars_.clear();
    erase_locked();
    draw_locked();
    drawn_lines_ = 0;  // the final board stays; later output goes below it
  }
  stages_.clear();
  std::fflush(out_);
}

std::string format_seconds(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.2fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(std::fmod(s, 60)));
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600),
                  static_cast<int>(std::fmod(s, 3600) / 60));
  return buf;
}

}  // namespace pipe
