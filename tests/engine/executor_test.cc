// The executor in-process: cache hits and misses, why a stage runs, --force,
// failures, parallel stages, and file errors injected through the Disk.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <filesystem>

#include "engine/executor.h"
#include "engine/paths.h"
#include "tests/engine/fake/fake_stages.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;
namespace fs = std::filesystem;

namespace {

const char* kPipeline =
    "name: demo\n"
    "seed: 7\n"
    "stages:\n"
    "  - {id: src, kind: source, path: data.txt}\n"
    "  - {id: a, kind: append, input: src, suffix: -a}\n"
    "  - {id: f, kind: fork, input: a}\n"
    "  - {id: s, kind: score, input: f.left}\n";

// A pipeline in a temporary folder with its own results store.
struct Bench {
  TempDir dir;
  RealDisk disk;
  std::unique_ptr<Store> store;
  Bench() {
    write_text(dir / "data.txt", "hello");
    use_fake_stages();
    store = std::make_unique<Store>(dir / "results");
    fake::reset_counts();
  }
  InProcessRun run(const std::vector<std::string>& sets = {}, ExecOptions options = {}, bool dry = false,
                   const std::string& yaml = kPipeline, Disk* with = nullptr) {
    RunSpec spec = load_run(dir, yaml, "p.yaml", sets);
    graphs.push_back(std::make_unique<Graph>(Graph::build(spec.pipeline, Registry::global())));
    return run_in_process(*store, with ? *with : disk, *graphs.back(), spec, options, dry);
  }
  std::vector<std::unique_ptr<Graph>> graphs;
};

std::vector<std::string> reasons(const InProcessRun& r) {
  std::vector<std::string> out;
  for (const auto& p : r.plan) out.push_back(p.reason);
  return out;
}

std::vector<std::string> statuses(Store& store, const InProcessRun& r) {
  std::vector<std::string> out;
  for (const auto& s : store.stage_runs(r.run.id)) out.push_back(s.status);
  return out;
}

std::string integrity(const std::string& results) {
  SQLite::Database db(results + "/pipe.db", SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA integrity_check").getString();
}

// A disk that fails one kind of operation, as a full disk would.
class FailingDisk : public RealDisk {
 public:
  int fail_write_at = -1;  // fail the Nth write_file (0-based), -1 never
  bool fail_rename = false;
  int writes = 0;
  void write_file(const std::string& path, const std::string& data) override {
    if (writes++ == fail_write_at) throw disk_error("cannot write", path, ENOSPC);
    RealDisk::write_file(path, data);
  }
  void rename(const std::string& from, const std::string& to) override {
    if (fail_rename) throw disk_error("cannot rename " + from, to, ENOSPC);
    RealDisk::rename(from, to);
  }
};

}  // namespace

TEST_CASE("a first run runs every stage; an unchanged re-run runs none", "[executor][cache]") {
  Bench b;
  auto first = b.run();
  CHECK(first.status == "done");
  CHECK(reasons(first) == std::vector<std::string>{"new", "new", "new", "new"});
  CHECK(statuses(*b.store, first) == std::vector<std::string>{"ran", "ran", "ran", "ran"});
  CHECK(fake::runs_of("source") == 1);
  CHECK(fake::runs_of("score") == 1);
  CHECK(read_text(b.store->artifact_dir(first.plan[3].key) + "/out.txt") == "hello-a<");

  auto second = b.run();
  CHECK(second.status == "done");
  CHECK(reasons(second) == std::vector<std::string>{"cached", "cached", "cached", "cached"});
  CHECK(statuses(*b.store, second) == std::vector<std::string>{"cached", "cached", "cached", "cached"});
  CHECK(fake::runs_of("source") == 1);
  CHECK(fake::runs_of("append") == 1);
  CHECK(fake::runs_of("score") == 1);
  CHECK(second.run.name == "demo#2");
  // Results recorded with the artifact show for cached stages too.
  auto result = b.store->result(second.plan[0].key);
  REQUIRE(result);
  CHECK(result->metrics["bytes"] == 5);
  CHECK(b.store->epochs(second.plan[3].key).size() == 2);
  CHECK(b.store->table(second.plan[1].key, "lines") == nlohmann::json::array({"hello-a"}));
}

TEST_CASE("a changed parameter reruns that stage and downstream, nothing upstream", "[executor][cache]") {
  Bench b;
  auto first = b.run();
  auto changed = b.run({"a.suffix=-b"});
  CHECK(reasons(changed) ==
        std::vector<std::string>{"cached", "params changed", "input changed", "input changed"});
  CHECK(statuses(*b.store, changed) == std::vector<std::string>{"cached", "ran", "ran", "ran"});
  CHECK(fake::runs_of("source") == 1);
  CHECK(fake::runs_of("append") == 2);
  CHECK(changed.plan[0].key == first.plan[0].key);
  CHECK(changed.plan[1].key != first.plan[1].key);
  // Back to the first value: everything is in the cache.
  auto back = b.run();
  CHECK(reasons(back) == std::vector<std::string>{"cached", "cached", "cached", "cached"});
  // A change that only touches the last stage reruns only it.
  auto last = b.run({"s.epochs=3"});
  CHECK(reasons(last) == std::vector<std::string>{"cached", "cached", "cached", "params changed"});
}

TEST_CASE("a changed source file reruns the stage that reads it", "[executor][cache]") {
  Bench b;
  b.run();
  // Same content, new mtime: nothing runs.
  set_mtime(b.dir / "data.txt", 1000000000);
  auto touched = b.run();
  CHECK(reasons(touched) == std::vector<std::string>{"cached", "cached", "cached", "cached"});
  // Same size, new content.
  write_text(b.dir / "data.txt", "HELLO");
  auto edited = b.run();
  CHECK(reasons(edited) ==
        std::vector<std::string>{"source files changed", "input changed", "input changed", "input changed"});
  CHECK(edited.status == "done");
  CHECK(read_text(b.store->artifact_dir(edited.plan[3].key) + "/out.txt") == "HELLO-a<");
  // A missing source file is a configuration error at its line.
  fs::remove(b.dir / "data.txt");
  try {
    b.run();
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.line() ==
          b.dir / "p.yaml:4:35: stage 'src': path: no such file or folder: " + b.dir / "data.txt");
  }
}

TEST_CASE("a dry run says what would run and why, and records nothing", "[executor][dry-run]") {
  Bench b;
  auto dry = b.run({}, {}, true);
  CHECK(reasons(dry) == std::vector<std::string>{"new", "new", "new", "new"});
  CHECK(b.store->runs().empty());
  CHECK(fake::runs_of("source") == 0);
  b.run();
  CHECK(reasons(b.run({}, {}, true)) == std::vector<std::string>{"cached", "cached", "cached", "cached"});
  CHECK(reasons(b.run({"a.suffix=-c"}, {}, true)) ==
        std::vector<std::string>{"cached", "params changed", "input changed", "input changed"});
  CHECK(b.store->runs().size() == 1);
}

TEST_CASE("variants share the stages they have in common", "[executor][cache]") {
  Bench b;
  write_text(b.dir / "exp.yaml", "pipeline: p.yaml\nvariants:\n  x: {s.epochs: 1}\n  y: {s.epochs: 2}\n");
  write_text(b.dir / "p.yaml", kPipeline);
  auto runs = expand_runs(b.dir / "exp.yaml", {});
  REQUIRE(runs.size() == 2);
  Graph gx = Graph::build(runs[0].pipeline, Registry::global());
  Graph gy = Graph::build(runs[1].pipeline, Registry::global());
  auto x = run_in_process(*b.store, b.disk, gx, runs[0]);
  auto y = run_in_process(*b.store, b.disk, gy, runs[1]);
  CHECK(x.run.name == "exp/x");
  CHECK(y.run.name == "exp/y");
  CHECK(statuses(*b.store, y) == std::vector<std::string>{"cached", "cached", "cached", "ran"});
  CHECK(reasons(y)[3] == "new");  // first time this run name has the stage
  CHECK(fake::runs_of("source") == 1);
  CHECK(fake::runs_of("score") == 2);
}

TEST_CASE("a stage's error reaches the run whole: position, hint, context and kind", "[executor][failure]") {
  Bench b;
  std::string yaml = std::string(kPipeline) +
                     "  - {id: boom, kind: fail, input: a, message: 'training diverged',\n"
                     "     hint: 'lower the learning rate'}\n";
  auto r = b.run({}, {}, false, yaml);
  REQUIRE(r.status == "failed");
  REQUIRE(r.error);
  CHECK(r.error->format() == "pipe: error: " + b.dir / "p.yaml" +
                                 ":9:12: stage 'boom': training diverged\n  lower the learning rate");
  CHECK(r.error->contexts() == std::vector<std::string>{"stage 'boom'"});
  CHECK(r.error->kind() == ErrorKind::kStage);
  // The run's record keeps the hint; the stage's record keeps its own line.
  CHECK(r.run.error == b.dir / "p.yaml" + ":9:12: stage 'boom': training diverged");
  CHECK(r.run.error_hint == "lower the learning rate");
  for (const auto& s : b.store->stage_runs(r.run.id))
    if (s.stage_id == "boom") CHECK(s.error == b.dir / "p.yaml" + ":9:12: training diverged");

  // Not a pipe::Error: its text, with the stage as context and no hint.
  auto plain = b.run({"boom.plain=true"}, {}, false, yaml);
  REQUIRE(plain.error);
  CHECK(plain.error->format() == "pipe: error: stage 'boom': training diverged");
  CHECK(plain.run.error_hint == "");
}

TEST_CASE("a failing stage fails the run with its message; downstream is skipped", "[executor][failure]") {
  Bench b;
  std::string yaml = std::string(kPipeline) +
                     "  - {id: boom, kind: fail, input: a, message: 'no labels in split'}\n"
                     "  - {id: after, kind: score, input: boom}\n";
  auto r = b.run({}, {}, false, yaml);
  CHECK(r.status == "failed");
  CHECK(r.run.status == "failed");
  CHECK(r.run.error == "stage 'boom': no labels in split");
  CHECK(r.stage_status(*b.store, "src") == "ran");
  CHECK(r.stage_status(*b.store, "boom") == "failed");
  CHECK(r.stage_status(*b.store, "after") == "skipped");
  for (const auto& s : b.store->stage_runs(r.run.id))
    if (s.stage_id == "boom") CHECK(s.error == "no labels in split");
  // Nothing of the failed stage is published, no temporary folder is left.
  CHECK_FALSE(b.store->has_result(r.plan[4].key));
  CHECK(fs::is_empty(b.dir / "results/tmp"));
  // Next time: the finished stages come from the cache, the failed one runs again.
  auto again = b.run({}, {}, true, yaml);
  CHECK(again.reason("a") == "cached");
  CHECK(again.reason("boom") == "previous attempt failed");
  CHECK(again.reason("after") == "skipped last time");
}

TEST_CASE("option --force reruns a stage and everything downstream of it", "[executor][force]") {
  Bench b;
  b.run();
  ExecOptions force;
  force.force = {"a"};
  auto r = b.run({}, force);
  CHECK(reasons(r) == std::vector<std::string>{"cached", "forced", "upstream forced", "upstream forced"});
  CHECK(statuses(*b.store, r) == std::vector<std::string>{"cached", "ran", "ran", "ran"});
  CHECK(fake::runs_of("source") == 1);
  CHECK(fake::runs_of("append") == 2);
  // The artifact was replaced in place and is still readable.
  CHECK(read_text(b.store->artifact_dir(r.plan[1].key) + "/out.txt") == "hello-a");
  force.force = {"all"};
  CHECK(reasons(b.run({}, force, true)) == std::vector<std::string>{"forced", "forced", "forced", "forced"});
}

TEST_CASE("option --jobs 2 runs independent stages at the same time", "[executor][jobs]") {
  const char* yaml =
      "stages:\n"
      "  - {id: one, kind: sleep, seconds: 0.3, tag: one}\n"
      "  - {id: two, kind: sleep, seconds: 0.3, tag: two}\n"
      "  - {id: both, kind: append, input: one, also: [two]}\n";
  auto interval = [](Store& store, const InProcessRun& r, const std::string& stage) {
    auto result = store.result(r.plan[r.graph->index_of(stage)].key);
    REQUIRE(result);
    return std::make_pair(result->metrics["started"].get<double>(),
                          result->metrics["finished"].get<double>());
  };
  Bench b;
  ExecOptions two;
  two.jobs = 2;
  auto parallel = b.run({}, two, false, yaml);
  CHECK(parallel.status == "done");
  auto p1 = interval(*b.store, parallel, "one"), p2 = interval(*b.store, parallel, "two");
  CHECK(p1.first < p2.second);  // each started before the other finished
  CHECK(p2.first < p1.second);
  CHECK(read_text(b.store->artifact_dir(parallel.plan[2].key) + "/out.txt") == "one.+");

  Bench c;
  auto serial = c.run({}, {}, false, yaml);
  auto s1 = interval(*c.store, serial, "one"), s2 = interval(*c.store, serial, "two");
  CHECK(s1.second <= s2.first);  // one after the other
}

TEST_CASE("two stages with the same key in one run compute it once", "[executor][jobs]") {
  Bench b;
  ExecOptions two;
  two.jobs = 2;
  auto r = b.run({}, two, false,
                 "stages:\n"
                 "  - {id: one, kind: sleep, seconds: 0.1}\n"
                 "  - {id: same, kind: sleep, seconds: 0.1}\n");
  CHECK(r.status == "done");
  CHECK(r.plan[0].key == r.plan[1].key);
  CHECK(fake::runs_of("sleep") == 1);
  CHECK(statuses(*b.store, r) == std::vector<std::string>{"ran", "cached"});
}

TEST_CASE("a full disk fails the stage clearly and leaves earlier work intact", "[executor][disk]") {
  Bench b;
  FailingDisk full;
  full.fail_write_at = 2;  // src and a write, then f's first file fails
  auto r = b.run({}, {}, false, kPipeline, &full);
  CHECK(r.status == "failed");
  std::string tmp_file =
      b.dir / ("results/tmp/" + r.plan[2].key + "." + std::to_string(::getpid()) + "/left.txt");
  CHECK(r.run.error == "stage 'f': no space left on device (writing " + tmp_file + ")");
  CHECK(r.stage_status(*b.store, "a") == "ran");
  CHECK(r.stage_status(*b.store, "f") == "failed");
  CHECK(r.stage_status(*b.store, "s") == "skipped");
  CHECK(read_text(b.store->artifact_dir(r.plan[1].key) + "/out.txt") == "hello-a");
  CHECK_FALSE(fs::exists(b.store->artifact_dir(r.plan[2].key)));
  CHECK(fs::is_empty(b.dir / "results/tmp"));
  CHECK(integrity(b.dir / "results") == "ok");

  // The engine's own publishing step fails the same way.
  FailingDisk no_rename;
  no_rename.fail_rename = true;
  auto r2 = b.run({}, {}, false, kPipeline, &no_rename);
  CHECK(r2.status == "failed");
  CHECK(r2.run.error.rfind(
            "stage 'f': no space left on device (writing " + b.store->artifact_dir(r.plan[2].key), 0) == 0);
  CHECK_FALSE(b.store->has_result(r.plan[2].key));
  CHECK(fs::is_empty(b.dir / "results/tmp"));

  // With space again, only the unfinished stages run.
  auto r3 = b.run();
  CHECK(r3.status == "done");
  CHECK(reasons(r3) ==
        std::vector<std::string>{"cached", "cached", "previous attempt failed", "skipped last time"});
  CHECK(integrity(b.dir / "results") == "ok");
}

namespace {

// Reads what its input (or a stage of another run) stored besides files.
class Reader : public Stage {
 public:
  void run(StageContext& ctx) override {
    InputRef in = ctx.params()["from_run"].get<std::string>().empty()
                      ? ctx.input("input")
                      : ctx.run_artifact(ctx.params()["from_run"].get<std::string>(), "append");
    nlohmann::json seen = {{"lines", ctx.input_table(in, "lines")},
                           {"none", ctx.input_table(in, "none")},
                           {"metrics", ctx.input_metrics(in)},
                           {"stage", in.stage}};
    ctx.table("seen", seen);
    ctx.disk().write_file(ctx.output_path("out.txt"), seen.dump());
  }
};

}  // namespace

TEST_CASE("a stage reads the tables and metrics its producers stored", "[executor][api]") {
  Bench b;
  Registry::global().add({"reader", 1, "reads stored results",
                          Schema{{input("input", "upstream"), string_field("from_run", "", "another run")}},
                          {},
                          false,
                          [] { return std::make_unique<Reader>(); }});
  std::string yaml = std::string(kPipeline) + "  - {id: r, kind: reader, input: a}\n";
  auto r = b.run({}, {}, false, yaml);
  REQUIRE(r.status == "done");
  nlohmann::json seen = b.store->table(r.plan[4].key, "seen");
  CHECK(seen["lines"] == nlohmann::json::array({"hello-a"}));
  CHECK(seen["none"].is_null());
  CHECK(seen["metrics"] == nlohmann::json::object());  // append records no metric
  CHECK(seen["stage"] == "a");

  // The same through another run, by its name.
  auto other = b.run({"r.from_run=demo", "r.input=src"}, {}, false, yaml);
  REQUIRE(other.status == "done");
  CHECK(b.store->table(other.plan[4].key, "seen")["lines"] == nlohmann::json::array({"hello-a"}));
  auto missing = b.run({"r.from_run=nothing"}, {}, false, yaml);
  CHECK(missing.status == "failed");
  CHECK(missing.run.error == "stage 'r': no run 'nothing' in " + b.dir / "results");
}

TEST_CASE("every stage run records the parameters it ran with", "[executor][params]") {
  Bench b;
  auto first = b.run();
  auto changed = b.run({"a.suffix=-b"});
  auto params = [&](const InProcessRun& r, const std::string& stage) {
    for (const auto& s : b.store->stage_runs(r.run.id))
      if (s.stage_id == stage) return s.params;
    return nlohmann::json();
  };
  // Validated parameters: defaults filled, inputs by reference, paths absolute.
  CHECK(params(first, "a")["suffix"] == "-a");
  CHECK(params(first, "a")["with_seed"] == false);
  CHECK(params(first, "a")["input"] == "src");
  CHECK(params(first, "src")["path"] == b.dir / "data.txt");
  // A later run with other values leaves the first one's record alone, and a
  // cached stage records its parameters too.
  CHECK(params(changed, "a")["suffix"] == "-b");
  CHECK(params(first, "a")["suffix"] == "-a");
  CHECK(changed.stage_status(*b.store, "src") == "cached");
  CHECK(params(changed, "src") == params(first, "src"));
}

namespace {

// Publishes a file named after the run whenever it is found in the cache.
class Publisher : public Stage {
 public:
  void run(StageContext& ctx) override {
    ctx.disk().write_file(ctx.output_path("out.txt"), "made by " + ctx.run().name);
  }
  void reuse(StageContext& ctx) override {
    if (ctx.params()["fail"].get<bool>()) throw Error("cannot publish");
    ctx.metric("ignored", 1);  // the published artifact's results stand
    std::string made = ctx.disk().read_file(ctx.output_path("out.txt"));
    std::string dir = join_path(ctx.run().results_dir, "published");
    ctx.disk().make_dirs(dir);
    std::string name = ctx.run().name;
    std::replace(name.begin(), name.end(), '#', '_');
    ctx.disk().write_file(join_path(dir, name + ".txt"), made);
  }
};

}  // namespace

TEST_CASE("a cached stage's reuse hook runs for the new run; its failure fails the stage", "[executor][api]") {
  Bench b;
  Registry::global().add({"publisher", 1, "publishes its artifact under the run's name",
                          Schema{{input("input", "upstream"), boolean("fail", false, "fail in reuse")}},
                          {},
                          false,
                          [] { return std::make_unique<Publisher>(); }});
  std::string yaml = std::string(kPipeline) + "  - {id: p, kind: publisher, input: s}\n";
  auto first = b.run({}, {}, false, yaml);
  REQUIRE(first.status == "done");
  CHECK_FALSE(fs::exists(b.dir / "results/published"));  // it ran: no reuse
  auto second = b.run({}, {}, false, yaml);
  REQUIRE(second.status == "done");
  CHECK(second.stage_status(*b.store, "p") == "cached");
  CHECK(read_text(b.dir / "results/published/demo_2.txt") == "made by demo");
  CHECK(b.store->result(second.plan[4].key)->metrics == nlohmann::json::object());
  // A dry run plans only.
  b.run({}, {}, true, yaml);
  CHECK_FALSE(fs::exists(b.dir / "results/published/demo_3.txt"));

  // fail=true is a new key: it runs once, then its reuse fails.
  REQUIRE(b.run({"p.fail=true"}, {}, false, yaml).status == "done");
  auto failing = b.run({"p.fail=true"}, {}, false, yaml);
  CHECK(failing.status == "failed");
  CHECK(failing.stage_status(*b.store, "p") == "failed");
  CHECK(failing.stage_status(*b.store, "s") == "cached");
  CHECK(failing.run.error == "stage 'p': cannot publish");
  CHECK(integrity(b.dir / "results") == "ok");
}
