// SlurmScheduler — Scheduler on Slurm's command-line clients.
//
//   submit   sbatch --parsable (name, log with --open-mode=append so a requeued
//            job keeps its earlier lines, --requeue, resources, partition,
//            account, the user's --slurm-arg options)
//   poll     one `squeue --me --states=all` for every job at once; a job the
//            queue no longer lists is asked of `scontrol show job` (it knows
//            jobs for MinJobAge after they end), then of `sacct` while
//            accounting works (a cluster without accounting storage answers
//            "Slurm accounting storage is disabled": sacct is not asked again)
//   cancel   scancel
//   check    the clients are on PATH and `sbatch --test-only` accepts the
//            partition, account and options, so nothing is submitted with
//            settings Slurm would reject
//
// The parse_* functions read the clients' outputs; they are separate so the
// tests can feed them what Slurm 22.05 prints.
#pragma once

#include <string>
#include <vector>

#include "cluster/command.h"
#include "cluster/scheduler.h"

namespace pipe::cluster {

class SlurmScheduler : public Scheduler {
 public:
  explicit SlurmScheduler(CommandRunner& runner) : runner_(runner) {}

  std::string name() const override { return "slurm"; }
  void check(const JobRequest& example) override;
  std::string submit(const JobRequest& request) override;
  PollResult poll(const std::vector<std::string>& ids) override;
  void cancel(const std::vector<std::string>& ids) override;

  // How many times each client was called (the bench and tests count them).
  int squeue_calls() const { return squeue_calls_; }

 private:
  std::vector<std::string> sbatch_args(const JobRequest& request) const;
  CommandRunner& runner_;
  bool sacct_works_ = true;
  int squeue_calls_ = 0;
};

// `squeue -h -o '%i|%T|%N|%r'` lines → status by job id.
std::map<std::string, JobStatus> parse_squeue(const std::string& text);
// `scontrol -o show job ID` (one line of Key=Value pairs) → status; kUnknown
// when the text is not a job.
JobStatus parse_scontrol_job(const std::string& text);
// `sacct -n -P -X -o JobID,State,ExitCode,NodeList -j ID` → status of ID.
JobStatus parse_sacct(const std::string& text, const std::string& id);
// "3:0" → exit code 3, signal 0.
void parse_exit_code(const std::string& text, JobStatus* status);
// Minutes as Slurm's --time wants them: "90" → "1:30:00".
std::string slurm_time(int minutes);

}  // namespace pipe::cluster
