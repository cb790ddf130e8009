// What Slurm 22.05's clients print, read back; and the sbatch command lines.
#include <catch2/catch.hpp>

#include "cluster/slurm_scheduler.h"
#include "engine/error.h"

using namespace pipe::cluster;

namespace {

// Answers each client from a table, and records what was asked.
class ScriptedRunner : public CommandRunner {
 public:
  CommandResult run(const std::vector<std::string>& argv, double) override {
    calls.push_back(argv);
    auto it = answers.find(argv[0]);
    if (it == answers.end()) return CommandResult{127, 0, false, "", argv[0] + ": not found"};
    return it->second;
  }
  std::map<std::string, CommandResult> answers;
  std::vector<std::vector<std::string>> calls;
};

}  // namespace

TEST_CASE("job states in Slurm's words", "[cluster]") {
  CHECK(parse_job_state("PENDING") == JobState::kPending);
  CHECK(parse_job_state("COMPLETING") == JobState::kRunning);
  CHECK(parse_job_state("CANCELLED by 0") == JobState::kCancelled);
  CHECK(parse_job_state("OUT_OF_MEMORY") == JobState::kOutOfMemory);
  CHECK(parse_job_state("TIMEOUT") == JobState::kTimeout);
  CHECK(parse_job_state("NODE_FAIL") == JobState::kNodeFail);
  CHECK(parse_job_state("PREEMPTED") == JobState::kPreempted);
  CHECK(parse_job_state("whatever") == JobState::kUnknown);
  CHECK(std::string(job_state_name(JobState::kOutOfMemory)) == "OUT_OF_MEMORY");
  CHECK(is_final(JobState::kTimeout));
  CHECK_FALSE(is_final(JobState::kRequeued));
}

TEST_CASE("squeue lines", "[cluster]") {
  auto jobs = parse_squeue("4|RUNNING|vm|None\n3|FAILED|vm|NonZeroExitCode\n5|PENDING||Priority\n\n");
  REQUIRE(jobs.size() == 3);
  CHECK(jobs["4"].state == JobState::kRunning);
  CHECK(jobs["4"].node == "vm");
  CHECK(jobs["4"].reason.empty());
  CHECK(jobs["3"].reason == "NonZeroExitCode");
  CHECK(jobs["5"].node.empty());
}

TEST_CASE("scontrol's one-line job record", "[cluster]") {
  JobStatus s = parse_scontrol_job(
      "JobId=3 JobName=pipe/test/abc UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) "
      "Requeue=1 Restarts=2 BatchFlag=1 Reboot=0 ExitCode=3:0 NodeList=vm BatchHost=vm");
  CHECK(s.state == JobState::kFailed);
  CHECK(s.exit_code == 3);
  CHECK(s.signal == 0);
  CHECK(s.restarts == 2);
  CHECK(s.node == "vm");
  CHECK(s.reason == "NonZeroExitCode");
  CHECK(parse_scontrol_job("slurm_load_jobs error: Invalid job id specified").state == JobState::kUnknown);
}

TEST_CASE("sacct lines", "[cluster]") {
  JobStatus s = parse_sacct("12|TIMEOUT|0:15|n3\n13|COMPLETED|0:0|n1\n", "12");
  CHECK(s.state == JobState::kTimeout);
  CHECK(s.signal == 15);
  CHECK(s.node == "n3");
  CHECK(parse_sacct("", "12").state == JobState::kUnknown);
}

TEST_CASE("sbatch gets the job's name, log, resources and the user's options", "[cluster]") {
  ScriptedRunner runner;
  runner.answers["sbatch"] = {0, 0, false, "42;cluster\n", ""};
  SlurmScheduler slurm(runner);
  JobRequest r;
  r.name = "pipe/train/1a2b3c";
  r.script = "/r/jobs/x/job.sh";
  r.log = "/r/jobs/x/slurm.log";
  r.work_dir = "/r/jobs/x";
  r.resources = {2, "4G", 90};
  r.partition = "short";
  r.account = "lab";
  r.extra_args = {"--qos=short"};
  CHECK(slurm.submit(r) == "42");
  REQUIRE(runner.calls.size() == 1);
  CHECK(runner.calls[0] == std::vector<std::string>{
                               "sbatch", "--parsable", "--job-name=pipe/train/1a2b3c", "--output=/r/jobs/x/slurm.log",
                               "--open-mode=append", "--requeue", "--cpus-per-task=2", "--chdir=/r/jobs/x",
                               "--mem=4G", "--time=1:30:00", "--partition=short", "--account=lab", "--qos=short",
                               "/r/jobs/x/job.sh"});
}

TEST_CASE("a rejected submission carries sbatch's own message", "[cluster]") {
  ScriptedRunner runner;
  runner.answers["sbatch"] = {1, 0, false, "", "sbatch: error: invalid partition specified: nope\n"};
  SlurmScheduler slurm(runner);
  JobRequest r;
  r.name = "pipe/train/1a2b3c";
  try {
    slurm.submit(r);
    FAIL("no error");
  } catch (const pipe::Error& e) {
    CHECK(e.format() == "pipe: error: pipe/train/1a2b3c: sbatch: sbatch: error: invalid partition specified: nope");
  }
}

TEST_CASE("one squeue call; scontrol for jobs that left the queue; sacct only while it works", "[cluster]") {
  ScriptedRunner runner;
  runner.answers["squeue"] = {0, 0, false, "7|RUNNING|vm|None\n", ""};
  runner.answers["scontrol"] = {1, 0, false, "", "slurm_load_jobs error: Invalid job id specified\n"};
  runner.answers["sacct"] = {1, 0, false, "", "Slurm accounting storage is disabled\n"};
  SlurmScheduler slurm(runner);
  PollResult r = slurm.poll({"7", "8"});
  CHECK(r.ok);
  CHECK(r.jobs.size() == 1);
  CHECK(r.jobs["7"].state == JobState::kRunning);
  CHECK(runner.calls.size() == 3);  // squeue, scontrol 8, sacct 8
  runner.calls.clear();
  r = slurm.poll({"7", "8"});
  CHECK(runner.calls.size() == 2);  // sacct is not asked again
  CHECK(slurm.squeue_calls() == 2);
}

TEST_CASE("a controller that does not answer makes the poll not ok", "[cluster]") {
  ScriptedRunner runner;
  runner.answers["squeue"] = {1, 0, false, "", "slurm_load_jobs error: Unable to contact slurm controller\n"};
  SlurmScheduler slurm(runner);
  PollResult r = slurm.poll({"7"});
  CHECK_FALSE(r.ok);
  CHECK(r.error == "squeue: slurm_load_jobs error: Unable to contact slurm controller");
}

TEST_CASE("slurm time limits", "[cluster]") {
  CHECK(slurm_time(30) == "0:30:00");
  CHECK(slurm_time(90) == "1:30:00");
}
