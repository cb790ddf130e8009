// The stage job's batch script, run here with bash (no scheduler needed):
// the exit record for success, failure and SIGTERM.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cluster/command.h"
#include "cluster/job_script.h"
#include "tests/temp_folder.h"

using namespace pipe::cluster;

namespace {

nlohmann::json run_script(const std::string& dir, const std::vector<std::string>& command, double timeout = 30,
                          CommandResult* result = nullptr) {
  std::string record = dir + "/exit.json";
  std::string script = dir + "/job.sh";
  std::ofstream(script) << job_script(command, record);
  ProcessRunner runner;
  CommandResult r = runner.run({"bash", script}, timeout);
  if (result) *result = r;
  std::ifstream in(record);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

}  // namespace

TEST_CASE("shell quoting keeps every character", "[cluster]") {
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  ProcessRunner runner;
  CHECK(runner.run({"bash", "-c", "printf %s " + shell_quote("$x 'y' \"z\"")}).out == "$x 'y' \"z\"");
}

TEST_CASE("the exit record of a job that succeeds and of one that fails", "[cluster]") {
  pipe::testing::TempFolder dir;
  CommandResult r;
  auto ok = run_script(dir.path(), {"true"}, 30, &r);
  CHECK(r.exit_code == 0);
  CHECK(ok["exit_code"] == 0);
  CHECK(ok["signal"] == 0);
  CHECK(ok["restart"] == 0);
  CHECK_FALSE(ok["node"].get<std::string>().empty());
  auto bad = run_script(dir.path(), {"sh", "-c", "exit 4"}, 30, &r);
  CHECK(r.exit_code == 4);
  CHECK(bad["exit_code"] == 4);
}

TEST_CASE("SIGTERM reaches the stage, and the record says so", "[cluster]") {
  pipe::testing::TempFolder dir;
  std::string record = dir.path() + "/exit.json";
  std::string script = dir.path() + "/job.sh";
  // The "stage" notes that it was asked to stop, then exits 143 as pipe does.
  std::string stage = "trap 'echo stopped > " + dir.path() + "/stopped; exit 143' TERM; sleep 20 & wait";
  std::ofstream(script) << job_script({"bash", "-c", stage}, record);
  ProcessRunner runner;
  CommandResult r = runner.run({"bash", "-c", "bash " + script + " & p=$!; sleep 1; kill -TERM $p; wait $p"}, 30);
  std::ifstream in(record);
  std::stringstream ss;
  ss << in.rdbuf();
  auto rec = nlohmann::json::parse(ss.str());
  CHECK(rec["signal"] == 15);
  CHECK(rec["exit_code"] == 143);
  std::ifstream stopped(dir.path() + "/stopped");
  CHECK(stopped.good());
}
