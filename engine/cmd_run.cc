// pipe run FILE and pipe graph FILE.

#include "engine/posix.h"  // first: see posix.h
#include <cstdio>
#include <filesystem>
#include <memory>

#include "engine/cli.h"
#include "engine/config.h"
#include "engine/environment.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/lock.h"
#include "engine/paths.h"
#include "engine/table.h"

namespace pipe {

namespace {

std::string require_file(const std::string& file) {
  if (!std::filesystem::is_regular_file(file))
    throw ConfigError("no such file").at(file).hint("pipe run takes a pipeline or experiment YAML file");
  return file;
}

int cmd_run(const Args& args) {
  std::string file = require_file(args.positional()[0]);
  ExpandOptions expand;
  for (const auto& s : args.all("set")) expand.sets.push_back(parse_set(s));
  expand.variant = args.get("variant");
  expand.name = args.get("name");
  expand.point = args.get_int("point", -1);
  ExecOptions exec;
  exec.jobs = args.at_least("jobs", 1, 1, "the stages run at once");
  exec.threads = args.at_least("threads", default_threads(), 1, "the threads all stages share");
  for (const auto& f : args.all("force")) exec.force.insert(f);

  // Everything that can be checked is checked before anything runs.
  std::vector<RunSpec> runs = expand_runs(file, expand);
  std::vector<Graph> graphs;
  for (const auto& r : runs) graphs.push_back(Graph::build(r.pipeline, Registry::global()));
  auto check_stage = [&](const std::string& id, const char* option, const char* also) {
    if (graphs.front().index_of(id) >= 0) return;
    std::vector<std::string> ids;
    for (const auto& s : graphs.front().stages()) ids.push_back(s.spec.id);
    throw ConfigError("no stage '" + id + "'").at(option).hint("stages: " + join(ids) + also);
  };
  for (const auto& f : exec.force)
    if (f != "all") check_stage(f, "--force", ", or all");
  if (args.has("until")) {
    std::string until = args.get("until");
    check_stage(until, "--until", "");
    for (auto& g : graphs) g = Graph::build(g.upstream_of(until), Registry::global());
  }

  bool dry = args.flag("dry-run");
  std::string results = args.results_dir();
  std::unique_ptr<ResultsLock> lock;
  if (!dry) lock = std::make_unique<ResultsLock>(results, args.get_double("wait", 0));
  Store store(results);
  RealDisk disk;
  if (!dry) {
    if (int n = store.mark_interrupted(/*holding_lock=*/true))
      std::fprintf(stderr, "pipe: %d run%s left running by a killed process marked interrupted\n", n,
                   n == 1 ? "" : "s");
    // Half-written artifacts of killed processes; nobody else writes here
    // while we hold the lock.
    std::string tmp = join_path(results, "tmp");
    if (std::filesystem::exists(tmp))
      for (const auto& name : disk.list_dir(tmp)) disk.remove_all(join_path(tmp, name));
  }
  apply_threads(exec.threads);
  Progress progress;
  Executor exe(store, disk, progress, exec);
  // Source files of every run must exist before the first run starts; each
  // run is planned again just before it runs, to see what earlier ones made.
  if (runs.size() > 1)
    for (size_t r = 0; r < runs.size(); ++r) exe.plan(graphs[r], store.compared_name(runs[r].name, runs[r].plain_name));

  std::string out;
  int code = 0;
  for (size_t r = 0; r < runs.size(); ++r) {
    const RunSpec& spec = runs[r];
    const Graph& graph = graphs[r];
    std::vector<PlannedStage> plan = exe.plan(graph, store.compared_name(spec.name, spec.plain_name));
    if (dry) {
      Table t({"stage", "kind", "action", "reason", "key"});
      for (int i : graph.order())
        t.add({graph.stages()[i].spec.id, graph.stages()[i].spec.kind, plan[i].cached ? "cached" : "run",
               plan[i].cached ? "" : plan[i].reason, plan[i].key.substr(0, 12)});
      out += "# " + spec.name + "\n" + t.text();
      continue;
    }
    RunRecord rec;
    rec.base_name = spec.name;
    rec.experiment = spec.experiment;
    rec.variant = spec.variant;
    rec.seed = spec.seed;
    rec.point = spec.point;
    rec.file = absolute_path(file);
    rec.status = "running";
    rec.started = now_seconds();
    rec.pid = static_cast<int>(::getpid());
    rec.command = args.command_line();
    for (const auto& [k, v] : spec.overrides) rec.overrides[k] = v;
    rec.env = capture_environment(exec.threads, args.command_line());
    rec.env["seed"] = spec.seed;
    rec.env["jobs"] = exec.jobs;
    rec = store.create_run(rec);
    progress.line("run " + rec.name + " (" + rec.id + ")");
    std::optional<Error> error;
    std::string status = exe.execute(graph, plan, rec, &error);
    if (error) {
      code = 1;
      progress.clear();
      std::fprintf(stderr, "%s\n", error->format().c_str());
    }
    out += "run " + rec.id + " " + rec.name + " " + status + "\n";
  }
  std::fputs(out.c_str(), stdout);
  return code;
}

int cmd_graph(const Args& args) {
  std::string file = require_file(args.positional()[0]);
  ExpandOptions expand;
  for (const auto& s : args.all("set")) expand.sets.push_back(parse_set(s));
  expand.variant = args.get("variant");
  std::vector<RunSpec> runs = expand_runs(file, expand);
  Graph graph = Graph::build(runs.front().pipeline, Registry::global());
  std::fputs(graph.dot().c_str(), stdout);
  return 0;
}

}  // namespace

void register_run_commands() {
  register_command({"run",
                    "FILE [--set KEY=VALUE]... [--variant NAME] [--point I] [--jobs N] [--threads N] "
                    "[--dry-run] [--force STAGE|all]... [--until STAGE] [--name NAME] [--wait SECONDS]",
                    "run a pipeline or every run of an experiment; unchanged stages come from the cache",
                    {"set", "variant", "point", "jobs", "threads", "force", "until", "name", "wait"},
                    {"dry-run"},
                    1,
                    1,
                    cmd_run});
  register_command({"graph",
                    "FILE [--variant NAME] [--set KEY=VALUE]...",
                    "print the stage DAG as GraphViz dot",
                    {"set", "variant"},
                    {},
                    1,
                    1,
                    cmd_graph});
}

}  // namespace pipe
