// The documented JSON shapes of a run (README "JSON shapes"):
//   runs:  {"id","name","experiment","variant","seed","status",
//           "metrics":{"accuracy","macro_f1","loss"}}
//   show:  {"id","name","status","error",
//           "stages":[{"id","kind","status","key","seconds","metrics"}],
//           "epochs":[{"epoch","train_loss","train_accuracy","val_loss",
//                      "val_accuracy","lr","seconds"}]}
// A metric that does not apply is null, never missing.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/store.h"

namespace pipe {

nlohmann::json run_summary(const Store& store, const RunRecord& run);
nlohmann::json run_detail(const Store& store, const RunRecord& run);
// The headline metrics of a run: those of its last stage that reports an
// accuracy (the evaluation of the test split), or nulls.
nlohmann::json headline_metrics(const Store& store, const RunRecord& run);
// Per-epoch rows of the run's first stage that recorded any.
nlohmann::json run_epochs(const Store& store, const RunRecord& run);

// For printing: `value` with object keys in the order of `key_order` (keys
// it does not list follow, sorted), at every depth, so JSON output reads in
// the documented order.
nlohmann::ordered_json ordered(const nlohmann::json& value, const std::vector<std::string>& key_order);
extern const std::vector<std::string> kRunSummaryKeys;  // as documented for `pipe runs`
extern const std::vector<std::string> kRunDetailKeys;   // as documented for `pipe show`

}  // namespace pipe
