// The results database: WAL and busy timeout, schema version, run names and
// lookups, transactions, and runs left behind by killed processes.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "engine/error.h"
#include "engine/store.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

namespace {

RunRecord new_run(Store& store, const std::string& name, int pid = 0) {
  RunRecord r;
  r.base_name = name;
  r.status = "running";
  r.started = now_seconds();
  r.pid = pid ? pid : static_cast<int>(::getpid());
  return store.create_run(r);
}

StageRunRecord stage_run(const std::string& run_id, const std::string& stage, const std::string& status,
                         int position) {
  StageRunRecord s;
  s.run_id = run_id;
  s.stage_id = stage;
  s.kind = "fake";
  s.key = "key-" + stage;
  s.status = status;
  s.position = position;
  return s;
}

// A pid that no process has: a child that has exited and been reaped.
int dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status;
  ::waitpid(pid, &status, 0);
  return pid;
}

}  // namespace

TEST_CASE("the database is in WAL mode with the schema version set", "[store]") {
  TempDir dir;
  { Store store(dir / "results"); }
  SQLite::Database db(dir / "results/pipe.db", SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == Store::kSchemaVersion);
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("a writer waits for another writer instead of failing (busy timeout)", "[store]") {
  TempDir dir;
  Store store(dir / "results");
  SQLite::Database other(dir / "results/pipe.db", SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  other.exec("INSERT INTO file_hashes(path, size, mtime_ns, hash) VALUES('x', 1, 1, 'h')");
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    other.exec("COMMIT");
  });
  RunRecord r;
  CHECK_NOTHROW(r = new_run(store, "demo"));
  release.join();
  CHECK(store.find_run(r.id).name == "demo");
}

TEST_CASE("a database of another schema version is refused clearly", "[store]") {
  TempDir dir;
  { Store store(dir / "results"); }
  {
    SQLite::Database db(dir / "results/pipe.db", SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 99");
  }
  try {
    Store store(dir / "results");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.line() ==
          dir / "results/pipe.db: results database has schema version 99, this pipe uses version " +
              std::to_string(Store::kSchemaVersion));
    CHECK(e.hint_text() == "use a pipe of the matching version, or another --results folder");
  }
  write_text(dir / "junk/pipe.db", "this is not a database, just text that is long enough to have a header");
  CHECK_THROWS_WITH(Store(dir / "junk"),
                    dir / "junk/pipe.db: cannot open the results database: file is not a database");
}

TEST_CASE("a database of schema version 1 is migrated and keeps its runs", "[store][migration]") {
  TempDir dir;
  std::string db_path = dir / "results/pipe.db";
  {
    // The version 1 tables as pipe 0.1 created them, with one run and one stage run.
    std::filesystem::create_directories(dir / "results");
    SQLite::Database db(db_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(R"SQL(
CREATE TABLE runs(
  id TEXT PRIMARY KEY, name TEXT NOT NULL, base_name TEXT NOT NULL, experiment TEXT, variant TEXT,
  seed INTEGER, point INTEGER, file TEXT, status TEXT NOT NULL, error TEXT, started REAL, finished REAL,
  pid INTEGER, overrides TEXT, env TEXT, command TEXT);
CREATE TABLE stage_runs(
  run_id TEXT NOT NULL, stage_id TEXT NOT NULL, kind TEXT, key TEXT, status TEXT, reason TEXT,
  error TEXT, seconds REAL, params_hash TEXT, inputs_hash TEXT, sources_hash TEXT, position INTEGER,
  PRIMARY KEY(run_id, stage_id));
CREATE TABLE results(key TEXT PRIMARY KEY, kind TEXT, metrics TEXT, seconds REAL, created REAL);
CREATE TABLE result_tables(key TEXT NOT NULL, name TEXT NOT NULL, value TEXT, PRIMARY KEY(key, name));
CREATE TABLE epochs(key TEXT NOT NULL, epoch INTEGER NOT NULL, row TEXT, PRIMARY KEY(key, epoch));
CREATE TABLE evaluations(
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, source TEXT, created REAL, result TEXT);
CREATE TABLE file_hashes(path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, hash TEXT);
INSERT INTO runs VALUES('0123456789ab', 'old', 'old', '', '', 7, -1, 'p.yaml', 'done', '', 1.0, 2.0, 1,
                        '{}', '{}', 'pipe run p.yaml');
INSERT INTO stage_runs VALUES('0123456789ab', 'a', 'fake', 'key-a', 'ran', 'new', '', 0.5, 'ph', 'ih', 'sh', 0);
PRAGMA user_version = 1;
)SQL");
  }
  {
    Store store(dir / "results");
    RunRecord old = store.find_run("old");
    CHECK(old.status == "done");
    CHECK(old.error_hint == "");  // runs.error_hint came with version 3
    auto stages = store.stage_runs(old.id);
    REQUIRE(stages.size() == 1);
    CHECK(stages[0].key == "key-a");
    CHECK(stages[0].params.is_null());  // not recorded then
    CHECK(store.previous_stage_run("old", "a")->params_hash == "ph");
    // New stage runs carry their parameters.
    StageRunRecord b = stage_run(old.id, "b", "ran", 1);
    b.params = {{"suffix", "-b"}, {"n", 3}};
    store.put_stage_run(b);
    CHECK(store.stage_runs(old.id)[1].params == b.params);
  }
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == Store::kSchemaVersion);
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  { Store again(dir / "results"); }  // opening a migrated database changes nothing
  CHECK(db.execAndGet("SELECT count(*) FROM stage_runs").getInt() == 2);
}

TEST_CASE("a stage run keeps its parameters through every state change", "[store]") {
  TempDir dir;
  Store store(dir / "results");
  RunRecord r = new_run(store, "demo");
  StageRunRecord s = stage_run(r.id, "train", "pending", 0);
  s.params = {{"epochs", 10}, {"optimizer", {{"adam", {{"lr", 0.001}}}}}, {"model", "/abs/cnn.yaml"}};
  store.put_stage_run(s);
  s.status = "ran";
  store.publish({s.key, "fake", nlohmann::json::object(), 1.0}, nlohmann::json::object(), s);
  auto stages = store.stage_runs(r.id);
  REQUIRE(stages.size() == 1);
  CHECK(stages[0].status == "ran");
  CHECK(stages[0].params == s.params);
  CHECK(store.finished_stage(r.id, "train")->params["optimizer"]["adam"]["lr"] == 0.001);
}

TEST_CASE("runs of the same name get #2, #3 and never reuse a number", "[store][names]") {
  TempDir dir;
  Store store(dir / "results");
  RunRecord a = new_run(store, "demo");
  RunRecord b = new_run(store, "demo");
  RunRecord c = new_run(store, "demo");
  RunRecord other = new_run(store, "exp/cnn");
  CHECK(a.name == "demo");
  CHECK(b.name == "demo#2");
  CHECK(c.name == "demo#3");
  CHECK(other.name == "exp/cnn");
  CHECK(a.id.size() == 12);
  CHECK(a.id != b.id);
  store.delete_runs({a.id, b.id});
  CHECK(new_run(store, "demo").name == "demo#4");
}

TEST_CASE("RUN is an id, a unique id prefix, or a name (latest without #)", "[store][names]") {
  TempDir dir;
  Store store(dir / "results");
  RunRecord a = new_run(store, "demo");
  RunRecord b = new_run(store, "demo");
  RunRecord c = new_run(store, "exp/cnn");
  CHECK(store.find_run(a.id).id == a.id);
  CHECK(store.find_run(a.id.substr(0, 8)).id == a.id);
  CHECK(store.find_run("demo").id == b.id);  // the latest of that name
  CHECK(store.find_run("demo#2").id == b.id);
  CHECK(store.find_run("demo#1").id == a.id);
  CHECK(store.find_run("exp/cnn").id == c.id);
  try {
    store.find_run("nothing");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.message() == "no run 'nothing' in " + dir / "results");
  }
}

TEST_CASE("a RUN that matches several runs or none says which runs come close", "[store][names]") {
  TempDir dir;
  Store store(dir / "results");
  RunRecord cnn = new_run(store, "multiscript/cnn");
  RunRecord s800 = new_run(store, "runes/mlp/seed800");
  RunRecord s801 = new_run(store, "runes/mlp/seed801");
  const std::string where = " in " + dir / "results";
  auto error_of = [&](const std::string& ref, std::string* hint) {
    try {
      store.find_run(ref);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kConfig);
      *hint = e.hint_text();
      return e.message();
    }
    return std::string("no error");
  };
  std::string hint;
  CHECK(error_of("multiscript/cnnn", &hint) == "no run 'multiscript/cnnn'" + where + " (did you mean 'multiscript/cnn'?)");
  CHECK(hint == "`pipe runs` lists the runs; RUN is an id, a unique id prefix or a name");
  // The name of a series: its runs, newest first.
  CHECK(error_of("runes/mlp", &hint) == "no run 'runes/mlp'" + where + " (did you mean 'runes/mlp/seed801'?)");
  CHECK(hint == "runs named runes/mlp/...: " + s801.id + " runes/mlp/seed801, " + s800.id + " runes/mlp/seed800");

  // One-character prefixes count; an ambiguous one lists its runs.  With 17
  // runs at least two ids share a first character.
  std::vector<RunRecord> all = {cnn, s800, s801};
  while (all.size() < 17) all.push_back(new_run(store, "more"));
  std::map<char, std::vector<RunRecord>> by_first;
  for (const auto& r : all) by_first[r.id[0]].push_back(r);
  for (const auto& [first, runs] : by_first) {
    std::string prefix(1, first);
    if (runs.size() == 1) {
      CHECK(store.find_run(prefix).id == runs[0].id);
      continue;
    }
    CHECK(error_of(prefix, &hint) ==
          "run id prefix '" + prefix + "' is ambiguous: " + std::to_string(runs.size()) + " runs match");
    std::string listed;
    for (size_t i = runs.size(); i-- > 0 && runs.size() - i <= 8;)
      listed += (listed.empty() ? "" : ", ") + runs[i].id + " " + runs[i].name;
    if (runs.size() > 8) listed += ", … " + std::to_string(runs.size() - 8) + " more";
    CHECK(hint == "give more characters of the id: " + listed);
  }
}

TEST_CASE("a state change made of several writes is one transaction", "[store][transaction]") {
  TempDir dir;
  Store store(dir / "results");
  RunRecord r = new_run(store, "demo");
  CHECK_THROWS(store.transaction([&] {
    store.put_stage_run(stage_run(r.id, "a", "ran", 0));
    store.transaction([&] { store.put_stage_run(stage_run(r.id, "b", "ran", 1)); });
    throw std::runtime_error("killed half way");
  }));
  CHECK(store.stage_runs(r.id).empty());
  store.transaction([&] {
    store.put_stage_run(stage_run(r.id, "a", "ran", 0));
    store.transaction([&] { store.put_stage_run(stage_run(r.id, "b", "ran", 1)); });
  });
  CHECK(store.stage_runs(r.id).size() == 2);
  // publish() writes the result, its tables and the stage run together.
  StageResult result{"key-a", "fake", {{"accuracy", 0.5}}, 1.0};
  store.publish(result, {{"classes", {"x", "y"}}}, stage_run(r.id, "a", "ran", 0));
  CHECK(store.has_result("key-a"));
  CHECK(store.table("key-a", "classes") == nlohmann::json({"x", "y"}));
  CHECK(store.table("key-a", "none").is_null());
  CHECK(store.finished_stage(r.id, "a")->key == "key-a");
  CHECK(store.finished_stage(r.id, "fake")->key == "key-a");  // by kind
  CHECK_FALSE(store.finished_stage(r.id, "b"));               // no published result
}

TEST_CASE("runs of a dead process become interrupted; live ones stay running", "[store][interrupted]") {
  TempDir dir;
  Store store(dir / "results");
  RunRecord dead = new_run(store, "dead", dead_pid());
  RunRecord live = new_run(store, "live");
  store.put_stage_run(stage_run(dead.id, "a", "cached", 0));
  store.put_stage_run(stage_run(dead.id, "b", "running", 1));
  store.put_stage_run(stage_run(dead.id, "c", "pending", 2));
  CHECK(store.mark_interrupted() == 1);
  CHECK(store.find_run(dead.id).status == "interrupted");
  CHECK(store.find_run(live.id).status == "running");
  auto stages = store.stage_runs(dead.id);
  REQUIRE(stages.size() == 3);
  CHECK(stages[0].status == "cached");
  CHECK(stages[1].status == "interrupted");
  CHECK(stages[2].status == "skipped");
  // The holder of the results lock knows every `running` run is stale.
  CHECK(store.mark_interrupted(true) == 1);
  CHECK(store.find_run(live.id).status == "interrupted");
}

TEST_CASE("epochs are kept per key, in order, and can be cut back", "[store]") {
  TempDir dir;
  Store store(dir / "results");
  for (int e : {2, 1, 3}) store.put_epoch("k", {{"epoch", e}, {"train_loss", 1.0 / e}});
  auto rows = store.epochs("k");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["epoch"] == 1);
  store.clear_epochs_after("k", 1);
  CHECK(store.epochs("k").size() == 1);
  CHECK(store.epochs("other").empty());
}

TEST_CASE("open_existing says when there is no database", "[store]") {
  TempDir dir;
  try {
    Store::open_existing(dir / "none");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.line() == dir / "none/pipe.db: no results database here");
  }
  { Store store(dir / "results"); }
  CHECK(Store::open_existing(dir / "results") != nullptr);
}
