// One writing pipe per results folder: a second one stops at once with exit
// code 3 and says who holds the lock, or waits with --wait.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <regex>
#include <thread>

#include "engine/error.h"
#include "engine/lock.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

TEST_CASE("the results lock is exclusive and says who holds it", "[lock]") {
  TempDir dir;
  std::string results = dir / "results";
  {
    ResultsLock first(results, 0);
    CHECK_FALSE(ResultsLock::is_free(results));
    try {
      ResultsLock second(results, 0.2);  // waits a little, then gives up
      FAIL("expected the lock to be taken");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kLocked);
      CHECK(e.exit_code() == 3);
      CHECK(e.where().empty());
      CHECK(std::regex_match(e.message(),
                             std::regex(results + "/ is still locked by pid " + std::to_string(::getpid()) +
                                        R"( \(started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\) after waiting 0.2 s)")));
      CHECK(e.hint_text() == "wait for it to finish, or give a longer --wait SECONDS");
    }
    try {
      ResultsLock third(results, 0);  // no waiting: the hint offers it
      FAIL("expected the lock to be taken");
    } catch (const Error& e) {
      CHECK(std::regex_match(e.message(), std::regex(results + "/ is locked by pid \\d+ .*")));
      CHECK(e.hint_text() == "wait for it to finish, or pass --wait SECONDS");
    }
  }
  CHECK(ResultsLock::is_free(results));
  CHECK_NOTHROW(ResultsLock(results, 0));
}

TEST_CASE("a second pipe run on the same results exits 3; with --wait it waits", "[lock][cli]") {
  TempDir dir;
  write_text(dir / "p.yaml",
             "name: slow\n"
             "stages:\n"
             "  - {id: nap, kind: sleep, seconds: 1.5}\n"
             "  - {id: after, kind: sleep, input: nap, seconds: 0}\n");
  Background first = start_cli(dir.path(), {"run", "p.yaml"}, "first");
  // Wait until the first process holds the lock and runs its first stage.
  for (int i = 0; i < 1000 && read_text(first.err_file).find("[nap] running") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(read_text(first.err_file).find("[nap] running") != std::string::npos);
  REQUIRE(read_text(dir / "results/lock").rfind("pid " + std::to_string(first.pid) + " ", 0) == 0);

  CliResult second = run_cli(dir.path(), {"run", "p.yaml"});
  CHECK(second.code == 3);
  CHECK(second.out.empty());
  CHECK(std::regex_match(second.err,
                         std::regex("pipe: error: results/ is locked by pid " + std::to_string(first.pid) +
                                    R"( \(started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)
  wait for it to finish, or pass --wait SECONDS
)")));
  // Read-only commands are not blocked, and do not disturb the running run.
  CliResult runs = run_cli(dir.path(), {"runs", "--format", "json"});
  CHECK(runs.code == 0);
  CHECK(runs.json()[0]["status"] == "running");

  CliResult waited = run_cli(dir.path(), {"run", "p.yaml", "--wait", "60"});
  CHECK(waited.code == 0);
  CliResult done = first.wait();
  CHECK(done.code == 0);
  CHECK(std::regex_match(done.out, std::regex("run [0-9a-f]{12} slow done\n")));
  CHECK(std::regex_match(waited.out, std::regex("run [0-9a-f]{12} slow#2 done\n")));
  nlohmann::json all = run_cli(dir.path(), {"runs", "--format", "json"}).json();
  REQUIRE(all.size() == 2);
  CHECK(all[0]["status"] == "done");
  CHECK(all[1]["status"] == "done");
  SQLite::Database db(dir / "results/pipe.db", SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
}
