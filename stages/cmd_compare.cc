// pipe compare RUN RUN [RUN...] [--format table|md|csv|json] [--only-diff] [--all]
// pipe compare EXPERIMENT.yaml [...]
//
// Runs side by side: the parameters that differ (first), headline metrics
// with Δ against the first run, per-class F1 with deltas, the confusion cells
// that changed, McNemar's exact test and a paired bootstrap CI of the
// accuracy difference when runs were scored on the same test set (refused,
// with the reason, otherwise), and mean ± std over the seeds of a variant.
// Parameters are those each run recorded in the store as it ran (so editing
// the YAML file afterwards changes nothing here).  Parameters equal in all
// runs and at their stage kind's default are left out of the table, md and
// csv output, with a line saying how many (not in csv); --all lists them,
// --only-diff lists only those that differ, JSON always has them all.
// A RUN is an id, a unique id prefix or a name; a YAML file stands for the
// latest run of each run it defines (every variant, seed and grid point).
// Options: --resamples N (bootstrap, default 10000), --seed S (default 1).
// JSON shape: report/compare.h.
#include "engine/posix.h"  // first: see posix.h

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "engine/cli.h"
#include "engine/config.h"
#include "engine/error.h"
#include "engine/store.h"
#include "report/compare.h"
#include "report/table_format.h"
#include "stages/report_commands.h"
#include "stages/run_records.h"

namespace pipe {

namespace {

bool is_yaml_file(const std::string& arg) {
  std::string ext = std::filesystem::path(arg).extension().string();
  return (ext == ".yaml" || ext == ".yml") && std::filesystem::is_regular_file(arg);
}

// The runs named by the arguments, in order, each once.
std::vector<RunRecord> resolve_runs(const Store& store, const std::vector<std::string>& args) {
  std::vector<RunRecord> runs;
  auto add = [&](const RunRecord& r) {
    for (const auto& have : runs)
      if (have.id == r.id) return;
    runs.push_back(r);
  };
  for (const auto& arg : args) {
    if (!is_yaml_file(arg)) {
      add(store.find_run(arg));
      continue;
    }
    int found = 0;
    for (const auto& spec : expand_runs(arg, {})) {
      try {
        add(store.find_run(spec.name));
        ++found;
      } catch (const Error&) {
        std::fprintf(stderr, "pipe: warning: %s has not been run\n", spec.name.c_str());
      }
    }
    if (found == 0)
      throw ConfigError("no run of this file has been recorded").at(arg).hint("run it first: pipe run " + arg);
  }
  return runs;
}

int cmd_compare(const Args& args) {
  report::TableFormat format = report::parse_table_format(args.get("format", "table"));
  auto store = Store::open_existing(args.results_dir());
  std::vector<RunRecord> runs = resolve_runs(*store, args.positional());
  if (runs.size() < 2)
    throw ConfigError("compare needs at least two runs, got " + std::to_string(runs.size()))
        .hint("pipe compare RUN RUN [RUN...], or an experiment file with several runs");
  std::vector<report::CompareRun> data;
  for (const auto& r : runs) data.push_back(compare_run(*store, r));
  report::CompareOptions options;
  options.only_diff = args.flag("only-diff");
  options.all = args.flag("all");
  options.resamples = args.get_int("resamples", 10000);
  options.seed = static_cast<uint64_t>(args.get_int("seed", 1));
  if (options.resamples < 100)
    throw ConfigError("--resamples must be at least 100").at("--resamples");
  report::Comparison c = report::compare_runs(std::move(data), options);
  bool color = format == report::TableFormat::kText && report::stdout_is_terminal() && !std::getenv("NO_COLOR");
  std::string out = report::render_comparison(c, format, color);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void register_compare_command() {
  register_command({"compare",
                    "RUN RUN [RUN...] | EXPERIMENT.yaml [--format table|md|csv|json] [--only-diff] [--all]",
                    "runs side by side: parameter diff, metrics with deltas, per-class F1, paired tests;\n"
                    "      table, md and csv hide parameters equal in all runs and at their defaults\n"
                    "      (--all shows them; json lists every parameter)",
                    {"format", "resamples", "seed"}, {"only-diff", "all"}, 1, 1000, cmd_compare});
}

}  // namespace pipe
