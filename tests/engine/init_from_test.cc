// A file-or-run parameter (train's init_from) in the cache key: a file counts
// by its content, a run by the key of its artifact, resolved when the run is
// planned; stages without one keep their keys.
#include <catch2/catch.hpp>

#include <sstream>

#include "engine/executor.h"
#include "tests/engine/fake/fake_stages.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

namespace {

const char* kSource =
    "name: source\n"
    "stages:\n"
    "  - {id: src, kind: source, path: data.txt}\n"
    "  - {id: a, kind: append, input: src, suffix: -a}\n";

const char* kWarm =
    "name: warm\n"
    "stages:\n"
    "  - {id: src, kind: source, path: data.txt}\n"
    "  - {id: w, kind: warmstart, input: src, init_from: start.txt}\n";

struct Project {
  TempDir dir;
  RealDisk disk;
  std::unique_ptr<Store> store;
  std::vector<std::unique_ptr<Graph>> graphs;
  Project() {
    write_text(dir / "data.txt", "hello");
    write_text(dir / "start.txt", "weights 1");
    use_fake_stages();
    store = std::make_unique<Store>(dir / "results");
    fake::reset_counts();
  }
  InProcessRun run(const std::string& yaml, const std::vector<std::string>& sets = {}, bool dry = false) {
    RunSpec spec = load_run(dir, yaml, "p.yaml", sets);
    graphs.push_back(std::make_unique<Graph>(Graph::build(spec.pipeline, Registry::global())));
    return run_in_process(*store, disk, *graphs.back(), spec, {}, dry);
  }
  std::string output(const InProcessRun& r, const std::string& stage) {
    return read_text(store->artifact_dir(r.plan[r.graph->index_of(stage)].key) + "/out.txt");
  }
};

}  // namespace

TEST_CASE("init_from a file: its content is in the key", "[executor][init_from]") {
  Project p;
  auto first = p.run(kWarm);
  REQUIRE(first.status == "done");
  CHECK(p.output(first, "w") == "weights 1|hello");
  CHECK(p.run(kWarm, {}, true).reason("w") == "cached");

  // The same path, other content: the stage runs again, and says why.
  write_text(p.dir / "start.txt", "weights 2");
  auto dry = p.run(kWarm, {}, true);
  CHECK(dry.reason("src") == "cached");
  CHECK(dry.reason("w") == "source files changed");
  auto second = p.run(kWarm);
  REQUIRE(second.status == "done");
  CHECK(second.stage_status(*p.store, "w") == "ran");
  CHECK(p.output(second, "w") == "weights 2|hello");

  // The stage records the file's absolute path; a missing file names the key.
  for (const auto& s : p.store->stage_runs(second.run.id))
    if (s.stage_id == "w") CHECK(s.params["init_from"] == p.dir / "start.txt");
}

TEST_CASE("init_from a run: the key of its artifact is in the key", "[executor][init_from]") {
  Project p;
  REQUIRE(p.run(kSource).status == "done");
  auto warm = p.run(kWarm, {"w.init_from=source"});
  REQUIRE(warm.status == "done");
  CHECK(p.output(warm, "w") == "hello-a|hello");
  CHECK(p.run(kWarm, {"w.init_from=source"}, true).reason("w") == "cached");

  // The source run trained again with other settings: its artifact has a new key.
  // (an edit of its file: a --set run would get a name of its own)
  std::string retrained = kSource;
  retrained.replace(retrained.find("suffix: -a"), 10, "suffix: -b");
  REQUIRE(p.run(retrained).status == "done");
  auto dry = p.run(kWarm, {"w.init_from=source"}, true);
  CHECK(dry.reason("src") == "cached");
  CHECK(dry.reason("w") == "input changed");
  auto again = p.run(kWarm, {"w.init_from=source"});
  REQUIRE(again.status == "done");
  CHECK(again.stage_status(*p.store, "w") == "ran");
  CHECK(p.output(again, "w") == "hello-b|hello");
  // The run as it stood then, by name, is still the cached one.
  CHECK(p.run(kWarm, {"w.init_from=source#1"}, true).reason("w") == "cached");
}

TEST_CASE("init_from a run that does not exist or never finished: a config error before anything runs",
          "[executor][init_from]") {
  Project p;
  auto refusal = [&](const std::vector<std::string>& sets) {
    try {
      p.run(kWarm, sets);
    } catch (const Error& e) {
      return e.format() + (e.kind() == ErrorKind::kConfig ? "" : " (not a config error)");
    }
    return std::string("ran");
  };
  CHECK(refusal({"w.init_from=nothing"}) ==
        "pipe: error: --set w.init_from: stage 'w': init_from: no file 'nothing', and no run 'nothing' in " +
            p.dir / "results" + "\n  init_from: a run (id, prefix or name) or a file to start from");
  // A run whose append stage failed has no artifact to start from.
  std::string failing = std::string(kSource) + "  - {id: boom, kind: fail, input: src}\n";
  failing.replace(failing.find("input: src, suffix: -a"), 22, "input: boom, suffix: -c");
  REQUIRE(p.run(failing).status == "failed");
  CHECK(refusal({"w.init_from=source"}) ==
        "pipe: error: --set w.init_from: stage 'w': init_from: run 'source' has no finished append stage\n"
        "  init_from: a run (id, prefix or name) or a file to start from");
  CHECK(fake::runs_of("warmstart") == 0);
}

TEST_CASE("an experiment's run can start from an earlier run of the same command", "[cli][init_from]") {
  TempDir dir;
  write_text(dir / "data.txt", "hello");
  write_text(dir / "p.yaml", kSource + std::string("  - {id: w, kind: warmstart, input: src, init_from: data.txt}\n"));
  write_text(dir / "exp.yaml",
             "pipeline: p.yaml\n"
             "variants:\n"
             "  base: {}\n"
             "  warm: { w.init_from: exp/base, a.suffix: -w }\n");
  CliResult dry = run_cli(dir.path(), {"run", "exp.yaml", "--dry-run"});
  INFO(dry.err);
  REQUIRE(dry.code == 0);
  CliResult ran = run_cli(dir.path(), {"run", "exp.yaml"});
  INFO(ran.err);
  REQUIRE(ran.code == 0);
  // The dry run predicted the keys the runs got: planned again, all cached.
  CliResult again = run_cli(dir.path(), {"run", "exp.yaml", "--dry-run"});
  std::vector<std::string> before = lines(dry.out), after = lines(again.out);
  REQUIRE(before.size() == 10);  // two runs: a name, a header and three stages each
  REQUIRE(after.size() == before.size());
  auto words = [](const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
  };
  for (size_t i : {2, 3, 4, 7, 8, 9}) {
    INFO(before[i] << " / " << after[i]);
    CHECK(words(before[i])[2] == "run");
    CHECK(words(after[i])[2] == "cached");
    CHECK(words(before[i]).back() == words(after[i]).back());
  }
  CHECK(words(before[9])[3] == "new");  // the warm run's own stage
}
