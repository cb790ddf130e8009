#include "engine/run_view.h"

#include <algorithm>

namespace pipe {

using json = nlohmann::json;

const std::vector<std::string> kRunSummaryKeys = {"id",     "name",    "experiment", "variant",  "seed",
                                                  "status", "metrics", "accuracy",   "macro_f1", "loss"};
const std::vector<std::string> kRunDetailKeys = {
    "id",      "name",    "status", "error",      "stages",         "epochs",   "kind",         "key",
    "seconds", "metrics", "epoch",  "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"};

nlohmann::ordered_json ordered(const json& value, const std::vector<std::string>& key_order) {
  if (value.is_array()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& item : value) out.push_back(ordered(item, key_order));
    return out;
  }
  if (!value.is_object()) return nlohmann::ordered_json(value);
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& key : key_order)
    if (value.contains(key)) out[key] = ordered(value[key], key_order);
  for (auto it = value.begin(); it != value.end(); ++it)  // the rest, sorted
    if (std::find(key_order.begin(), key_order.end(), it.key()) == key_order.end())
      out[it.key()] = ordered(it.value(), key_order);
  return out;
}

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
  static const char* kFields[] = {"epoch",        "train_loss", "train_accuracy", "val_loss",
                                  "val_accuracy", "lr",         "seconds"};
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
  return {{"id", run.id},
          {"name", run.name},
          {"experiment", run.experiment.empty() ? json() : json(run.experiment)},
          {"variant", run.variant.empty() ? json() : json(run.variant)},
          {"seed", run.seed},
          {"status", run.status},
          {"metrics", headline_metrics(store, run)}};
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
  return {{"id", run.id},         {"name", run.name},
          {"status", run.status}, {"error", run.error.empty() ? json() : json(run.error)},
          {"stages", stages},     {"epochs", run_epochs(store, run)}};
}

}  // namespace pipe
