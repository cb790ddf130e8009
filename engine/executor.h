// Executor — decides which stages of a run must run, runs them, records it.
//
// plan() computes every stage's cache key before anything runs (a key
// depends only on the stage's kind, version, parameters, source-file
// contents and its producers' keys), so a dry run can say exactly what would
// run and why.  execute() runs the stages that have no published artifact,
// up to `jobs` at a time, calls the reuse() hook of those it finds in the
// cache, and records every state change in the store.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/graph.h"
#include "engine/hash.h"
#include "engine/progress.h"
#include "engine/store.h"

namespace pipe {

struct ExecOptions {
  int jobs = 1;
  int threads = 1;
  std::set<std::string> force;  // stage ids to run even when cached; "all" forces every stage
};

struct PlannedStage {
  int index = -1;
  std::string key;
  std::string params_hash, inputs_hash, sources_hash;
  // Runs named by file-or-run parameters (init_from): (reference, stage) →
  // the artifact resolved at plan time, whose key is part of this stage's.
  std::map<std::pair<std::string, std::string>, InputRef> run_artifacts;
  bool cached = false;
  bool forced = false;  // by --force, or downstream of a forced stage
  // Why it runs: new | params changed | input changed | source files changed |
  // implementation changed | previous attempt failed | previous attempt
  // interrupted | skipped last time | artifact missing | forced | upstream
  // forced; "cached" otherwise.
  std::string reason;
};

class Executor {
 public:
  Executor(Store& store, Disk& disk, Progress& progress, ExecOptions options);

  // Keys and reasons for every stage, indexed like graph.stages().
  // `base_name` is the run's name without "#N": reasons compare with the
  // latest run of that name.  Throws ConfigError when a source file is
  // missing, or a run named by a file-or-run parameter has no finished stage
  // of the kind it names.  A run planned earlier by this executor stands for
  // its base name (it will be the latest of that name when a later run of the
  // same command starts), so an experiment can name its own earlier runs.
  std::vector<PlannedStage> plan(const Graph& graph, const std::string& base_name);
  // Runs the plan as `run`; returns the run's final status: done or failed.
  // The error of a failed run (the first failed stage's, whole: hint and
  // position kept, "stage 'id'" as its context) is recorded with the run and
  // put in *run_error.
  std::string execute(const Graph& graph, const std::vector<PlannedStage>& plan, const RunRecord& run,
                      std::optional<Error>* run_error = nullptr);

 private:
  Store& store_;
  Disk& disk_;
  Progress& progress_;
  ExecOptions options_;
  Fingerprinter fingerprints_;
  // Base name → its stages as planned (id, kind, key), for the above.
  std::map<std::string, std::vector<InputRef>> planned_runs_;

  // The artifact of stage `stage` (id, else last of that kind) of run `ref`,
  // while planning the run named `planning`.
  InputRef resolve_run(const std::string& ref, const std::string& stage, const std::string& planning);
};

}  // namespace pipe
