// Scheduler — the one interface pipe's driver uses to run stages as batch jobs
// on a cluster: submit a job, ask about many jobs in one call, cancel some.
//
// An implementation wraps one workload manager's clients (SlurmScheduler:
// sbatch, squeue, scontrol, sacct, scancel); the driver's state machine
// (JobTracker) and the executor see only this interface, so another
// scheduler (PBS, LSF, HTCondor) is one more implementation, and the tests
// drive the state machine with a fake.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace pipe::cluster {

// A job's state in the workload manager's words (Slurm's names).
enum class JobState {
  kUnknown,      // the scheduler does not know the job (any more)
  kPending,      // queued
  kRunning,      // running, or completing
  kRequeued,     // going back to the queue
  kSuspended,
  kCompleted,    // ended with exit code 0
  kFailed,       // non-zero exit code
  kCancelled,
  kTimeout,
  kOutOfMemory,
  kNodeFail,
  kPreempted,
  kBootFail,
  kDeadline,
};

// "PENDING", "CANCELLED by 0", "OUT_OF_MEMORY", "OOM" ... → the state; kUnknown otherwise.
JobState parse_job_state(const std::string& text);
// The Slurm name: "PENDING", "OUT_OF_MEMORY", ...
const char* job_state_name(JobState state);
// True for the states a job does not leave (completed, failed, cancelled ...).
bool is_final(JobState state);

// What one stage needs from the cluster.
struct Resources {
  int cpus = 1;
  std::string mem;       // "4G", "500M"; "" = the cluster's default
  int time_minutes = 0;  // 0 = the partition's default
};

struct JobRequest {
  std::string name;        // shown by squeue: pipe/<stage id>/<short key>
  std::string script;      // the batch script to run
  std::string log;         // the job's standard output and error (appended on requeue)
  std::string work_dir;    // the job's working directory
  Resources resources;
  std::string partition;   // "" = the default partition
  std::string account;
  std::vector<std::string> extra_args;  // passed to the submit command as they are
};

struct JobStatus {
  JobState state = JobState::kUnknown;
  std::string node;      // where it runs or ran
  std::string reason;    // the scheduler's reason (NonZeroExitCode, TimeLimit, ...)
  int exit_code = -1;    // -1 while unknown
  int signal = 0;
  int restarts = 0;      // requeues so far
};

// The answer to one status query.  `ok` false means the scheduler could not
// be asked (controller down, client timed out): no job may be judged missing
// from such an answer.
struct PollResult {
  bool ok = true;
  std::string error;
  std::map<std::string, JobStatus> jobs;  // by job id; jobs it does not know are absent
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string name() const = 0;
  // Throws pipe::Error (exit 2) when jobs could not be submitted at all with
  // these settings: clients missing, a partition or account rejected.
  virtual void check(const JobRequest& example) = 0;
  // The new job's id; throws pipe::Error with the scheduler's own message.
  virtual std::string submit(const JobRequest& request) = 0;
  // The status of the given jobs, in as few calls to the controller as the
  // scheduler allows (one, for Slurm's queue).
  virtual PollResult poll(const std::vector<std::string>& ids) = 0;
  virtual void cancel(const std::vector<std::string>& ids) = 0;
};

}  // namespace pipe::cluster
