// Store — results/pipe.db: runs, stage runs, stage results (the artifact
// registry with metrics and tables), per-epoch history, evaluations and the
// file-hash cache.  SQLite in WAL mode with a busy timeout; every state
// change is one IMMEDIATE transaction, so a kill at any moment leaves the
// database at the last committed state.  The schema version lives in
// PRAGMA user_version; an older database is migrated when opened, a newer
// one is refused clearly.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/hash.h"

namespace SQLite {
class Database;
}

namespace pipe {

using json = nlohmann::json;

struct RunRecord {
  std::string id;
  std::string name;  // with "#N" when not the first of its base name
  std::string base_name;
  std::string experiment;
  std::string variant;
  long long seed = 0;
  int point = -1;
  std::string file;    // the YAML file run
  std::string status;  // running | done | failed | interrupted
  std::string error;       // a failed run's error line (Error::line())
  std::string error_hint;  // and its line saying what to do (Error::hint_text()), or ""
  double started = 0;  // unix seconds
  double finished = 0;
  int pid = 0;
  json overrides = json::object();
  json env = json::object();
  std::string command;
};

struct StageRunRecord {
  std::string run_id;
  std::string stage_id;
  std::string kind;
  std::string key;
  std::string status;  // pending | running | ran | cached | failed | skipped | interrupted
  std::string reason;  // why it ran: new | params changed | input changed | ...
  std::string error;
  double seconds = 0;
  std::string params_hash, inputs_hash, sources_hash;
  // The stage's parameters as it ran them (validated, defaults filled, paths
  // absolute); null for stage runs recorded before schema version 2.
  json params;
  int position = 0;  // order in the pipeline
};

struct StageResult {
  std::string key;
  std::string kind;
  json metrics = json::object();
  double seconds = 0;
};

class Store : public HashCache {
 public:
  // 1: the first; 2: stage_runs.params; 3: runs.error_hint.
  static constexpr int kSchemaVersion = 3;
  // Files modified less than this long ago are always hashed afresh.
  static constexpr double kRacySeconds = 2.0;

  // Opens (creating if needed) results_dir/pipe.db, migrating an older
  // schema.  Throws a ConfigError when the database has a newer schema
  // version or is not a database.
  explicit Store(const std::string& results_dir);
  ~Store() override;
  // For commands that read results (show, compare, predict ...): opens an
  // existing results_dir/pipe.db, or throws a ConfigError saying there is
  // none, and marks runs whose process is gone as interrupted.
  static std::unique_ptr<Store> open_existing(const std::string& results_dir);
  // Whether results_dir holds a results database.
  static bool exists(const std::string& results_dir);

  const std::string& results_dir() const { return dir_; }
  std::string artifact_dir(const std::string& key) const;

  // Runs.
  RunRecord create_run(RunRecord run);  // assigns id and name
  void finish_run(const std::string& run_id, const std::string& status, const std::string& error,
                  const std::string& error_hint = "");
  // Marks runs left `running` by a process that no longer exists as
  // interrupted (their running stages too; their pending stages become
  // skipped), in one transaction; returns how many.  A caller holding the
  // results lock passes holding_lock: then every `running` run is such a run.
  int mark_interrupted(bool holding_lock = false);
  std::vector<RunRecord> runs() const;
  // Deletes runs with their stage runs and evaluations (not their artifacts).
  void delete_runs(const std::vector<std::string>& run_ids);
  // Keys any recorded stage run points at.
  std::set<std::string> referenced_keys() const;
  // By id, name ("demo#2"; a name without "#" means its latest run, "#1"
  // its first), or unique id prefix.  Throws a ConfigError when none or
  // several match.
  RunRecord find_run(const std::string& ref) const;
  // The runs a new run's stages are compared with to say why they run: those
  // named `name` when there are any, else those named `plain_name` (a first
  // run with --set, "demo+a.x=1", is compared with the plain runs it varies).
  std::string compared_name(const std::string& name, const std::string& plain_name) const;

  // Stage runs.
  void put_stage_run(const StageRunRecord& rec);  // insert or replace
  std::vector<StageRunRecord> stage_runs(const std::string& run_id) const;
  // The latest recorded stage run of `stage_id` in runs named `base_name`.
  std::optional<StageRunRecord> previous_stage_run(const std::string& base_name,
                                                   const std::string& stage_id) const;
  // The finished (ran or cached) stage of a run whose artifact is published:
  // the stage with id `stage`, else the last stage of kind `stage`.
  std::optional<StageRunRecord> finished_stage(const std::string& run_id, const std::string& stage) const;

  // Stage results: the artifact registry.
  bool has_result(const std::string& key) const;
  std::optional<StageResult> result(const std::string& key) const;
  // Publishes a result and marks the stage run, in one transaction.
  void publish(const StageResult& result, const json& tables, const StageRunRecord& stage_run);
  void drop_result(const std::string& key);
  std::vector<std::string> result_keys() const;
  json tables(const std::string& key) const;                          // {name: value}
  json table(const std::string& key, const std::string& name) const;  // null if absent

  // Per-epoch history of a stage key.
  void put_epoch(const std::string& key, const json& row);
  json epochs(const std::string& key) const;  // array ordered by epoch
  void clear_epochs_after(const std::string& key, int epoch);

  // Evaluations of a run on new data (pipe evaluate).
  void add_evaluation(const std::string& run_id, const std::string& source, const json& result);
  json evaluations(const std::string& run_id) const;

  // HashCache.
  bool lookup(const std::string& path, const FileStat& st, std::string* hash) override;
  void remember(const std::string& path, const FileStat& st, const std::string& hash) override;
  // Loads every cached file hash at once (one query instead of one per file).
  void preload_hashes();
  // Writes remembered hashes in one transaction.
  void flush_hashes();

  // Runs fn inside BEGIN IMMEDIATE ... COMMIT (rolled back if fn throws).
  void transaction(const std::function<void()>& fn);

 private:
  void migrate();
  std::string dir_;
  std::unique_ptr<SQLite::Database> db_;
  mutable std::recursive_mutex mu_;
  std::map<std::string, std::tuple<int64_t, int64_t, std::string>> hash_memo_;
  std::vector<std::tuple<std::string, FileStat, std::string>> pending_hashes_;
  bool hashes_loaded_ = false;
  int transaction_depth_ = 0;
};

double now_seconds();

}  // namespace pipe
