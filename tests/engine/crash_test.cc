// Crash tests: a stage SIGKILLs its own process half way through writing its
// artifact.  The run shows as interrupted, the store stays intact, the
// half-written folder is never taken for an artifact, and running the same
// command again keeps every finished stage.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <regex>

#include "tests/engine/helpers.h"

using namespace pipe::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> statuses(const json& show) {
  std::vector<std::string> out;
  for (const auto& s : show["stages"]) out.push_back(s["status"]);
  return out;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("a run killed mid-stage resumes and leaves the store intact", "[crash]") {
  TempDir dir;
  write_text(dir / "data.txt", "hello");
  write_text(dir / "kill-now", "");  // the crash stage kills its process while this exists
  write_text(dir / "p.yaml",
             "name: demo\n"
             "stages:\n"
             "  - {id: src, kind: source, path: data.txt}\n"
             "  - {id: a, kind: append, input: src, suffix: -a}\n"
             "  - {id: boom, kind: crash, input: a, marker: kill-now}\n"
             "  - {id: s, kind: score, input: boom}\n");
  // The marker path is relative to the run's folder, not the YAML's: it is a string.
  CliResult killed = run_cli(dir.path(), {"run", "p.yaml"});
  CHECK(killed.code == 128 + SIGKILL);
  CHECK(killed.out.empty());  // it never got to print its run line
  CHECK_FALSE(fs::exists(dir / "kill-now"));

  // Read-only commands see the run as interrupted.
  CliResult runs = run_cli(dir.path(), {"runs", "--format", "json"});
  REQUIRE(runs.code == 0);
  REQUIRE(runs.json().size() == 1);
  CHECK(runs.json()[0]["status"] == "interrupted");
  json show = run_cli(dir.path(), {"show", "demo", "--format", "json"}).json();
  CHECK(show["status"] == "interrupted");
  CHECK(statuses(show) == std::vector<std::string>{"ran", "ran", "interrupted", "skipped"});

  // The half-written folder sits in tmp/, not among the artifacts.
  CHECK(entries(dir / "results/artifacts").size() == 2);
  CHECK(entries(dir / "results/tmp").size() == 1);
  CHECK(entries(dir / "results/work").size() == 1);  // the checkpoint survives the kill
  {
    SQLite::Database db(dir / "results/pipe.db", SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    CHECK(db.execAndGet("SELECT COUNT(*) FROM results").getInt() == 2);
  }

  // The same command again: finished stages come from the cache.
  CliResult again = run_cli(dir.path(), {"run", "p.yaml"});
  INFO(again.err);
  REQUIRE(again.code == 0);
  CHECK(std::regex_match(again.out, std::regex("run [0-9a-f]{12} demo#2 done\n")));
  CHECK(again.err.find("[boom] running (previous attempt interrupted)") != std::string::npos);
  json resumed = run_cli(dir.path(), {"show", "demo", "--format", "json"}).json();
  CHECK(statuses(resumed) == std::vector<std::string>{"cached", "cached", "ran", "ran"});
  CHECK(entries(dir / "results/tmp").empty());
  CHECK(resumed["stages"][2]["metrics"]["resumed"] == 1);  // found the killed attempt's checkpoint
  CHECK(entries(dir / "results/work").empty());              // removed once the artifact is published
  auto artifacts = entries(dir / "results/artifacts");
  REQUIRE(artifacts.size() == 4);
  for (const auto& key : artifacts) CHECK(fs::exists(dir / ("results/artifacts/" + key + "/out.txt")));
  CHECK(read_text(dir / ("results/artifacts/" + resumed["stages"][2]["key"].get<std::string>() +
                         "/out.txt")) == "hello-a!");
  SQLite::Database db(dir / "results/pipe.db", SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK(db.execAndGet("SELECT COUNT(*) FROM results").getInt() == 4);
  CHECK(run_cli(dir.path(), {"runs", "--format", "json"}).json()[0]["status"] == "interrupted");
}

TEST_CASE("a killed run is marked interrupted by the next pipe run too", "[crash]") {
  TempDir dir;
  write_text(dir / "data.txt", "hello");
  write_text(dir / "kill-now", "");
  write_text(dir / "p.yaml",
             "stages:\n"
             "  - {id: src, kind: source, path: data.txt}\n"
             "  - {id: boom, kind: crash, input: src, marker: kill-now}\n");
  REQUIRE(run_cli(dir.path(), {"run", "p.yaml"}).code == 128 + SIGKILL);
  CliResult again = run_cli(dir.path(), {"run", "p.yaml"});
  CHECK(again.code == 0);
  CHECK(again.err.rfind("pipe: 1 run left running by a killed process marked interrupted\n", 0) == 0);
  json runs = run_cli(dir.path(), {"runs", "--format", "json"}).json();
  CHECK(runs[0]["status"] == "interrupted");
  CHECK(runs[1]["status"] == "done");
}
