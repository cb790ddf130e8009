// SlurmScheduler and JobTracker against the real one-node cluster of
// tests/slurm/cluster.sh (`make test-slurm` starts it and sets SLURM_CONF).
// Jobs here are tiny shell scripts: these tests are about the scheduler, not
// about pipe's stages.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "cluster/job_tracker.h"
#include "cluster/slurm_scheduler.h"
#include "engine/error.h"
#include "tests/temp_folder.h"

using namespace pipe::cluster;

namespace {

bool cluster_up() {
  static bool up = std::getenv("SLURM_CONF") != nullptr && ProcessRunner().run({"sinfo", "-h"}, 20).ok();
  return up;
}

// A batch script that runs `body` and writes the exit record the way pipe's
// job wrapper does.
std::string write_script(const std::string& dir, const std::string& name, const std::string& body) {
  std::string path = dir + "/" + name + ".sh";
  std::ofstream out(path);
  out << "#!/bin/bash\n"
      << "record() { rc=$?; printf '{\"exit_code\": %d, \"node\": \"%s\", \"restart\": %d}' \"$rc\" "
         "\"$(hostname -s)\" \"${SLURM_RESTART_COUNT:-0}\" > "
      << dir << "/" << name << ".exit.json.tmp && mv " << dir << "/" << name << ".exit.json.tmp " << dir << "/"
      << name << ".exit.json; }\n"
      << "trap record EXIT\n"
      << body << "\n";
  return path;
}

JobRequest request(const std::string& dir, const std::string& name, const std::string& body) {
  JobRequest r;
  r.name = "pipe/test/" + name;
  r.script = write_script(dir, name, body);
  r.log = dir + "/" + name + ".log";
  r.work_dir = dir;
  return r;
}

std::vector<JobEvent> wait_all(JobTracker& tracker, double seconds) {
  std::vector<JobEvent> all;
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!tracker.idle() && std::chrono::steady_clock::now() < until) {
    for (auto& e : tracker.poll()) all.push_back(e);
    if (!tracker.idle()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return all;
}

// A scheduler, a tracker and a folder for one test's jobs.
struct Cluster {
  pipe::testing::TempFolder dir;
  ProcessRunner runner;
  SlurmScheduler slurm{runner};
  pipe::RealDisk disk;
  JobTracker tracker{slurm, disk};
  Cluster() {
    if (!cluster_up()) FAIL("no Slurm cluster: run `make test-slurm`");
  }
  std::string submit(const std::string& name, const std::string& body) {
    JobRequest r = request(dir.path(), name, body);
    std::string id = slurm.submit(r);
    tracker.track(id, dir.path() + "/" + name + ".exit.json", r.log);
    return id;
  }
};

const JobEvent* ended(const std::vector<JobEvent>& events, const std::string& id) {
  for (const auto& e : events)
    if (e.kind == JobEvent::kEnded && e.id == id) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("two one-CPU jobs run side by side and end completed", "[slurm]") {
  Cluster c;
  const std::string& dir = c.dir.path();
  std::vector<std::string> ids;
  for (std::string name : {"a", "b"})
    ids.push_back(c.submit(name, "date +%s.%N > " + dir + "/" + name + ".start; sleep 3; date +%s.%N > " + dir + "/" +
                                     name + ".end"));
  auto events = wait_all(c.tracker, 90);
  REQUIRE(c.tracker.idle());
  for (const auto& id : ids) {
    const JobEvent* e = ended(events, id);
    REQUIRE(e);
    CHECK(e->end.ok());
    CHECK_FALSE(e->end.node.empty());
  }
  auto read_time = [&](const std::string& f) {
    std::ifstream in(dir + "/" + f);
    double t = 0;
    in >> t;
    return t;
  };
  // Overlap: each started before the other ended.
  CHECK(read_time("a.start") < read_time("b.end"));
  CHECK(read_time("b.start") < read_time("a.end"));
}

TEST_CASE("a failing job ends FAILED with its exit code and log tail", "[slurm]") {
  Cluster c;
  std::string id = c.submit("bad", "echo 'pipe: error: something broke'; exit 3");
  auto events = wait_all(c.tracker, 60);
  const JobEvent* e = ended(events, id);
  REQUIRE(e);
  CHECK(e->end.summary() == "FAILED (exit code 3; NonZeroExitCode)");
  REQUIRE_FALSE(e->end.log_tail.empty());
  CHECK(e->end.log_tail.back() == "pipe: error: something broke");
}

TEST_CASE("scancel of a running job ends it CANCELLED", "[slurm]") {
  Cluster c;
  std::string id = c.submit("long", "sleep 120");
  bool started = false;
  for (int k = 0; k < 60 && !started; ++k) {
    for (auto& e : c.tracker.poll()) started = started || e.kind == JobEvent::kStarted;
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  REQUIRE(started);
  c.slurm.cancel({id});
  auto events = wait_all(c.tracker, 60);
  const JobEvent* e = ended(events, id);
  REQUIRE(e);
  CHECK(e->end.state == JobState::kCancelled);
}

TEST_CASE("a partition Slurm does not have is refused before anything is submitted", "[slurm]") {
  Cluster c;
  JobRequest r = request(c.dir.path(), "x", "true");
  r.partition = "nope";
  try {
    c.slurm.check(r);
    FAIL("no error");
  } catch (const pipe::Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(e.format() ==
          "pipe: error: --executor slurm: Slurm rejects the job settings: sbatch: error: invalid partition "
          "specified: nope; allocation failure: Invalid partition name specified\n"
          "  check --partition, --account and --slurm-arg (sinfo lists the partitions)");
  }
}
