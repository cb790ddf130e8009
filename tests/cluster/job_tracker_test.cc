// The driver's job state machine against a fake scheduler: the usual life of
// a job, transient disappearance, exit records, log verdicts, requeue, cancel.
#include <catch2/catch.hpp>

#include "cluster/job_tracker.h"
#include "tests/cluster/fake_scheduler.h"

using pipe::cluster::JobEvent;
using pipe::cluster::JobState;
using pipe::cluster::JobTracker;
using pipe::test::FakeScheduler;
using pipe::test::MemoryDisk;

namespace {

struct Fixture {
  FakeScheduler scheduler;
  MemoryDisk disk;
  JobTracker tracker{scheduler, disk, /*vanish_after=*/3, /*log_lines=*/2};
  std::string submit() {
    pipe::cluster::JobRequest r;
    r.name = "pipe/train/abc";
    std::string id = scheduler.submit(r);
    tracker.track(id, "/w/" + id + ".exit.json", "/w/" + id + ".log");
    return id;
  }
};

}  // namespace

TEST_CASE("a job goes pending, running, completed", "[cluster]") {
  Fixture f;
  std::string id = f.submit();
  REQUIRE(f.tracker.poll().empty());
  f.scheduler.jobs[id] = {JobState::kRunning, "n1", ""};
  auto events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == JobEvent::kStarted);
  CHECK(events[0].node == "n1");
  f.scheduler.jobs[id] = {JobState::kCompleted, "n1", "", 0, 0, 0};
  events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == JobEvent::kEnded);
  CHECK(events[0].end.ok());
  CHECK(events[0].end.summary() == "COMPLETED (exit code 0)");
  CHECK(f.tracker.idle());
  CHECK(f.tracker.poll().empty());
  CHECK(f.scheduler.polls == 3);  // an idle tracker asks nothing
}

TEST_CASE("one status query serves every job", "[cluster]") {
  Fixture f;
  for (int k = 0; k < 50; ++k) f.submit();
  f.tracker.poll();
  CHECK(f.scheduler.polls == 1);
}

TEST_CASE("a job missing from one answer is neither ended nor resubmitted", "[cluster]") {
  Fixture f;
  std::string id = f.submit();
  f.scheduler.hidden.insert(id);
  CHECK(f.tracker.poll().empty());
  CHECK(f.tracker.poll().empty());
  f.scheduler.hidden.clear();
  f.scheduler.jobs[id] = {JobState::kRunning, "n1", ""};
  auto events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == JobEvent::kStarted);
  CHECK(f.scheduler.submitted.size() == 1);
  CHECK(f.tracker.active() == std::vector<std::string>{id});
}

TEST_CASE("an answer the scheduler could not give judges nothing", "[cluster]") {
  Fixture f;
  std::string id = f.submit();
  f.scheduler.down = true;
  for (int k = 0; k < 10; ++k) CHECK(f.tracker.poll().empty());
  CHECK(f.tracker.last_error() == "controller down");
  CHECK_FALSE(f.tracker.idle());
}

TEST_CASE("a job the scheduler forgot ends by its exit record", "[cluster]") {
  Fixture f;
  std::string id = f.submit();
  f.scheduler.hidden.insert(id);
  f.disk.files["/w/" + id + ".exit.json"] = R"({"exit_code": 1, "signal": 0, "node": "n2", "restart": 0})";
  f.disk.files["/w/" + id + ".log"] = "epoch 1\nepoch 2\npipe: error: stage 'train': loss is NaN\n";
  auto events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].end.state == JobState::kFailed);
  CHECK(events[0].end.summary() == "FAILED (exit code 1; from the job's exit record)");
  CHECK(events[0].end.node == "n2");
  CHECK(events[0].end.log_tail == std::vector<std::string>{"epoch 2", "pipe: error: stage 'train': loss is NaN"});
}

TEST_CASE("a forgotten job without an exit record ends by Slurm's line in its log", "[cluster]") {
  Fixture f;
  std::string id = f.submit();
  f.scheduler.hidden.insert(id);
  f.disk.files["/w/" + id + ".log"] =
      "epoch 1\nslurmstepd: error: *** JOB " + id + " ON n1 CANCELLED AT 2026-12-06T05:02:25 DUE TO TIME LIMIT ***\n";
  auto events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].end.summary() == "TIMEOUT (from the job's log)");
}

TEST_CASE("a job nobody knows any more ends as vanished after a few polls", "[cluster]") {
  Fixture f;
  std::string id = f.submit();
  f.scheduler.hidden.insert(id);
  CHECK(f.tracker.poll().empty());
  CHECK(f.tracker.poll().empty());
  auto events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].end.summary() ==
        "FAILED (vanished: fake no longer knows job " + id + " and it left no exit record)");
  CHECK(f.scheduler.submitted.size() == 1);
}

TEST_CASE("a requeued job is followed under the same id, and an old exit record does not end it", "[cluster]") {
  Fixture f;
  std::string id = f.submit();
  f.scheduler.jobs[id] = {JobState::kRunning, "n1", ""};
  f.tracker.poll();
  // The first attempt wrote its record as it was stopped, then Slurm requeued it.
  f.disk.files["/w/" + id + ".exit.json"] = R"({"exit_code": 0, "signal": 15, "node": "n1", "restart": 0})";
  f.scheduler.jobs[id] = {JobState::kPending, "", "BeginTime", -1, 0, 1};
  auto events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == JobEvent::kRequeued);
  f.scheduler.hidden.insert(id);  // a moment between queue and start
  CHECK(f.tracker.poll().empty());
  f.scheduler.hidden.clear();
  f.scheduler.jobs[id] = {JobState::kRunning, "n1", "", -1, 0, 1};
  events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == JobEvent::kStarted);
  f.scheduler.jobs[id] = {JobState::kCompleted, "n1", "", 0, 0, 1};
  events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].end.ok());
}

TEST_CASE("a cancelled job ends with CANCELLED and its log tail", "[cluster]") {
  Fixture f;
  std::string id = f.submit();
  f.scheduler.jobs[id] = {JobState::kRunning, "n1", ""};
  f.tracker.poll();
  f.scheduler.cancel({id});
  f.scheduler.jobs[id].exit_code = 0;
  f.scheduler.jobs[id].signal = 15;
  f.disk.files["/w/" + id + ".log"] = "a\nb\nc\n";
  auto events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].end.summary() == "CANCELLED (signal 15)");
  CHECK(events[0].end.log_tail == std::vector<std::string>{"b", "c"});
}

TEST_CASE("Slurm says COMPLETED but the job's record says it failed", "[cluster]") {
  Fixture f;
  std::string id = f.submit();
  f.disk.files["/w/" + id + ".exit.json"] = R"({"exit_code": 2, "node": "n1", "restart": 0})";
  f.scheduler.jobs[id] = {JobState::kCompleted, "n1", "", 0, 0, 0};
  auto events = f.tracker.poll();
  REQUIRE(events.size() == 1);
  CHECK(events[0].end.summary() == "FAILED (exit code 2; from the job's exit record)");
}
