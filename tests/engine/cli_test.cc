// End to end: the pipe_fake binary (the pipe CLI with fake stages) run as a
// user would, checking stdout, stderr, exit codes and the JSON shapes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>

#include "tests/engine/helpers.h"

using namespace pipe::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char* kPipeline =
    "name: demo\n"
    "stages:\n"
    "  - {id: src, kind: source, path: data.txt}\n"
    "  - {id: a, kind: append, input: src, suffix: -a}\n"
    "  - {id: f, kind: fork, input: a}\n"
    "  - {id: s, kind: score, input: f.left}\n";

struct Project {
  TempDir dir;
  Project(const std::string& yaml = kPipeline) {
    write_text(dir / "data.txt", "hello");
    write_text(dir / "p.yaml", yaml);
  }
  CliResult pipe(std::vector<std::string> args) { return run_cli(dir.path(), args); }
  json show(const std::string& run) {
    CliResult r = pipe({"show", run, "--format", "json"});
    REQUIRE(r.code == 0);
    return r.json();
  }
  std::vector<std::string> statuses(const std::string& run) {
    std::vector<std::string> out;
    json detail = show(run);
    for (const auto& s : detail["stages"]) out.push_back(s["status"]);
    return out;
  }
};

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it) out.insert(it.key());
  return out;
}

}  // namespace

TEST_CASE("pipe run twice: everything runs, then everything is cached", "[cli]") {
  Project p;
  CliResult first = p.pipe({"run", "p.yaml"});
  INFO(first.err);
  REQUIRE(first.code == 0);
  // One line per run on stdout, nothing else.
  std::smatch m;
  REQUIRE(std::regex_match(first.out, m, std::regex("run ([0-9a-f]{12}) demo done\n")));
  std::string id = m[1];
  CHECK(p.statuses(id) == std::vector<std::string>{"ran", "ran", "ran", "ran"});
  CHECK(first.err.find("[src] running (new)") != std::string::npos);

  CliResult second = p.pipe({"run", "p.yaml"});
  REQUIRE(second.code == 0);
  CHECK(std::regex_match(second.out, std::regex("run [0-9a-f]{12} demo#2 done\n")));
  CHECK(p.statuses("demo") == std::vector<std::string>{"cached", "cached", "cached", "cached"});
  CHECK(p.statuses("demo#2") == p.statuses("demo"));
  CHECK(p.statuses(id) == std::vector<std::string>{"ran", "ran", "ran", "ran"});
  // Progress goes to stderr as plain lines when it is not a terminal.
  CHECK(second.err.find("[s] cached\n") != std::string::npos);
  CHECK(second.err.find("\033") == std::string::npos);
}

TEST_CASE("runs and show print the documented JSON shapes", "[cli][json]") {
  Project p;
  REQUIRE(p.pipe({"run", "p.yaml"}).code == 0);
  CliResult runs = p.pipe({"runs", "--format", "json"});
  REQUIRE(runs.code == 0);
  json all = runs.json();
  REQUIRE(all.is_array());
  REQUIRE(all.size() == 1);
  const json& r = all[0];
  CHECK(keys_of(r) ==
        std::set<std::string>{"id", "name", "experiment", "variant", "seed", "status", "metrics"});
  CHECK(keys_of(r["metrics"]) == std::set<std::string>{"accuracy", "macro_f1", "loss"});
  CHECK(r["name"] == "demo");
  CHECK(r["status"] == "done");
  CHECK(r["experiment"].is_null());  // a plain pipeline run
  CHECK(r["variant"].is_null());
  CHECK(r["seed"] == 0);
  CHECK(r["metrics"]["accuracy"] == Approx(0.8));  // "hello-a<" has 8 characters
  CHECK(r["metrics"]["loss"] == Approx(0.25));
  CHECK(r["metrics"]["macro_f1"].is_null());  // does not apply: null, never missing

  json show = p.show("demo");
  CHECK(keys_of(show) == std::set<std::string>{"id", "name", "status", "error", "stages", "epochs"});
  CHECK(show["id"] == r["id"]);
  CHECK(show["error"].is_null());
  REQUIRE(show["stages"].size() == 4);
  for (const auto& s : show["stages"])
    CHECK(keys_of(s) == std::set<std::string>{"id", "kind", "status", "key", "seconds", "metrics"});
  CHECK(show["stages"][0]["id"] == "src");
  CHECK(show["stages"][0]["kind"] == "source");
  CHECK(show["stages"][0]["key"].get<std::string>().size() == 32);
  CHECK(show["stages"][0]["metrics"]["bytes"] == 5);
  CHECK(show["stages"][2]["metrics"] == json::object());  // ran, recorded no metric
  REQUIRE(show["epochs"].size() == 2);
  for (const auto& e : show["epochs"])
    CHECK(keys_of(e) == std::set<std::string>{"epoch", "train_loss", "train_accuracy", "val_loss",
                                              "val_accuracy", "lr", "seconds"});
  CHECK(show["epochs"][1]["epoch"] == 2);

  // CSV and table forms have a header and one row per run.
  CliResult csv = p.pipe({"runs", "--format", "csv"});
  CHECK(lines(csv.out).size() == 2);
  CHECK(lines(csv.out)[0].rfind("id,name,", 0) == 0);
  CliResult table = p.pipe({"show", "demo"});
  CHECK(table.code == 0);
  CHECK(table.out.find("status   done") != std::string::npos);
}

TEST_CASE("exit codes: 1 when a stage fails, 2 for bad configuration", "[cli][exit]") {
  Project p(std::string(kPipeline) + "  - {id: boom, kind: fail, input: s, message: 'no labels in split'}\n");
  CliResult failed = p.pipe({"run", "p.yaml"});
  CHECK(failed.code == 1);
  CHECK(std::regex_match(failed.out, std::regex("run [0-9a-f]{12} demo failed\n")));
  CHECK(lines(failed.err).back() == "pipe: error: stage 'boom': no labels in split");
  json show = p.show("demo");
  CHECK(show["status"] == "failed");
  CHECK(show["error"] == "stage 'boom': no labels in split");
  CHECK(show["stages"][4]["status"] == "failed");
  CHECK(show["stages"][4]["metrics"].is_null());
  CHECK(p.pipe({"show", "demo"}).out.find("error    stage 'boom': no labels in split") != std::string::npos);

  // The stage's hint is printed after its error, and `pipe show` keeps it.
  Project h(std::string(kPipeline) +
            "  - {id: boom, kind: fail, input: s, message: 'training diverged', hint: 'lower the learning rate'}\n");
  CliResult hinted = h.pipe({"run", "p.yaml"});
  CHECK(hinted.code == 1);
  std::vector<std::string> err = lines(hinted.err);
  REQUIRE(err.size() >= 3);
  CHECK(std::vector<std::string>(err.end() - 3, err.end()) ==
        std::vector<std::string>{"[boom] failed: p.yaml:7:74: training diverged",
                                 "pipe: error: p.yaml:7:74: stage 'boom': training diverged",
                                 "  lower the learning rate"});
  CHECK(h.pipe({"show", "demo"}).out.find("error    p.yaml:7:74: stage 'boom': training diverged\n"
                                          "         lower the learning rate\n") != std::string::npos);

  // Bad configuration: one error line (plus what is allowed), nothing runs.
  Project q(std::string(kPipeline) + "  - {id: t, kind: score, input: s, epoch: 3}\n");
  CliResult bad = q.pipe({"run", "p.yaml"});
  CHECK(bad.code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err ==
        "pipe: error: p.yaml:7:36: stage 't': unknown key 'epoch' (did you mean 'epochs'?)\n"
        "  known keys: id, kind, input, epochs\n");
  CHECK_FALSE(fs::exists(q.dir / "results"));
  CliResult set = q.pipe({"run", "p.yaml", "--set", "a.suffix"});
  CHECK(set.code == 2);
  CHECK(set.err == "pipe: error: --set a.suffix: expected KEY=VALUE, e.g. train.epochs=3\n");
  CHECK(q.pipe({"run", "missing.yaml"}).code == 2);
  CHECK(q.pipe({"run"}).code == 2);
  CHECK(q.pipe({"frobnicate"}).err.rfind("pipe: error: unknown command 'frobnicate'", 0) == 0);
  CHECK(q.pipe({"run", "p.yaml", "--jobz", "2"})
            .err.rfind("pipe: error: --jobz: unknown option for pipe run (did you mean --jobs?)", 0) == 0);
  CHECK(q.pipe({"show", "nope"}).code == 2);
  CHECK(p.pipe({"show", "nope"}).err.rfind("pipe: error: no run 'nope' in results", 0) == 0);
}

TEST_CASE("--help after a command prints that command's usage and runs nothing", "[cli]") {
  Project p;
  CliResult help = p.pipe({"run", "p.yaml", "--help"});
  CHECK(help.code == 0);
  CHECK(help.err.empty());
  CHECK(help.out.rfind("usage: pipe run FILE [--set KEY=VALUE]...", 0) == 0);
  CHECK_FALSE(fs::exists(p.dir / "results"));
  CHECK(p.pipe({"gc", "-h"}).out.rfind("usage: pipe gc [--keep N] [--wait SECONDS]\n", 0) == 0);
  CHECK(p.pipe({"--help"}).out.rfind("usage: pipe COMMAND [ARGS]\n", 0) == 0);
}

TEST_CASE("a source file missing in any run stops before the first runs", "[cli][exit]") {
  Project p;
  write_text(p.dir / "exp.yaml", "pipeline: p.yaml\nvariants:\n  good: {}\n  bad: {src.path: nothere.txt}\n");
  CliResult r = p.pipe({"run", "exp.yaml"});
  CHECK(r.code == 2);
  CHECK(r.err.find("nothere.txt") != std::string::npos);
  CliResult runs = p.pipe({"runs", "--format", "json"});
  CHECK(runs.json().empty());
}

TEST_CASE("an experiment makes one named run per variant and they share stages", "[cli][experiment]") {
  Project p;
  write_text(p.dir / "exp.yaml", "pipeline: p.yaml\nvariants:\n  x: {s.epochs: 1}\n  y: {s.epochs: 3}\n");
  CliResult r = p.pipe({"run", "exp.yaml"});
  REQUIRE(r.code == 0);
  auto out = lines(r.out);
  REQUIRE(out.size() == 2);
  CHECK(std::regex_match(out[0], std::regex("run [0-9a-f]{12} exp/x done")));
  CHECK(std::regex_match(out[1], std::regex("run [0-9a-f]{12} exp/y done")));
  CHECK(p.statuses("exp/y") == std::vector<std::string>{"cached", "cached", "cached", "ran"});
  json runs = p.pipe({"runs", "--format", "json"}).json();
  CHECK(runs[1]["experiment"] == "exp");
  CHECK(runs[1]["variant"] == "y");
  CHECK(p.show("exp/y")["epochs"].size() == 3);
  // --variant runs one; the second time it is exp/x#2.
  CliResult one = p.pipe({"run", "exp.yaml", "--variant", "x"});
  CHECK(std::regex_match(one.out, std::regex("run [0-9a-f]{12} exp/x#2 done\n")));
  // --name starts a series of its own: NAME/variant, everything still cached.
  CliResult named = p.pipe({"run", "exp.yaml", "--variant", "y", "--name", "trial"});
  CHECK(std::regex_match(named.out, std::regex("run [0-9a-f]{12} trial/y done\n")));
  CHECK(p.statuses("trial/y") == std::vector<std::string>{"cached", "cached", "cached", "cached"});
  CHECK(p.pipe({"runs", "--format", "json"}).json().back()["experiment"] == "exp");
}

TEST_CASE("option --dry-run shows what would run and why", "[cli][dry-run]") {
  Project p;
  CliResult fresh = p.pipe({"run", "p.yaml", "--dry-run"});
  CHECK(fresh.code == 0);
  CHECK(fresh.out.find("src    source  run     new") != std::string::npos);
  REQUIRE(p.pipe({"run", "p.yaml"}).code == 0);
  CliResult changed = p.pipe({"run", "p.yaml", "--dry-run", "--set", "a.suffix=-b"});
  auto out = lines(changed.out);
  REQUIRE(out.size() == 6);
  CHECK(out[0] == "# demo+a.suffix=-b");  // compared with the runs named demo
  CHECK(out[1] == "stage  kind    action  reason          key");
  std::string src_key = p.show("demo")["stages"][0]["key"].get<std::string>().substr(0, 12);
  CHECK(out[2] == "src    source  cached                  " + src_key);
  CHECK(std::regex_match(out[3], std::regex("a      append  run     params changed  [0-9a-f]{12}")));
  CHECK(std::regex_match(out[4], std::regex("f      fork    run     input changed   [0-9a-f]{12}")));
  CHECK(std::regex_match(out[5], std::regex("s      score   run     input changed   [0-9a-f]{12}")));
  CHECK(p.pipe({"runs", "--format", "json"}).json().size() == 1);  // a dry run records nothing
}

TEST_CASE("option --jobs 2 runs independent stages in parallel", "[cli][jobs]") {
  Project p(
      "stages:\n"
      "  - {id: one, kind: sleep, seconds: 0.4, tag: one}\n"
      "  - {id: two, kind: sleep, seconds: 0.4, tag: two}\n");
  REQUIRE(p.pipe({"run", "p.yaml", "--jobs", "2"}).code == 0);
  json stages = p.show("p")["stages"];
  double s1 = stages[0]["metrics"]["started"], f1 = stages[0]["metrics"]["finished"];
  double s2 = stages[1]["metrics"]["started"], f2 = stages[1]["metrics"]["finished"];
  CHECK(s1 < f2);
  CHECK(s2 < f1);
  CHECK(p.pipe({"run", "p.yaml", "--jobs", "0"}).err ==
        "pipe: error: --jobs: must be at least 1 (got 0)\n  allowed: an integer ≥ 1, the stages run at once\n");
}

TEST_CASE("option --force reruns a stage and its downstream", "[cli][force]") {
  Project p;
  REQUIRE(p.pipe({"run", "p.yaml"}).code == 0);
  REQUIRE(p.pipe({"run", "p.yaml", "--force", "f"}).code == 0);
  CHECK(p.statuses("demo") == std::vector<std::string>{"cached", "cached", "ran", "ran"});
  CliResult bad = p.pipe({"run", "p.yaml", "--force", "nope"});
  CHECK(bad.code == 2);
  CHECK(bad.err == "pipe: error: --force: no stage 'nope'\n  stages: src, a, f, s, or all\n");
}

TEST_CASE("option --until runs a stage and what it needs, nothing downstream", "[cli][until]") {
  Project p;
  CliResult first = p.pipe({"run", "p.yaml", "--until", "a"});
  INFO(first.err);
  REQUIRE(first.code == 0);
  CHECK(p.statuses("demo") == std::vector<std::string>{"ran", "ran"});  // src, a
  REQUIRE(p.pipe({"run", "p.yaml"}).code == 0);
  CHECK(p.statuses("demo") == std::vector<std::string>{"cached", "cached", "ran", "ran"});
  CliResult bad = p.pipe({"run", "p.yaml", "--until", "nope"});
  CHECK(bad.code == 2);
  CHECK(bad.err == "pipe: error: --until: no stage 'nope'\n  stages: src, a, f, s\n");
}

TEST_CASE("pipe gc drops what no run references", "[cli][gc]") {
  Project p;
  REQUIRE(p.pipe({"run", "p.yaml"}).code == 0);
  std::string changed = kPipeline;
  changed.replace(changed.find("suffix: -a"), 10, "suffix: -b");
  write_text(p.dir / "p.yaml", changed);
  REQUIRE(p.pipe({"run", "p.yaml"}).code == 0);
  // Reports of both runs, as pipe report writes them.
  write_text(p.dir / "results/reports/demo/report.html", "first");
  write_text(p.dir / "results/reports/demo#2/report.html", "second");
  auto count = [&] {
    size_t n = 0;
    for (auto& e : fs::directory_iterator(p.dir / "results/artifacts")) n += e.is_directory();
    return n;
  };
  CHECK(count() == 7);  // src shared, a, f, s twice
  CliResult nothing = p.pipe({"gc"});
  CHECK(nothing.code == 0);
  CHECK(nothing.out == "gc: removed 0 runs, 0 artifacts (0.0 MB)\n");
  CHECK(count() == 7);
  CliResult keep = p.pipe({"gc", "--keep", "1"});
  CHECK(keep.code == 0);
  CHECK(keep.out.rfind("gc: removed 1 run, 3 artifacts", 0) == 0);
  CHECK(count() == 4);
  json runs = p.pipe({"runs", "--format", "json"}).json();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0]["name"] == "demo#2");
  CHECK_FALSE(fs::exists(p.dir / "results/reports/demo"));  // the deleted run's report goes with it
  CHECK(fs::exists(p.dir / "results/reports/demo#2/report.html"));
  // What is left still runs from the cache.
  REQUIRE(p.pipe({"run", "p.yaml"}).code == 0);
  CHECK(p.statuses("demo") == std::vector<std::string>{"cached", "cached", "cached", "cached"});
  CHECK(p.statuses("demo")[0] == "cached");
}

TEST_CASE("pipe graph prints dot; --results or PIPE_RESULTS chooses the folder", "[cli]") {
  Project p;
  CliResult dot = p.pipe({"graph", "p.yaml"});
  CHECK(dot.code == 0);
  CHECK(dot.out.rfind("digraph \"demo\" {", 0) == 0);
  CHECK(dot.out.find("\"f\" -> \"s\" [label=\"left\"];") != std::string::npos);
  REQUIRE(p.pipe({"run", "p.yaml", "--results", "elsewhere"}).code == 0);
  CHECK(fs::exists(p.dir / "elsewhere/pipe.db"));
  CHECK_FALSE(fs::exists(p.dir / "results"));
  CHECK(p.pipe({"runs", "--results", "elsewhere", "--format", "json"}).json().size() == 1);
  CHECK(p.pipe({"runs"}).code == 2);  // no ./results yet
  // PIPE_RESULTS when no --results is given.
  CHECK(run_cli(p.dir.path(), {"run", "p.yaml"}, {"PIPE_RESULTS=from-env"}).code == 0);
  CHECK(fs::exists(p.dir / "from-env/pipe.db"));
  CHECK(run_cli(p.dir.path(), {"runs", "--format", "json"}, {"PIPE_RESULTS=elsewhere"}).json().size() == 1);
  CHECK_FALSE(fs::exists(p.dir / "results"));
}

TEST_CASE("a parameter out of its range stops pipe run before anything runs", "[cli][range]") {
  Project p;
  CliResult r = p.pipe({"run", "p.yaml", "--set", "s.epochs=-3"});
  CHECK(r.code == 2);
  CHECK(r.err == "pipe: error: --set s.epochs: stage 's': epochs: must be at least 1 (got -3)\n"
                 "  allowed: an integer ≥ 1\n");
  CHECK(r.out.empty());
  CHECK_FALSE(fs::exists(p.dir / "results"));  // no run row, no artifact
  CHECK(p.pipe({"run", "p.yaml", "--dry-run", "--set", "s.epochs=0"}).code == 2);
}

TEST_CASE("a run with --set is named by its overrides and leaves the plain name alone", "[cli][names]") {
  Project p;
  REQUIRE(p.pipe({"run", "p.yaml"}).code == 0);
  CliResult quick = p.pipe({"run", "p.yaml", "--set", "s.epochs=1", "--set", "a.suffix=-b"});
  REQUIRE(quick.code == 0);
  CHECK(std::regex_match(quick.out, std::regex("run [0-9a-f]{12} demo\\+s\\.epochs=1\\+a\\.suffix=-b done\n")));
  // Compared with the plain runs: why its stages run.
  CHECK(quick.err.find("[a] running (params changed)") != std::string::npos);
  json plain = p.show("demo");
  CHECK(plain["name"] == "demo");
  CHECK(p.show("demo+s.epochs=1+a.suffix=-b")["epochs"].size() == 1);
  CHECK(plain["epochs"].size() == 2);
  // --name chooses the name itself.
  CliResult named = p.pipe({"run", "p.yaml", "--set", "s.epochs=1", "--name", "short"});
  CHECK(std::regex_match(named.out, std::regex("run [0-9a-f]{12} short done\n")));
}

TEST_CASE("pipe gc --keep takes at least 1", "[cli][gc]") {
  Project p;
  REQUIRE(p.pipe({"run", "p.yaml"}).code == 0);
  for (const char* keep : {"0", "-1"}) {
    CliResult r = p.pipe({"gc", "--keep", keep});
    CHECK(r.code == 2);
    CHECK(r.err == "pipe: error: --keep: must be at least 1 (got " + std::string(keep) +
                       ")\n  allowed: an integer ≥ 1, the latest runs kept per name; to drop every run, delete "
                       "the results folder\n");
  }
  CHECK(p.pipe({"runs", "--format", "json"}).json().size() == 1);
}

TEST_CASE("option errors say what is allowed", "[cli][options]") {
  Project p;
  auto err = [&](std::vector<std::string> args) {
    CliResult r = p.pipe(args);
    CHECK(r.code == 2);
    return r.err;
  };
  CHECK(err({"run", "p.yaml", "--set", "s.epochs", "3"}) ==
        "pipe: error: --set s.epochs: expected KEY=VALUE in one word, got 's.epochs' and '3'\n"
        "  write it with '=': --set s.epochs=3\n");
  CHECK(err({"run", "p.yaml", "--variant"}) == "pipe: error: --variant: needs a value\n  usage: --variant NAME\n");
  CHECK(err({"run", "p.yaml", "--jobs", "abc"}) ==
        "pipe: error: --jobs: expected an integer, got 'abc'\n  allowed: a whole number, e.g. --jobs N\n");
  CHECK(err({"run", "p.yaml", "--wait", "soon"}) ==
        "pipe: error: --wait: expected a number, got 'soon'\n  allowed: a number, e.g. --wait SECONDS\n");
  CHECK(err({"run", "p.yaml", "--dry-run=yes"}) ==
        "pipe: error: --dry-run: takes no value\n  --dry-run is a flag: give it alone\n");
  CHECK(err({"show", "a", "b"}) ==
        "pipe: error: pipe show: expected 1 argument, got 2: 'a', 'b'\n  usage: pipe show RUN [--format table|json]\n");
}
