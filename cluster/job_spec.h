// JobSpec — everything a stage job needs, resolved by the driver at plan
// time and written as JSON beside the job's work folder, so the job never
// opens the SQLite store: the stage's kind and validated parameters (with
// the positions they came from, for error messages), its seed and threads,
// its inputs with the results their producers stored (for input_metrics and
// input_table), the artifacts of other runs it builds on (run_artifact), and
// where to write: the temporary artifact folder, the final artifact folder,
// the checkpoint folder and the journal.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/stage.h"

namespace pipe::cluster {

struct JobInput {
  std::string param;  // the JSON pointer of the input parameter ("/data", "/models/1")
  InputRef ref;
  nlohmann::json metrics;                           // null when the producer stored none
  std::map<std::string, nlohmann::json> tables;     // by table name
};

struct JobSpec {
  std::string pipe_version;  // the driver's; a job run by another pipe refuses to start
  std::string stage_id, kind;
  nlohmann::json params;
  std::map<std::string, Mark> marks;  // by JSON pointer
  Mark stage_mark;                    // the stage's own position, for keys without one
  long long seed = 0;
  int threads = 1;
  RunInfo run;
  std::string key;
  std::string tmp_dir;       // the artifact is written here ...
  std::string artifact_dir;  // ... and renamed here when the stage succeeds
  std::string work_dir;      // checkpoints; survives a requeue
  std::string journal;
  std::vector<JobInput> inputs;
  // run_artifact(run, kind) answers resolved at plan time, by "run|kind".
  std::map<std::string, JobInput> run_artifacts;
};

nlohmann::json to_json(const JobSpec& spec);
// Throws pipe::Error naming `origin` when the JSON is not a job spec.
JobSpec job_spec_from_json(const nlohmann::json& j, const std::string& origin);

}  // namespace pipe::cluster
