// JobTracker — the driver's view of its cluster jobs: which are queued,
// running, requeued or ended, and how each ended.
//
// Each poll() makes one status query for all unfinished jobs.  A job's end is
// decided, in order, by the scheduler's record (state, exit code, node), by
// the job's own exit record (a JSON file the job writes as it ends: exit_code,
// signal, node, restart), and by the scheduler's lines in the job's log
// ("*** JOB 12 ON n1 CANCELLED AT ... DUE TO TIME LIMIT ***").  A job that
// is missing from an answer is never submitted again: it is asked about
// again at the next poll, and only a job that no source has known for
// `vanish_after` polls in a row ends as failed ("vanished").  An answer the
// scheduler could not give (ok = false) judges nothing.
#pragma once

#include <string>
#include <vector>

#include "cluster/scheduler.h"
#include "engine/disk.h"

namespace pipe::cluster {

struct JobEnd {
  JobState state = JobState::kUnknown;  // kCompleted, or why it failed
  int exit_code = -1;
  int signal = 0;
  std::string node;
  std::string detail;                   // the scheduler's reason, or how the end was found
  std::vector<std::string> log_tail;    // last lines of the job's log when it failed
  bool ok() const { return state == JobState::kCompleted && exit_code <= 0 && signal == 0; }
  // "TIMEOUT (exit code 0, signal 15; TimeLimit)" and the like.
  std::string summary() const;
};

struct JobEvent {
  enum Kind { kStarted, kRequeued, kEnded } kind;
  std::string id;
  std::string node;  // kStarted
  JobEnd end;        // kEnded
};

class JobTracker {
 public:
  JobTracker(Scheduler& scheduler, const Disk& disk, int vanish_after = 20, int log_lines = 20)
      : scheduler_(scheduler), disk_(disk), vanish_after_(vanish_after), log_lines_(log_lines) {}

  // Follows a submitted job (or one found again after a restart of the driver).
  void track(const std::string& id, const std::string& exit_record, const std::string& log);
  // One status query; what changed since the last one.
  std::vector<JobEvent> poll();
  // Jobs not yet ended.
  std::vector<std::string> active() const;
  bool idle() const { return active().empty(); }
  const std::string& last_error() const { return last_error_; }

 private:
  struct Job {
    std::string id, exit_record, log;
    JobState seen = JobState::kUnknown;
    std::string node;
    int restarts = 0;
    int unknown_polls = 0;
    bool ended = false;
  };
  bool read_exit_record(const Job& job, JobEnd* end) const;
  bool read_log_verdict(const Job& job, JobEnd* end) const;
  std::vector<std::string> log_tail(const Job& job) const;
  JobEvent finish(Job& job, JobEnd end);

  Scheduler& scheduler_;
  const Disk& disk_;
  int vanish_after_;
  int log_lines_;
  std::vector<Job> jobs_;
  std::string last_error_;
};

}  // namespace pipe::cluster
