// Progress — what pipe tells the user while it works, on stderr.
//
// On a terminal: a live line per running task (a bar with rate and ETA)
// redrawn in place.  Otherwise (CI, a pipe, a file): plain lines, and a bar
// prints at most one line per few seconds plus its final state.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace pipe {

class Progress {
 public:
  explicit Progress(std::FILE* out = stderr);
  static Progress& null();  // discards everything (tests)

  bool is_tty() const { return tty_; }
  // A line that stays ("train: epoch 3/10 loss 0.21 ...").
  void line(const std::string& text);
  // A bar for a task: `done` of `total` units; `extra` follows the numbers.
  void bar(const std::string& label, long done, long total, const std::string& unit,
           const std::string& extra = "");
  // Clears any live bar.
  void clear();

 private:
  std::FILE* out_;
  bool tty_;
  bool enabled_ = true;
  std::mutex mu_;
  bool bar_shown_ = false;
  std::string bar_label_;
  std::chrono::steady_clock::time_point bar_start_, last_print_;
};

std::string format_seconds(double seconds);  // "0.42s", "3m05s", "1h02m"

}  // namespace pipe
