#include "engine/posix.h"  // first: see posix.h
#include "engine/executor.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "engine/paths.h"

namespace pipe {

using json = nlohmann::json;

namespace {

// Hands what a finished stage freed back to the system: glibc keeps freed heap
// pages resident otherwise, and one stage's peak would stay through the next
// stages and runs of the same process.
void release_freed_memory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

// What a stage threw, whole (message, where, hint, context, kind), in the
// serialisable form of pipe::Error: the form in which a stage's failure
// travels from the thread (or, run elsewhere, the job) that ran it to the run.
json failure_of(const std::exception_ptr& thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const Error& e) {
    return e.to_json();
  } catch (const std::exception& e) {
    return Error(e.what()).to_json();
  } catch (...) {
    return Error("unknown exception").to_json();
  }
}

// Replaces the value at a JSON pointer.
void set_at(json& root, const std::string& pointer, json value) {
  root[json::json_pointer(pointer)] = std::move(value);
}

class Context : public StageContext {
 public:
  Context(const GraphStage& stage, const std::vector<PlannedStage>& plan, const Graph& graph, Store& store,
          Disk& disk, Progress& progress, const RunInfo& run, std::string key, std::string tmp_dir,
          int threads, bool reusing = false)
      : stage_(stage),
        plan_(plan),
        graph_(graph),
        store_(store),
        disk_(disk),
        progress_(progress),
        run_(run),
        key_(std::move(key)),
        tmp_dir_(std::move(tmp_dir)),
        threads_(threads),
        reusing_(reusing) {}

  const std::string& stage_id() const override { return stage_.spec.id; }
  const json& params() const override { return stage_.params; }
  Mark mark(const std::string& pointer) const override {
    auto it = stage_.marks.find(pointer);
    return it != stage_.marks.end() ? it->second : stage_.spec.mark;
  }
  long long seed() const override {
    const json& s = stage_.params.contains("seed") ? stage_.params["seed"] : json();
    return s.is_number_integer() ? s.get<long long>() : graph_.pipeline().seed;
  }
  int threads() const override { return threads_; }
  const RunInfo& run() const override { return run_; }

  bool has_input(const std::string& param) const override {
    for (const auto& e : stage_.inputs)
      if (input_param_matches(e.param, param)) return true;
    return false;
  }
  InputRef input(const std::string& param) const override {
    auto all = inputs(param);
    if (all.empty()) throw Error("stage has no input '" + param + "'");
    return all.front();
  }
  std::vector<InputRef> inputs(const std::string& param) const override {
    std::vector<InputRef> out;
    for (const auto& e : stage_.inputs) {
      if (!input_param_matches(e.param, param)) continue;
      const auto& producer = graph_.stages()[e.producer];
      std::string key = plan_[e.producer].key;
      out.push_back({producer.spec.id, producer.spec.kind, e.output, store_.artifact_dir(key), key});
    }
    return out;
  }

  std::string output_path(const std::string& name) const override { return join_path(tmp_dir_, name); }
  std::string work_dir() const override {
    std::string dir = join_path(join_path(store_.results_dir(), "work"), key_);
    disk_.make_dirs(dir);
    return dir;
  }
  Disk& disk() override { return disk_; }

  void metric(const std::string& name, double value) override {
    if (reusing_) return;  // the published artifact's results stand
    std::lock_guard<std::mutex> lock(mu_);
    metrics_[name] = value;
  }
  void table(const std::string& name, const json& value) override {
    if (reusing_) return;
    std::lock_guard<std::mutex> lock(mu_);
    tables_[name] = value;
  }
  void epoch(const json& row) override {
    if (!reusing_) store_.put_epoch(key_, row);
  }
  Progress& progress() override { return progress_; }
  void log(const std::string& line) override { progress_.line(stage_.spec.id + ": " + line); }

  InputRef run_artifact(const std::string& ref, const std::string& kind) override {
    // Resolved at plan time (its key is part of this stage's): exactly that artifact.
    const auto& planned = plan_[&stage_ - graph_.stages().data()].run_artifacts;
    if (auto it = planned.find({ref, kind}); it != planned.end()) {
      if (!store_.has_result(it->second.key)) throw Error("run '" + ref + "' has no finished " + kind + " stage");
      return it->second;
    }
    RunRecord other = store_.find_run(ref);
    if (auto s = store_.finished_stage(other.id, kind))
      return {s->stage_id, s->kind, "", store_.artifact_dir(s->key), s->key};
    throw Error("run '" + other.name + "' has no finished " + kind + " stage");
  }
  json input_metrics(const InputRef& in) const override {
    auto r = store_.result(in.key);
    return r ? r->metrics : json(nullptr);
  }
  json input_table(const InputRef& in, const std::string& name) const override {
    return store_.table(in.key, name);
  }

  json metrics_json() const { return metrics_; }
  json tables_json() const { return tables_; }

 private:
  const GraphStage& stage_;
  const std::vector<PlannedStage>& plan_;
  const Graph& graph_;
  Store& store_;
  Disk& disk_;
  Progress& progress_;
  const RunInfo& run_;
  std::string key_;
  std::string tmp_dir_;
  int threads_;
  bool reusing_;
  std::mutex mu_;
  json metrics_ = json::object();
  json tables_ = json::object();
};

}  // namespace

Executor::Executor(Store& store, Disk& disk, Progress& progress, ExecOptions options)
    : store_(store),
      disk_(disk),
      progress_(progress),
      options_(std::move(options)),
      fingerprints_(disk, &store) {}

std::vector<PlannedStage> Executor::plan(const Graph& graph, const std::string& base_name) {
  std::vector<PlannedStage> plan(graph.stages().size());
  for (int i : graph.order()) {
    const GraphStage& gs = graph.stages()[i];
    PlannedStage& p = plan[i];
    p.index = i;
    json keyed = keyed_params(gs.params, gs.kind->schema);  // paths → content hashes, inputs → producer keys
    json described = keyed;  // paths blanked: moving a file with the same content changes nothing
    json sources = json::object();
    json inputs = json::object();
    auto add_source = [&](const std::string& ptr, const json& v) {
      if (!v.is_string()) return;
      std::string h;
      try {
        h = fingerprints_.path(v.get<std::string>());
      } catch (Error& e) {
        auto it = gs.marks.find(ptr);
        Error err = ConfigError("stage '" + gs.spec.id + "': " + key_path(ptr) +
                                ": no such file or folder: " + display_path(v.get<std::string>()));
        if (it != gs.marks.end()) err.at(it->second);
        throw err;
      }
      set_at(keyed, ptr, "content:" + h);
      set_at(described, ptr, "");
      sources[ptr] = h;
    };
    for (FieldType t : {FieldType::kFile, FieldType::kDir, FieldType::kFileOrAny})
      visit_fields(gs.params, gs.kind->schema, t, add_source);
    // A file is a source like any other; a run counts by the key of its
    // artifact (an input from outside the run), its reference stays a parameter.
    visit_fields(gs.params, gs.kind->schema, FieldType::kFileOrRun,
                 [&](const std::string& ptr, const Field& f, const json& v) {
                   std::string ref = v.get<std::string>();
                   if (names_file(ref)) return add_source(ptr, v);
                   InputRef artifact;
                   try {
                     artifact = resolve_run(ref, f.run_stage, base_name);
                   } catch (Error& e) {
                     auto it = gs.marks.find(ptr);
                     Error err = ConfigError("stage '" + gs.spec.id + "': " + key_path(ptr) + ": " + e.message())
                                     .hint(key_path(ptr) + ": " + f.doc);
                     if (it != gs.marks.end()) err.at(it->second);
                     throw err;
                   }
                   set_at(keyed, ptr, "artifact:" + artifact.key);
                   inputs[ptr] = artifact.key;
                   p.run_artifacts[{ref, f.run_stage}] = artifact;
                 });
    for (const auto& e : gs.inputs) {
      std::string ref = plan[e.producer].key + (e.output.empty() ? "" : "." + e.output);
      set_at(keyed, e.param, ref);
      inputs[e.param] = ref;
    }
    p.params_hash = hash_string(canonical(described));
    p.sources_hash = hash_string(canonical(sources));
    p.inputs_hash = hash_string(canonical(inputs));
    p.key = hash_string(
        canonical(json{{"kind", gs.kind->kind}, {"version", gs.kind->version}, {"params", keyed}}));

    // A forced stage runs, and so does everything downstream of it: the
    // reason to force a stage is distrust of what it produced.
    p.forced = options_.force.count("all") || options_.force.count(gs.spec.id);
    bool upstream_forced = false;
    for (int d : gs.deps) upstream_forced = upstream_forced || plan[d].forced;
    bool published = store_.has_result(p.key);
    FileStat st;
    bool on_disk = disk_.stat(store_.artifact_dir(p.key), &st) && st.is_dir;
    if (p.forced) {
      p.reason = "forced";
    } else if (upstream_forced) {
      p.forced = true;
      p.reason = "upstream forced";
    } else if (published && on_disk) {
      p.cached = true;
      p.reason = "cached";
    } else if (published) {
      p.reason = "artifact missing";
    } else if (auto prev = store_.previous_stage_run(base_name, gs.spec.id)) {
      if (prev->params_hash != p.params_hash)
        p.reason = "params changed";
      else if (prev->inputs_hash != p.inputs_hash)
        p.reason = "input changed";
      else if (prev->sources_hash != p.sources_hash)
        p.reason = "source files changed";
      else if (prev->key != p.key)
        p.reason = "implementation changed";
      else if (prev->status == "failed")
        p.reason = "previous attempt failed";
      else if (prev->status == "skipped")
        p.reason = "skipped last time";
      else if (prev->status == "ran" || prev->status == "cached")
        p.reason = "artifact missing";
      else
        p.reason = "previous attempt interrupted";
    } else {
      p.reason = "new";
    }
  }
  store_.flush_hashes();
  std::vector<InputRef>& planned = planned_runs_[base_name];
  planned.clear();
  for (size_t i = 0; i < plan.size(); ++i) {
    const GraphStage& gs = graph.stages()[i];
    planned.push_back({gs.spec.id, gs.spec.kind, "", store_.artifact_dir(plan[i].key), plan[i].key});
  }
  return plan;
}

InputRef Executor::resolve_run(const std::string& ref, const std::string& stage, const std::string& planning) {
  // As Store::finished_stage: the stage with that id, else the last of that kind.
  auto pick = [&](const std::vector<InputRef>& stages) -> std::optional<InputRef> {
    std::optional<InputRef> by_kind;
    for (const auto& s : stages) {
      if (s.stage == stage) return s;
      if (s.kind == stage) by_kind = s;
    }
    return by_kind;
  };
  std::string name = ref;
  std::optional<InputRef> found;
  // A run naming its own base name means the latest finished one, not itself.
  if (auto it = planned_runs_.find(ref); it != planned_runs_.end() && ref != planning)
    found = pick(it->second);
  if (!found) {
    RunRecord run;
    try {
      run = store_.find_run(ref);
    } catch (const Error& e) {
      throw Error("no file '" + ref + "', and " + e.message());
    }
    name = run.name;
    if (auto s = store_.finished_stage(run.id, stage))
      found = InputRef{s->stage_id, s->kind, "", store_.artifact_dir(s->key), s->key};
  }
  if (!found) throw Error("run '" + name + "' has no finished " + stage + " stage");
  return *found;
}

std::string Executor::execute(const Graph& graph, const std::vector<PlannedStage>& plan, const RunRecord& run,
                              std::optional<Error>* run_error) {
  const auto& stages = graph.stages();
  size_t n = stages.size();
  RunInfo info{run.id, run.name, store_.results_dir()};
  std::vector<int> position(n);
  for (size_t k = 0; k < graph.order().size(); ++k) position[graph.order()[k]] = static_cast<int>(k);

  auto record = [&](int i, const std::string& status, double seconds, const std::string& error) {
    StageRunRecord r;
    r.run_id = run.id;
    r.stage_id = stages[i].spec.id;
    r.kind = stages[i].spec.kind;
    r.key = plan[i].key;
    r.status = status;
    r.reason = plan[i].reason;
    r.error = error;
    r.seconds = seconds;
    r.params_hash = plan[i].params_hash;
    r.inputs_hash = plan[i].inputs_hash;
    r.sources_hash = plan[i].sources_hash;
    r.params = stages[i].params;
    r.position = position[i];
    return r;
  };
  store_.transaction([&] {
    for (int i : graph.order()) store_.put_stage_run(record(i, "pending", 0, ""));
  });
  std::vector<std::string> ids;
  for (int i : graph.order()) ids.push_back(stages[i].spec.id);
  progress_.begin_stages(ids);

  enum State { kWaiting, kRunning, kDone, kFailed, kSkipped };
  std::vector<State> state(n, kWaiting);
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
  json first_failure;  // the run's error: the first failed stage's, with "stage 'id'" as context
  std::vector<std::thread> threads;

  // Records a failed stage (its own error line in its record) and keeps the
  // run's first failure.  Called with `mu` held.
  auto fail = [&](int i, const json& failure, double seconds) {
    const GraphStage& gs = stages[i];
    std::string line = Error::from_json(failure).line();
    state[i] = kFailed;
    try {
      store_.put_stage_run(record(i, "failed", seconds, line));
    } catch (...) {
    }
    progress_.stage(gs.spec.id, "failed", "[" + gs.spec.id + "] failed: " + line);
    if (first_failure.is_null())
      first_failure = Error::from_json(failure).context("stage '" + gs.spec.id + "'").to_json();
  };

  // A stage found in the cache (or computed by its twin in this run): its
  // reuse() hook, then its record.  Called with `mu` held.
  auto settle_cached = [&](int i) {
    const GraphStage& gs = stages[i];
    try {
      const std::string& key = plan[i].key;
      Context ctx(gs, plan, graph, store_, disk_, progress_, info, key, store_.artifact_dir(key), options_.threads,
                  true);
      gs.kind->create()->reuse(ctx);
    } catch (...) {
      fail(i, failure_of(std::current_exception()), 0);
      return;
    }
    state[i] = kDone;
    store_.put_stage_run(record(i, "cached", 0, ""));
    progress_.stage(gs.spec.id, "cached", "[" + gs.spec.id + "] cached");
  };

  auto run_stage = [&](int i) {
    const GraphStage& gs = stages[i];
    const std::string& key = plan[i].key;
    std::string tmp =
        join_path(join_path(store_.results_dir(), "tmp"), key + "." + std::to_string(::getpid()));
    auto t0 = std::chrono::steady_clock::now();
    json failure;
    try {
      store_.put_stage_run(record(i, "running", 0, ""));
      disk_.remove_all(tmp);
      disk_.make_dirs(tmp);
      Context ctx(gs, plan, graph, store_, disk_, progress_, info, key, tmp, options_.threads);
      gs.kind->create()->run(ctx);
      release_freed_memory();
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::string final_dir = store_.artifact_dir(key);
      disk_.make_dirs(parent_dir(final_dir));
      disk_.remove_all(final_dir);  // a stale folder never published (killed before commit)
      disk_.rename(tmp, final_dir);
      StageResult result{key, gs.kind->kind, ctx.metrics_json(), seconds};
      store_.publish(result, ctx.tables_json(), record(i, "ran", seconds, ""));
      disk_.remove_all(join_path(join_path(store_.results_dir(), "work"), key));
      progress_.stage(gs.spec.id, "ran",
                      "[" + gs.spec.id + "] ran in " + format_seconds(seconds) + " (" + plan[i].reason + ")");
    } catch (...) {
      failure = failure_of(std::current_exception());
      try {
        disk_.remove_all(tmp);
      } catch (...) {
      }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::lock_guard<std::mutex> lock(mu);
    if (failure.is_null()) state[i] = kDone;
    else fail(i, failure, seconds);
    --running;
    cv.notify_all();
  };

  // If recording fails (the database), stop scheduling, let running stages
  // finish, and report the failure.
  std::exception_ptr failure;
  std::unique_lock<std::mutex> lock(mu);
  try {
    while (true) {
      bool progress_made = false;
      for (int i : graph.order()) {
        if (state[i] != kWaiting) continue;
        bool ready = true, blocked = false;
        for (int d : stages[i].deps) {
          if (state[d] == kFailed || state[d] == kSkipped) blocked = true;
          if (state[d] != kDone) ready = false;
        }
        if (blocked || (!first_failure.is_null() && !ready)) {
          state[i] = kSkipped;
          store_.put_stage_run(record(i, "skipped", 0, ""));
          progress_.stage(stages[i].spec.id, "skipped", "[" + stages[i].spec.id + "] skipped");
          progress_made = true;
          continue;
        }
        if (!ready) continue;
        if (plan[i].cached) {
          settle_cached(i);
          progress_made = true;
          continue;
        }
        // A stage with the same key as another of this run (same kind,
        // parameters and inputs) waits for it and then takes its artifact.
        bool twin_running = false, twin_ran = false;
        for (size_t j = 0; j < n; ++j) {
          if (static_cast<int>(j) == i || plan[j].key != plan[i].key) continue;
          twin_running = twin_running || state[j] == kRunning;
          twin_ran = twin_ran || (state[j] == kDone && !plan[j].cached);
        }
        if (twin_running) continue;
        if (twin_ran && first_failure.is_null()) {
          settle_cached(i);
          progress_made = true;
          continue;
        }
        if (!first_failure.is_null()) {
          state[i] = kSkipped;
          store_.put_stage_run(record(i, "skipped", 0, ""));
          progress_.stage(stages[i].spec.id, "skipped", "[" + stages[i].spec.id + "] skipped");
          progress_made = true;
          continue;
        }
        if (running >= std::max(1, options_.jobs)) continue;
        state[i] = kRunning;
        ++running;
        progress_.stage(stages[i].spec.id, "running",
                        "[" + stages[i].spec.id + "] running (" + plan[i].reason + ")");
        threads.emplace_back(run_stage, i);
        progress_made = true;
      }
      bool all_settled = true;
      for (auto s : state) all_settled &= s != kWaiting && s != kRunning;
      if (all_settled) break;
      if (!progress_made) cv.wait(lock);
    }
  } catch (...) {
    failure = std::current_exception();
    cv.wait(lock, [&] { return running == 0; });
  }
  lock.unlock();
  for (auto& t : threads) t.join();
  progress_.end_stages();
  if (failure) std::rethrow_exception(failure);
  if (first_failure.is_null()) {
    store_.finish_run(run.id, "done", "");
    return "done";
  }
  Error failed = Error::from_json(first_failure);
  store_.finish_run(run.id, "failed", failed.line(), failed.hint_text());
  if (run_error) *run_error = failed;
  return "failed";
}

}  // namespace pipe
