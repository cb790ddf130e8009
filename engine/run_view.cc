#include "engine/run_view.h"

namespace pipe {

using json = nlohmann::json;

json headline_metrics(const Store& store, const RunRecord& run) {
  json m = {{"accuracy", nullptr}, {"macro_f1", nullptr}, {"loss", nullptr}};
  for (const auto& s : store.stage_runs(run.id)) {
    if (s.status != "ran" && s.status != "cached") continue;
    auto r = store.result(s.key);
    if (!r || !r->metrics.contains("accuracy")) continue;
    for (const char* k : {"accuracy", "macro_f1", "loss"}) m[k] = r->metrics.value(k, json());
  }
  return m;
}

json run_epochs(const Store& store, const RunRecord& run) {
  static const char* kFields[] = {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"};
  for (const auto& s : store.stage_runs(run.id)) {
    if (s.key.empty()) continue;
    json rows = store.epochs(s.key);
    if (rows.empty()) continue;
    json out = json::array();
    for (const auto& row : rows) {
      json r = json::object();
      for (const char* f : kFields) r[f] = row.value(f, json());
      out.push_back(r);
    }
    return out;
  }
  return json::array();
}

json run_summary(const Store& store, const RunRecord& run) {
  return {{"id", run.id},           {"name", run.name},     {"experiment", run.experiment.empty() ? json() : json(run.experiment)},
          {"variant", run.variant.empty() ? json() : json(run.variant)},
          {"seed", run.seed},       {"status", run.status}, {"metrics", headline_metrics(store, run)}};
}

json run_detail(const Store& store, const RunRecord& run) {
  json stages = json::array();
  for (const auto& s : store.stage_runs(run.id)) {
    json metrics = nullptr;
    if (auto r = store.result(s.key); r && (s.status == "ran" || s.status == "cached")) metrics = r->metrics;
    stages.push_back({{"id", s.stage_id},
                      {"kind", s.kind},
                      {"status", s.status},
                      {"key", s.key},
                      {"seconds", s.seconds},
                      {"metrics", metrics}});
  }
  return {{"id", run.id},
          {"name", run.name},
          {"status", run.status},
          {"error", run.error.empty() ? json() : json(run.error)},
          {"stages", stages},
          {"epochs", run_epochs(store, run)}};
}

}  // namespace pipe
