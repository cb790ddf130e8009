#include "engine/posix.h"  // first: see posix.h
#include "engine/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "engine/error.h"
#include "engine/paths.h"
#include "engine/schema.h"

namespace pipe {

double now_seconds() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

namespace {

const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS runs(
  id TEXT PRIMARY KEY, name TEXT NOT NULL, base_name TEXT NOT NULL, experiment TEXT, variant TEXT,
  seed INTEGER, point INTEGER, file TEXT, status TEXT NOT NULL, error TEXT, started REAL, finished REAL,
  pid INTEGER, overrides TEXT, env TEXT, command TEXT, error_hint TEXT);
CREATE INDEX IF NOT EXISTS runs_by_base ON runs(base_name, started);
CREATE TABLE IF NOT EXISTS stage_runs(
  run_id TEXT NOT NULL, stage_id TEXT NOT NULL, kind TEXT, key TEXT, status TEXT, reason TEXT,
  error TEXT, seconds REAL, params_hash TEXT, inputs_hash TEXT, sources_hash TEXT, position INTEGER,
  params TEXT, PRIMARY KEY(run_id, stage_id));
CREATE TABLE IF NOT EXISTS results(
  key TEXT PRIMARY KEY, kind TEXT, metrics TEXT, seconds REAL, created REAL);
CREATE TABLE IF NOT EXISTS result_tables(
  key TEXT NOT NULL, name TEXT NOT NULL, value TEXT, PRIMARY KEY(key, name));
CREATE TABLE IF NOT EXISTS epochs(
  key TEXT NOT NULL, epoch INTEGER NOT NULL, row TEXT, PRIMARY KEY(key, epoch));
CREATE TABLE IF NOT EXISTS evaluations(
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, source TEXT, created REAL, result TEXT);
CREATE TABLE IF NOT EXISTS file_hashes(
  path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, hash TEXT);
)SQL";

std::string new_run_id() {
  static std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(now_seconds() * 1e6) ^
                             static_cast<uint64_t>(::getpid()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
  return buf;
}

RunRecord read_run(SQLite::Statement& q) {
  RunRecord r;
  r.id = q.getColumn(0).getString();
  r.name = q.getColumn(1).getString();
  r.base_name = q.getColumn(2).getString();
  r.experiment = q.getColumn(3).getString();
  r.variant = q.getColumn(4).getString();
  r.seed = q.getColumn(5).getInt64();
  r.point = q.getColumn(6).getInt();
  r.file = q.getColumn(7).getString();
  r.status = q.getColumn(8).getString();
  r.error = q.getColumn(9).getString();
  r.started = q.getColumn(10).getDouble();
  r.finished = q.getColumn(11).getDouble();
  r.pid = q.getColumn(12).getInt();
  r.overrides = json::parse(q.getColumn(13).getString(), nullptr, false);
  r.env = json::parse(q.getColumn(14).getString(), nullptr, false);
  r.command = q.getColumn(15).getString();
  r.error_hint = q.getColumn(16).getString();
  return r;
}

const char* kRunColumns =
    "id, name, base_name, experiment, variant, seed, point, file, status, error, started, finished, "
    "pid, overrides, env, command, error_hint";

StageRunRecord read_stage_run(SQLite::Statement& q) {
  StageRunRecord s;
  s.run_id = q.getColumn(0).getString();
  s.stage_id = q.getColumn(1).getString();
  s.kind = q.getColumn(2).getString();
  s.key = q.getColumn(3).getString();
  s.status = q.getColumn(4).getString();
  s.reason = q.getColumn(5).getString();
  s.error = q.getColumn(6).getString();
  s.seconds = q.getColumn(7).getDouble();
  s.params_hash = q.getColumn(8).getString();
  s.inputs_hash = q.getColumn(9).getString();
  s.sources_hash = q.getColumn(10).getString();
  s.position = q.getColumn(11).getInt();
  if (!q.getColumn(12).isNull()) s.params = json::parse(q.getColumn(12).getString(), nullptr, false);
  return s;
}

const char* kStageRunColumns =
    "run_id, stage_id, kind, key, status, reason, error, seconds, params_hash, inputs_hash, "
    "sources_hash, position, params";

void refuse_newer(int version, const std::string& dir) {
  if (version > Store::kSchemaVersion)
    throw ConfigError("results database has schema version " + std::to_string(version) +
                      ", this pipe uses version " + std::to_string(Store::kSchemaVersion))
        .at(display_path(join_path(dir, "pipe.db")))
        .hint("use a pipe of the matching version, or another --results folder");
}

// Reads before anything writes, so a refused file keeps its bytes.
void check_readable(SQLite::Database& db, const std::string& dir) {
  refuse_newer(db.execAndGet("PRAGMA user_version").getInt(), dir);
  // Parses the whole schema: a damaged first page or schema fails here.
  db.execAndGet("SELECT count(*) FROM sqlite_master");
}

}  // namespace

Store::Store(const std::string& results_dir) : dir_(results_dir) {
  std::string path = join_path(results_dir, "pipe.db");
  try {
    std::error_code ec;
    std::filesystem::create_directories(results_dir, ec);
    db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db_->setBusyTimeout(10000);
    // A database of a newer pipe, or one whose schema is damaged, is
    // refused with its bytes as they were.
    check_readable(*db_, results_dir);
    db_->exec("PRAGMA journal_mode=WAL");
    db_->exec("PRAGMA synchronous=NORMAL");
    db_->exec("PRAGMA foreign_keys=ON");
    migrate();
  } catch (const SQLite::Exception& e) {
    throw ConfigError(std::string("cannot open the results database: ") + e.what())
        .at(display_path(path))
        .hint("point --results / PIPE_RESULTS at a folder pipe created, or at a new one");
  }
}

bool Store::exists(const std::string& results_dir) {
  return std::filesystem::exists(join_path(results_dir, "pipe.db"));
}

std::unique_ptr<Store> Store::open_existing(const std::string& results_dir) {
  if (!exists(results_dir))
    throw ConfigError("no results database here")
        .at(display_path(join_path(results_dir, "pipe.db")))
        .hint("run `pipe run FILE` first, or point --results / PIPE_RESULTS at a results folder");
  auto store = std::make_unique<Store>(results_dir);
  store->mark_interrupted();
  return store;
}

Store::~Store() {
  try {
    flush_hashes();
  } catch (...) {
  }
}

void Store::migrate() {
  auto refuse_newer = [&](int version) { pipe::refuse_newer(version, dir_); };
  int version = db_->execAndGet("PRAGMA user_version").getInt();
  refuse_newer(version);
  if (version == kSchemaVersion) return;
  transaction([&] {
    // Read again under the write lock: another process may have migrated.
    int v = db_->execAndGet("PRAGMA user_version").getInt();
    refuse_newer(v);
    if (v == kSchemaVersion) return;
    if (v == 0) {
      db_->exec(kSchema);  // a new database gets the latest schema at once
    } else {
      if (v < 2) db_->exec("ALTER TABLE stage_runs ADD COLUMN params TEXT");
      if (v < 3) db_->exec("ALTER TABLE runs ADD COLUMN error_hint TEXT");
    }
    db_->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  });
}

void Store::transaction(const std::function<void()>& fn) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  // A state change made of smaller ones stays one transaction.
  if (transaction_depth_ > 0) {
    fn();
    return;
  }
  struct Depth {
    int& d;
    explicit Depth(int& d) : d(d) { ++d; }
    ~Depth() { --d; }
  } depth(transaction_depth_);
  SQLite::Transaction t(*db_, SQLite::TransactionBehavior::IMMEDIATE);
  fn();
  t.commit();
}

std::string Store::artifact_dir(const std::string& key) const {
  return join_path(join_path(dir_, "artifacts"), key);
}

RunRecord Store::create_run(RunRecord run) {
  transaction([&] {
    // The next number after the highest in use, so deleted runs never make
    // a name come back.
    SQLite::Statement names(*db_, "SELECT name FROM runs WHERE base_name = ?");
    names.bind(1, run.base_name);
    int highest = 0;
    while (names.executeStep()) {
      std::string name = names.getColumn(0).getString();
      size_t hash = name.rfind('#');
      int n =
          hash == std::string::npos || hash < run.base_name.size() ? 1 : std::atoi(name.c_str() + hash + 1);
      highest = std::max(highest, n);
    }
    run.name = highest == 0 ? run.base_name : run.base_name + "#" + std::to_string(highest + 1);
    run.id = new_run_id();
    SQLite::Statement q(
        *db_, std::string("INSERT INTO runs(") + kRunColumns + ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    q.bind(1, run.id);
    q.bind(2, run.name);
    q.bind(3, run.base_name);
    q.bind(4, run.experiment);
    q.bind(5, run.variant);
    q.bind(6, static_cast<int64_t>(run.seed));
    q.bind(7, run.point);
    q.bind(8, run.file);
    q.bind(9, run.status);
    q.bind(10, run.error);
    q.bind(11, run.started);
    q.bind(12, run.finished);
    q.bind(13, run.pid);
    q.bind(14, run.overrides.dump());
    q.bind(15, run.env.dump());
    q.bind(16, run.command);
    q.bind(17, run.error_hint);
    q.exec();
  });
  return run;
}

void Store::finish_run(const std::string& run_id, const std::string& status, const std::string& error,
                       const std::string& error_hint) {
  transaction([&] {
    SQLite::Statement q(*db_, "UPDATE runs SET status = ?, error = ?, error_hint = ?, finished = ? WHERE id = ?");
    q.bind(1, status);
    q.bind(2, error);
    q.bind(3, error_hint);
    q.bind(4, now_seconds());
    q.bind(5, run_id);
    q.exec();
  });
}

int Store::mark_interrupted(bool holding_lock) {
  int n = 0;
  transaction([&] {
    std::vector<std::string> dead;
    SQLite::Statement q(*db_, "SELECT id, pid FROM runs WHERE status = 'running'");
    while (q.executeStep()) {
      int pid = q.getColumn(1).getInt();
      bool alive = pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
      if (holding_lock || !alive) dead.push_back(q.getColumn(0).getString());
    }
    for (const auto& id : dead) {
      for (const char* sql :
           {"UPDATE runs SET status = 'interrupted' WHERE id = ?",
            "UPDATE stage_runs SET status = 'interrupted' WHERE run_id = ? AND status = 'running'",
            "UPDATE stage_runs SET status = 'skipped' WHERE run_id = ? AND status = 'pending'"}) {
        SQLite::Statement u(*db_, sql);
        u.bind(1, id);
        u.exec();
      }
    }
    n = static_cast<int>(dead.size());
  });
  return n;
}

std::vector<RunRecord> Store::runs() const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  std::vector<RunRecord> out;
  SQLite::Statement q(*db_, std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY started, rowid");
  while (q.executeStep()) out.push_back(read_run(q));
  return out;
}

void Store::delete_runs(const std::vector<std::string>& run_ids) {
  transaction([&] {
    for (const auto& id : run_ids)
      for (const char* sql : {"DELETE FROM stage_runs WHERE run_id = ?",
                              "DELETE FROM evaluations WHERE run_id = ?", "DELETE FROM runs WHERE id = ?"}) {
        SQLite::Statement q(*db_, sql);
        q.bind(1, id);
        q.exec();
      }
  });
}

std::set<std::string> Store::referenced_keys() const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  std::set<std::string> out;
  SQLite::Statement q(*db_, "SELECT DISTINCT key FROM stage_runs");
  while (q.executeStep()) out.insert(q.getColumn(0).getString());
  return out;
}

RunRecord Store::find_run(const std::string& ref) const {
  std::vector<RunRecord> all = runs();  // oldest first
  for (const auto& r : all)
    if (r.id == ref) return r;
  // A name without "#N": its latest run.
  const RunRecord* latest = nullptr;
  for (const auto& r : all)
    if (r.base_name == ref) latest = &r;
  if (latest) return *latest;
  for (const auto& r : all)
    if (r.name == ref || (r.name == r.base_name && ref == r.base_name + "#1")) return r;
  std::vector<const RunRecord*> matches;
  for (const auto& r : all)
    if (!ref.empty() && r.id.compare(0, ref.size(), ref) == 0) matches.push_back(&r);
  if (matches.size() == 1) return *matches[0];
  // Several, or none: say which runs come close (newest first).
  auto listing = [](std::vector<const RunRecord*> runs) {
    std::reverse(runs.begin(), runs.end());
    std::vector<std::string> items;
    for (size_t i = 0; i < runs.size() && i < 8; ++i) items.push_back(runs[i]->id + " " + runs[i]->name);
    if (runs.size() > 8) items.push_back("… " + std::to_string(runs.size() - 8) + " more");
    return join(items, ", ");
  };
  if (matches.size() > 1)
    throw ConfigError("run id prefix '" + ref + "' is ambiguous: " + std::to_string(matches.size()) + " runs match")
        .hint("give more characters of the id: " + listing(matches));
  std::string msg = "no run '" + ref + "' in " + display_path(dir_);
  std::vector<const RunRecord*> below;  // "runes/mlp" for the series runes/mlp/seed800, ...
  for (const auto& r : all)
    if (r.base_name.compare(0, ref.size() + 1, ref + "/") == 0) below.push_back(&r);
  std::vector<std::string> names;
  for (const auto& r : all) names.push_back(r.base_name);
  std::string near = below.empty() ? closest(ref, names) : below.back()->base_name;
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  if (!below.empty())
    throw ConfigError(msg).hint("runs named " + ref + "/...: " + listing(below));
  throw ConfigError(msg).hint("`pipe runs` lists the runs; RUN is an id, a unique id prefix or a name");
}

std::string Store::compared_name(const std::string& name, const std::string& plain_name) const {
  for (const auto& r : runs())
    if (r.base_name == name) return name;
  return plain_name.empty() ? name : plain_name;
}

std::optional<StageRunRecord> Store::finished_stage(const std::string& run_id,
                                                    const std::string& stage) const {
  std::optional<StageRunRecord> by_kind;
  for (const auto& s : stage_runs(run_id)) {
    if ((s.status != "ran" && s.status != "cached") || !has_result(s.key)) continue;
    if (s.stage_id == stage) return s;
    if (s.kind == stage) by_kind = s;
  }
  return by_kind;
}

void Store::put_stage_run(const StageRunRecord& s) {
  transaction([&] {
    SQLite::Statement q(*db_, std::string("INSERT OR REPLACE INTO stage_runs(") + kStageRunColumns +
                                  ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
    q.bind(1, s.run_id);
    q.bind(2, s.stage_id);
    q.bind(3, s.kind);
    q.bind(4, s.key);
    q.bind(5, s.status);
    q.bind(6, s.reason);
    q.bind(7, s.error);
    q.bind(8, s.seconds);
    q.bind(9, s.params_hash);
    q.bind(10, s.inputs_hash);
    q.bind(11, s.sources_hash);
    q.bind(12, s.position);
    if (s.params.is_null()) q.bind(13);
    else q.bind(13, s.params.dump());
    q.exec();
  });
}

std::vector<StageRunRecord> Store::stage_runs(const std::string& run_id) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  std::vector<StageRunRecord> out;
  SQLite::Statement q(*db_, std::string("SELECT ") + kStageRunColumns +
                                " FROM stage_runs WHERE run_id = ? ORDER BY position");
  q.bind(1, run_id);
  while (q.executeStep()) out.push_back(read_stage_run(q));
  return out;
}

std::optional<StageRunRecord> Store::previous_stage_run(const std::string& base_name,
                                                        const std::string& stage_id) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  SQLite::Statement q(*db_,
                      "SELECT s.run_id, s.stage_id, s.kind, s.key, s.status, s.reason, s.error, s.seconds,"
                      " s.params_hash, s.inputs_hash, s.sources_hash, s.position, s.params"
                      " FROM stage_runs s JOIN runs r ON r.id = s.run_id"
                      " WHERE r.base_name = ? AND s.stage_id = ? AND s.key != ''"
                      " ORDER BY r.started DESC, r.rowid DESC LIMIT 1");
  q.bind(1, base_name);
  q.bind(2, stage_id);
  if (!q.executeStep()) return std::nullopt;
  return read_stage_run(q);
}

bool Store::has_result(const std::string& key) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  SQLite::Statement q(*db_, "SELECT 1 FROM results WHERE key = ?");
  q.bind(1, key);
  return q.executeStep();
}

std::optional<StageResult> Store::result(const std::string& key) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  SQLite::Statement q(*db_, "SELECT key, kind, metrics, seconds FROM results WHERE key = ?");
  q.bind(1, key);
  if (!q.executeStep()) return std::nullopt;
  StageResult r;
  r.key = q.getColumn(0).getString();
  r.kind = q.getColumn(1).getString();
  r.metrics = json::parse(q.getColumn(2).getString(), nullptr, false);
  r.seconds = q.getColumn(3).getDouble();
  return r;
}

void Store::publish(const StageResult& result, const json& tables, const StageRunRecord& stage_run) {
  transaction([&] {
    SQLite::Statement q(
        *db_, "INSERT OR REPLACE INTO results(key, kind, metrics, seconds, created) VALUES(?,?,?,?,?)");
    q.bind(1, result.key);
    q.bind(2, result.kind);
    q.bind(3, result.metrics.dump());
    q.bind(4, result.seconds);
    q.bind(5, now_seconds());
    q.exec();
    SQLite::Statement del(*db_, "DELETE FROM result_tables WHERE key = ?");
    del.bind(1, result.key);
    del.exec();
    for (auto it = tables.begin(); it != tables.end(); ++it) {
      SQLite::Statement t(*db_, "INSERT INTO result_tables(key, name, value) VALUES(?,?,?)");
      t.bind(1, result.key);
      t.bind(2, it.key());
      t.bind(3, it.value().dump());
      t.exec();
    }
    put_stage_run(stage_run);
  });
}

void Store::drop_result(const std::string& key) {
  transaction([&] {
    for (const char* table : {"results", "result_tables", "epochs"}) {
      SQLite::Statement q(*db_, std::string("DELETE FROM ") + table + " WHERE key = ?");
      q.bind(1, key);
      q.exec();
    }
  });
}

std::vector<std::string> Store::result_keys() const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  std::vector<std::string> out;
  SQLite::Statement q(*db_, "SELECT key FROM results");
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

json Store::tables(const std::string& key) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  json out = json::object();
  SQLite::Statement q(*db_, "SELECT name, value FROM result_tables WHERE key = ?");
  q.bind(1, key);
  while (q.executeStep()) out[q.getColumn(0).getString()] = json::parse(q.getColumn(1).getString());
  return out;
}

json Store::table(const std::string& key, const std::string& name) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  SQLite::Statement q(*db_, "SELECT value FROM result_tables WHERE key = ? AND name = ?");
  q.bind(1, key);
  q.bind(2, name);
  if (!q.executeStep()) return nullptr;
  return json::parse(q.getColumn(0).getString());
}

void Store::put_epoch(const std::string& key, const json& row) {
  transaction([&] {
    SQLite::Statement q(*db_, "INSERT OR REPLACE INTO epochs(key, epoch, row) VALUES(?,?,?)");
    q.bind(1, key);
    q.bind(2, row.at("epoch").get<int>());
    q.bind(3, row.dump());
    q.exec();
  });
}

json Store::epochs(const std::string& key) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  json out = json::array();
  SQLite::Statement q(*db_, "SELECT row FROM epochs WHERE key = ? ORDER BY epoch");
  q.bind(1, key);
  while (q.executeStep()) out.push_back(json::parse(q.getColumn(0).getString()));
  return out;
}

void Store::clear_epochs_after(const std::string& key, int epoch) {
  transaction([&] {
    SQLite::Statement q(*db_, "DELETE FROM epochs WHERE key = ? AND epoch > ?");
    q.bind(1, key);
    q.bind(2, epoch);
    q.exec();
  });
}

void Store::add_evaluation(const std::string& run_id, const std::string& source, const json& result) {
  transaction([&] {
    SQLite::Statement q(*db_, "INSERT INTO evaluations(run_id, source, created, result) VALUES(?,?,?,?)");
    q.bind(1, run_id);
    q.bind(2, source);
    q.bind(3, now_seconds());
    q.bind(4, result.dump());
    q.exec();
  });
}

json Store::evaluations(const std::string& run_id) const {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  json out = json::array();
  SQLite::Statement q(*db_, "SELECT source, created, result FROM evaluations WHERE run_id = ? ORDER BY id");
  q.bind(1, run_id);
  while (q.executeStep())
    out.push_back({{"source", q.getColumn(0).getString()},
                   {"created", q.getColumn(1).getDouble()},
                   {"result", json::parse(q.getColumn(2).getString())}});
  return out;
}

void Store::preload_hashes() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (hashes_loaded_) return;
  SQLite::Statement q(*db_, "SELECT path, size, mtime_ns, hash FROM file_hashes");
  while (q.executeStep())
    hash_memo_[q.getColumn(0).getString()] = {q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
                                              q.getColumn(3).getString()};
  hashes_loaded_ = true;
}

bool Store::lookup(const std::string& path, const FileStat& st, std::string* hash) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  preload_hashes();
  auto it = hash_memo_.find(path);
  if (it == hash_memo_.end()) return false;
  auto& [size, mtime, h] = it->second;
  if (size != st.size || mtime != st.mtime_ns) return false;
  *hash = h;
  return true;
}

void Store::remember(const std::string& path, const FileStat& st, const std::string& hash) {
  // A file modified within the clock's granularity of now could change again
  // without its size or mtime changing; trust the pre-check only for files
  // that have been still for a while (git's "racily clean" rule).
  if (static_cast<double>(st.mtime_ns) / 1e9 > now_seconds() - kRacySeconds) return;
  std::lock_guard<std::recursive_mutex> lock(mu_);
  hash_memo_[path] = {st.size, st.mtime_ns, hash};
  pending_hashes_.emplace_back(path, st, hash);
  if (pending_hashes_.size() >= 4096) flush_hashes();
}

void Store::flush_hashes() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (pending_hashes_.empty()) return;
  transaction([&] {
    SQLite::Statement q(*db_,
                        "INSERT OR REPLACE INTO file_hashes(path, size, mtime_ns, hash) VALUES(?,?,?,?)");
    for (const auto& [path, st, hash] : pending_hashes_) {
      q.bind(1, path);
      q.bind(2, static_cast<int64_t>(st.size));
      q.bind(3, static_cast<int64_t>(st.mtime_ns));
      q.bind(4, hash);
      q.exec();
      q.reset();
    }
  });
  pending_hashes_.clear();
}

}  // namespace pipe
