// `pipe job SPEC` on the engine's fake stages: the artifact is published by
// rename, the journal carries results and errors, another version refuses.
#include <catch2/catch.hpp>

#include <fstream>

#include "cluster/job_runner.h"
#include "cluster/job_spec.h"
#include "cluster/journal.h"
#include "engine/disk.h"
#include "engine/progress.h"
#include "tests/engine/fake/fake_stages.h"
#include "tests/temp_folder.h"

using namespace pipe::cluster;
using json = nlohmann::json;

namespace {

JobSpec spec_in(const std::string& dir, const std::string& kind, json params) {
  pipe::register_builtin_stages();
  JobSpec s;
  s.pipe_version = "1.0";
  s.stage_id = "step";
  s.kind = kind;
  s.params = std::move(params);
  s.stage_mark = {"p.yaml", 3, 5};
  s.seed = 7;
  s.run = {"r1", "demo", dir};
  s.key = "k1";
  s.tmp_dir = dir + "/tmp/k1.job";
  s.artifact_dir = dir + "/artifacts/k1";
  s.work_dir = dir + "/work/k1";
  s.journal = dir + "/jobs/k1/journal.jsonl";
  return s;
}

std::string write_spec(const std::string& dir, const JobSpec& s) {
  pipe::RealDisk disk;
  disk.make_dirs(dir + "/jobs/k1");
  std::string path = dir + "/jobs/k1/spec.json";
  disk.write_file(path, to_json(s).dump());
  return path;
}

}  // namespace

TEST_CASE("a job runs its stage, publishes the artifact and journals the results", "[cluster]") {
  pipe::testing::TempFolder dir;
  pipe::RealDisk disk;
  disk.write_file(dir.path() + "/in.txt", "hello");
  JobSpec s = spec_in(dir.path(), "source", {{"path", dir.path() + "/in.txt"}});
  std::string spec = write_spec(dir.path(), s);
  CHECK(run_job(spec, "1.0", disk, pipe::Progress::null()) == 0);
  CHECK(disk.read_file(dir.path() + "/artifacts/k1/out.txt") == "hello");
  pipe::FileStat st;
  CHECK_FALSE(disk.stat(s.tmp_dir, &st));
  auto events = JournalReader(s.journal).read();
  REQUIRE(events.size() == 3);
  CHECK(events[0]["type"] == "started");
  CHECK(events[1]["type"] == "metric");
  CHECK(events[1]["name"] == "bytes");
  CHECK(events[2]["type"] == "done");
  CHECK(events[2]["metrics"]["bytes"] == 5);
}

TEST_CASE("a stage error reaches the journal whole, and nothing is published", "[cluster]") {
  pipe::testing::TempFolder dir;
  pipe::RealDisk disk;
  JobSpec s = spec_in(dir.path(), "fail", {{"message", "boom"}, {"hint", ""}, {"plain", false}});
  std::string spec = write_spec(dir.path(), s);
  CHECK(run_job(spec, "1.0", disk, pipe::Progress::null()) == 1);
  pipe::FileStat st;
  CHECK_FALSE(disk.stat(s.artifact_dir, &st));
  auto events = JournalReader(s.journal).read();
  REQUIRE(events.back()["type"] == "error");
  CHECK(pipe::Error::from_json(events.back()["error"]).line() == "stage 'step': boom");
}

TEST_CASE("a job refuses a spec written by another pipe version", "[cluster]") {
  pipe::testing::TempFolder dir;
  pipe::RealDisk disk;
  JobSpec s = spec_in(dir.path(), "source", {{"path", "x"}});
  std::string spec = write_spec(dir.path(), s);
  CHECK(run_job(spec, "2.0", disk, pipe::Progress::null()) == 2);
  auto events = JournalReader(s.journal).read();
  REQUIRE(events.size() == 1);
  pipe::Error e = pipe::Error::from_json(events[0]["error"]);
  CHECK(e.format() ==
        "pipe: error: stage 'step': this node runs pipe 2.0, the driver pipe 1.0\n"
        "  install one pipe on a prefix every node mounts (make install PREFIX=...)");
  CHECK(e.exit_code() == 2);
}

TEST_CASE("a damaged spec is a clear error", "[cluster]") {
  pipe::testing::TempFolder dir;
  pipe::RealDisk disk;
  disk.write_file(dir.path() + "/spec.json", "{\"stage_id\": 3}");
  CHECK(run_job(dir.path() + "/spec.json", "1.0", disk, pipe::Progress::null()) == 2);
}
