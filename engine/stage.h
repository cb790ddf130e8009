// Stage — one step of a pipeline, and what the engine hands it while it runs.
//
// A stage kind (StageKind) declares its keys (a Schema), its named outputs,
// and whether it draws random numbers (then the pipeline seed joins its
// parameters, and so its cache key).  The engine validates the YAML, computes
// the cache key, and calls run() only when no artifact with that key exists.
// run() writes files into ctx.output_path(); the engine renames the folder
// into results/artifacts/<key>/ when run() returns.  A cached stage's
// reuse() runs instead (by default it does nothing).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/disk.h"
#include "engine/error.h"
#include "engine/schema.h"

namespace pipe {

class Progress;

// An upstream artifact as a consumer sees it.
struct InputRef {
  std::string stage;   // producing stage id
  std::string kind;    // producing stage kind
  std::string output;  // output name ("" when the producer has one output)
  std::string dir;     // results/artifacts/<key>/
  std::string key;
};

// Whether an input edge at JSON pointer `input_param` ("/data", "/models/1")
// belongs to the parameter named `param` ("data", "models").
inline bool input_param_matches(const std::string& input_param, const std::string& param) {
  return input_param == "/" + param || input_param.rfind("/" + param + "/", 0) == 0;
}

struct RunInfo {
  std::string id;
  std::string name;
  std::string results_dir;
};

class StageContext {
 public:
  virtual ~StageContext() = default;

  virtual const std::string& stage_id() const = 0;
  virtual const nlohmann::json& params() const = 0;
  // Where a parameter came from, by JSON pointer ("/epochs"), for errors.
  virtual Mark mark(const std::string& pointer) const = 0;
  virtual long long seed() const = 0;
  virtual int threads() const = 0;
  virtual const RunInfo& run() const = 0;

  // The artifact bound to an input-typed parameter (kInput or a list of them).
  virtual bool has_input(const std::string& param) const = 0;
  virtual InputRef input(const std::string& param) const = 0;
  virtual std::vector<InputRef> inputs(const std::string& param) const = 0;

  // A file inside this stage's (not yet published) artifact folder.
  virtual std::string output_path(const std::string& name) const = 0;
  // A folder that survives a killed attempt at this same cache key, for
  // checkpoints; removed once the artifact is published.
  virtual std::string work_dir() const = 0;
  virtual Disk& disk() = 0;

  // Results stored with the artifact (and so shown for cached stages too).
  virtual void metric(const std::string& name, double value) = 0;
  virtual void table(const std::string& name, const nlohmann::json& value) = 0;
  // One row of per-epoch history, committed at once.
  virtual void epoch(const nlohmann::json& row) = 0;

  virtual Progress& progress() = 0;
  // A line on stderr, prefixed with the stage id.
  virtual void log(const std::string& line) = 0;

  // The artifact folder of stage `stage_kind` in run `run` (id, prefix or
  // name), for stages that build on another run (transfer learning).  A
  // stage id of that run works too.
  virtual InputRef run_artifact(const std::string& run, const std::string& stage_kind) = 0;

  // What a producer stored with its artifact through metric() and table()
  // (a split's class counts, an evaluation's confusion matrix), for an input
  // or a run_artifact(); null when it stored none.
  virtual nlohmann::json input_metrics(const InputRef& input) const;
  virtual nlohmann::json input_table(const InputRef& input, const std::string& name) const;
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual void run(StageContext& ctx) = 0;
  // Called instead of run() when a run finds this stage's artifact in the
  // cache, for what belongs to the run rather than to the artifact (the
  // report stage publishes its report under the new run's name).  Here
  // output_path() names files of the published artifact, which must not
  // change, and metric(), table() and epoch() record nothing.  An error
  // fails the stage like an error in run().
  virtual void reuse(StageContext& ctx) {}
};

struct StageKind {
  std::string kind;
  int version = 1;  // bump when the implementation's output changes
  std::string doc;
  Schema schema;
  std::vector<std::string> outputs;  // empty: one output, referenced by the stage id
  bool uses_seed = false;
  std::function<std::unique_ptr<Stage>()> create;
};

// Stage kinds by name.  The pipe binary fills the global registry once at
// start-up; kinds are listed in registration order in messages.
class Registry {
 public:
  static Registry& global();
  // Adds a kind, replacing one of the same name.  A kind that uses_seed gets
  // an optional integer `seed` key (default: the pipeline's seed).
  void add(StageKind kind);
  const StageKind* find(const std::string& kind) const;  // nullptr if unknown
  std::vector<std::string> kinds() const;

 private:
  std::vector<StageKind> kinds_;
};

// Fills Registry::global().  The pipe binary links stages/register.cc; the
// engine's tests link fake stages instead.
void register_builtin_stages();

}  // namespace pipe
