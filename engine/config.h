// Pipelines and experiments as pipe reads them from YAML.
//
// A pipeline file lists stages; an experiment file names a pipeline and
// derives runs from it: variants (dotted-key overrides), an optional grid
// (cartesian product of values) and seeds.  expand_runs() turns either kind
// of file plus `--set` overrides into the concrete runs to execute.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/node.h"

namespace pipe {

struct StageSpec {
  std::string id;
  std::string kind;
  Mark mark;     // the stage's entry in the pipeline file
  Mark id_mark;  // its `id:` value
  Mark kind_mark;
  Node params;  // the entry without id and kind
};

struct PipelineSpec {
  std::string name;
  std::string file;  // absolute
  long long seed = 0;
  std::vector<StageSpec> stages;
  const StageSpec* find(const std::string& id) const;
};

// One dotted-key override: "train.epochs" = 3.  `value` carries its own
// position and the folder its relative paths resolve against.
struct Override {
  std::string key;
  Node value;
  Mark key_mark;  // for --set: file "--set train.epochs", line 0
};

// Parses "KEY=VALUE" from the command line; the value is YAML (so lists and
// mappings work) and relative paths in it resolve against the current folder.
Override parse_set(const std::string& arg);

struct RunSpec {
  std::string name;        // before any "#N" suffix; "+KEY=VALUE" per --set unless --name is given
  std::string plain_name;  // the name without the --set part
  std::string experiment;  // empty for a plain pipeline run
  std::string variant;
  long long seed = 0;
  int point = -1;                                              // grid point, or -1
  PipelineSpec pipeline;                                       // with every override applied
  std::vector<std::pair<std::string, std::string>> overrides;  // key, value as written
};

struct ExpandOptions {
  std::vector<Override> sets;  // --set, applied last
  std::string variant;         // --variant: run only this one
  std::string name;            // --name: a pipeline run's name, or what replaces the experiment's
                               // name in its runs' names (NAME/variant/...); with it, --set
                               // adds nothing to the names
  int point = -1;              // --point: run only this grid point
};

// Reads a pipeline file (name, seed, stages).  Throws ConfigError.
PipelineSpec load_pipeline(const std::string& file);
// The runs a pipeline or experiment file describes, in order (variant, then
// seed, then grid point), each with its overrides and --set applied and its
// name before any "#N".  Throws ConfigError; stage kinds and keys are
// checked later, by Graph::build.
std::vector<RunSpec> expand_runs(const std::string& file, const ExpandOptions& options);

// Applies one override to a pipeline.  Throws ConfigError at the override.
void apply_override(PipelineSpec& pipeline, const Override& o);

}  // namespace pipe
