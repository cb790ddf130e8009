#include "cluster/job_tracker.h"

#include <sstream>

#include <nlohmann/json.hpp>

namespace pipe::cluster {

using json = nlohmann::json;

std::string JobEnd::summary() const {
  std::string s = job_state_name(state);
  std::string inner;
  if (signal > 0) inner = "signal " + std::to_string(signal);
  else if (exit_code >= 0) inner = "exit code " + std::to_string(exit_code);
  if (!detail.empty()) inner += (inner.empty() ? "" : "; ") + detail;
  return inner.empty() ? s : s + " (" + inner + ")";
}

void JobTracker::track(const std::string& id, const std::string& exit_record, const std::string& log) {
  for (const auto& j : jobs_)
    if (j.id == id) return;
  Job j;
  j.id = id;
  j.exit_record = exit_record;
  j.log = log;
  jobs_.push_back(std::move(j));
}

std::vector<std::string> JobTracker::active() const {
  std::vector<std::string> ids;
  for (const auto& j : jobs_)
    if (!j.ended) ids.push_back(j.id);
  return ids;
}

bool JobTracker::read_exit_record(const Job& job, JobEnd* end) const {
  FileStat st;
  if (job.exit_record.empty() || !disk_.stat(job.exit_record, &st) || st.is_dir) return false;
  json r;
  try {
    r = json::parse(disk_.read_file(job.exit_record));
  } catch (...) {
    return false;  // half-written by a dying job: the scheduler or the log decides
  }
  // A record left by an attempt before a requeue does not end the job.
  if (r.value("restart", 0) < job.restarts) return false;
  end->exit_code = r.value("exit_code", -1);
  end->signal = r.value("signal", 0);
  end->node = r.value("node", std::string());
  end->state = end->exit_code == 0 && end->signal == 0 ? JobState::kCompleted : JobState::kFailed;
  end->detail = "from the job's exit record";
  return true;
}

std::vector<std::string> JobTracker::log_tail(const Job& job) const {
  std::vector<std::string> lines;
  FileStat st;
  if (job.log.empty() || !disk_.stat(job.log, &st) || st.is_dir) return lines;
  std::string text;
  try {
    text = disk_.read_file(job.log);
  } catch (...) {
    return lines;
  }
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > log_lines_) lines.erase(lines.begin());
  }
  return lines;
}

bool JobTracker::read_log_verdict(const Job& job, JobEnd* end) const {
  // slurmstepd: error: *** JOB 12 ON n1 CANCELLED AT 2026-12-06T05:02:25 DUE TO TIME LIMIT ***
  for (const auto& line : log_tail(job)) {
    if (line.find("*** JOB " + job.id + " ") == std::string::npos &&
        line.find("*** STEP " + job.id + ".") == std::string::npos)
      continue;
    if (line.find("DUE TO TIME LIMIT") != std::string::npos) end->state = JobState::kTimeout;
    else if (line.find("DUE TO PREEMPTION") != std::string::npos) end->state = JobState::kPreempted;
    else if (line.find("DUE TO NODE FAILURE") != std::string::npos) end->state = JobState::kNodeFail;
    else if (line.find("CANCELLED") != std::string::npos) end->state = JobState::kCancelled;
    else continue;
    end->detail = "from the job's log";
    return true;
  }
  for (const auto& line : log_tail(job))
    if (line.find("oom-kill") != std::string::npos || line.find("Out Of Memory") != std::string::npos) {
      end->state = JobState::kOutOfMemory;
      end->detail = "from the job's log";
      return true;
    }
  return false;
}

JobEvent JobTracker::finish(Job& job, JobEnd end) {
  job.ended = true;
  if (end.node.empty()) end.node = job.node;
  if (!end.ok()) end.log_tail = log_tail(job);
  return JobEvent{JobEvent::kEnded, job.id, end.node, std::move(end)};
}

std::vector<JobEvent> JobTracker::poll() {
  std::vector<JobEvent> events;
  std::vector<std::string> ids = active();
  if (ids.empty()) return events;
  PollResult answer = scheduler_.poll(ids);
  last_error_ = answer.ok ? "" : answer.error;
  for (auto& job : jobs_) {
    if (job.ended) continue;
    auto it = answer.jobs.find(job.id);
    if (it != answer.jobs.end()) {
      const JobStatus& s = it->second;
      job.unknown_polls = 0;
      if (!s.node.empty()) job.node = s.node;
      bool was_running = job.seen == JobState::kRunning;
      if (s.restarts > job.restarts || (was_running && (s.state == JobState::kPending ||
                                                        s.state == JobState::kRequeued))) {
        job.restarts = std::max(s.restarts, job.restarts + 1);
        events.push_back({JobEvent::kRequeued, job.id, job.node, {}});
      } else if (s.state == JobState::kRunning && job.seen != JobState::kRunning) {
        events.push_back({JobEvent::kStarted, job.id, job.node, {}});
      }
      job.seen = s.state;
      if (is_final(s.state)) {
        JobEnd end;
        end.state = s.state;
        end.exit_code = s.exit_code;
        end.signal = s.signal;
        end.node = s.node;
        end.detail = s.reason;
        // Slurm calls a job COMPLETED by its batch script's exit status; the
        // job's own record is more precise when it disagrees.
        JobEnd record;
        if (s.state == JobState::kCompleted && read_exit_record(job, &record) && !record.ok()) end = record;
        events.push_back(finish(job, end));
      }
      continue;
    }
    // Unknown to the scheduler in this answer.
    JobEnd end;
    if (read_exit_record(job, &end) || read_log_verdict(job, &end)) {
      events.push_back(finish(job, end));
      continue;
    }
    if (!answer.ok) continue;  // no answer is not an absence
    if (++job.unknown_polls >= vanish_after_) {
      end.state = JobState::kFailed;
      end.detail = "vanished: " + scheduler_.name() + " no longer knows job " + job.id +
                   " and it left no exit record";
      events.push_back(finish(job, end));
    }
  }
  return events;
}

}  // namespace pipe::cluster
