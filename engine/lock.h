// ResultsLock — one writing pipe process per results folder.
//
// An flock() on results/lock, which the kernel releases when the holder dies
// (even by kill -9), so a stale lock never needs cleaning.  The file holds
// the holder's pid and start time for the message the second process prints.
#pragma once

#include <string>

namespace pipe {

class ResultsLock {
 public:
  // Takes the lock, waiting up to wait_seconds; throws Error (kind kLocked,
  // exit code 3): "<dir>/ is locked by pid N (started <time>)".
  ResultsLock(const std::string& results_dir, double wait_seconds);
  ~ResultsLock();
  ResultsLock(const ResultsLock&) = delete;
  ResultsLock& operator=(const ResultsLock&) = delete;

  // True when nobody holds the lock right now (for read-only commands that
  // want to tidy up runs left `running` by a dead process).
  static bool is_free(const std::string& results_dir);

 private:
  int fd_ = -1;
};

}  // namespace pipe
