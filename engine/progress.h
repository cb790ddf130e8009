// Progress — what pipe tells the user while it works, on stderr.
//
// On a terminal: a live board, one line per stage of the current run with
// its status, a spinner and the elapsed time while it runs, and under it the
// bar of each running task (done/total, rate, ETA), all redrawn in place;
// lines logged meanwhile scroll above the board.  Otherwise (CI, a pipe, a
// file): plain lines, one per stage event, and a bar prints at most one line
// every few seconds plus its final state.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pipe {

class Progress {
 public:
  explicit Progress(std::FILE* out = stderr);
  // Forces terminal (live) or plain output, whatever `out` is (tests).
  Progress(std::FILE* out, bool live);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  static Progress& null();  // discards everything (tests)

  bool is_tty() const { return tty_; }
  // A line that stays ("train: epoch 3/10 loss 0.21 ...").
  void line(const std::string& text);
  // A bar for a task: `done` of `total` units; `extra` follows the numbers.
  // One bar per thread: a stage's next bar replaces its previous one.
  void bar(const std::string& label, long done, long total, const std::string& unit,
           const std::string& extra = "");
  // Clears any live bar or board from the screen (before an error message).
  void clear();

  // The stages of a run, in order, all pending: starts the board.
  void begin_stages(const std::vector<std::string>& ids);
  // A stage's new status (running | ran | cached | failed | skipped | ...).
  // `text` is the plain line for this event ("[train] ran in 3.2s"); on a
  // terminal the board shows the status instead, and a failure's text is
  // also kept above it.  Call it from the thread that runs the stage.
  void stage(const std::string& id, const std::string& status, const std::string& text);
  // The run is over: the board's final state stays on screen.
  void end_stages();

 private:
  struct StageLine {
    std::string id, status;
    std::chrono::steady_clock::time_point started;
    double seconds = -1;  // final duration, or -1 while unknown
  };
  void erase_locked();
  void draw_locked();
  void ticker();
  std::string bar_text(const std::string& label, long done, long total, const std::string& unit,
                       const std::string& extra, double elapsed, bool final) const;
  int width() const;

  std::FILE* out_;
  bool tty_;
  bool enabled_ = true;
  std::mutex mu_;
  // Terminal board.
  std::vector<StageLine> stages_;
  std::map<std::thread::id, std::string> bars_;  // live bar text per thread
  int drawn_lines_ = 0;
  unsigned tick_ = 0;
  std::thread ticker_;
  std::condition_variable wake_;
  bool stop_ = false;
  // Bar timing, per thread.
  struct BarClock {
    std::string label;
    std::chrono::steady_clock::time_point start, last_print;
  };
  std::map<std::thread::id, BarClock> clocks_;
};

std::string format_seconds(double seconds);  // "0.42s", "3m05s", "1h02m"

}  // namespace pipe
