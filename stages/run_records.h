// What a run recorded, read back from the store for `pipe compare`,
// `pipe report` and the report stage — its stage runs, the train stage's
// metrics and per-epoch history, the evaluate stage's metrics and tables,
// its parameters — and the conversions into the plain inputs of
// report/compare.h and report/run_report.h.  Read-only.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/store.h"
#include "report/compare.h"
#include "report/run_report.h"

namespace pipe {

struct RunRecords {
  RunRecord run;
  std::vector<StageRunRecord> stages;
  // The last finished stage of each kind (nullopt when the run has none).
  std::optional<StageRunRecord> train, evaluate, split, clean;
  nlohmann::json train_metrics = nlohmann::json::object();
  nlohmann::json eval_metrics = nlohmann::json::object();
  nlohmann::json clean_metrics = nlohmann::json::object();
  nlohmann::json eval_tables = nlohmann::json::object();  // {name: value}
  nlohmann::json epochs = nlohmann::json::array();        // of the train stage
};

RunRecords load_run_records(const Store& store, const RunRecord& run);

// The run's stage parameters as the store recorded them when it ran,
// "stage.key" -> value as YAML flow text (nested mappings flattened, as
// --set names them: "train.optimizer.adam.lr"), plus "seed".  Runs recorded
// before the store kept parameters fall back to file_parameters(), and
// `note` says so.  `at_default` receives the names whose value is the stage
// kind's schema default (a stage's seed: the run's seed); where the schema
// does not know a default, null, "", [] and {} count as one.  Parameters read
// from the file were written there, so none of them is at its default.
std::map<std::string, std::string> run_parameters(const Store& store, const RunRecord& run,
                                                  std::string* note = nullptr,
                                                  std::set<std::string>* at_default = nullptr);
// The parameters re-read from the file the run ran, with its overrides
// applied (the file may have changed since).  When it cannot be read any
// more, only the recorded overrides, and `note` says so.
std::map<std::string, std::string> file_parameters(const RunRecord& run, std::string* note = nullptr);

// Runs that differ only by seed share a group: "<experiment>/<variant>"
// (plus "/p<i>" for a grid point), else the run's name without "/seed<N>".
std::string seed_group(const RunRecord& run);

report::CompareRun compare_run(const Store& store, const RunRecord& run);

struct ReportOptions {
  int gallery = 24;      // misclassified test images shown (most confident first)
  int samples = 6;       // images with a top-k chart and a Grad-CAM map (one per class)
  bool gradcam = true;   // for models with a convolution layer
  int threads = 1;
};
report::RunReportInput run_report_input(const Store& store, const RunRecord& run, const ReportOptions& options);

}  // namespace pipe
