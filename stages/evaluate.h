// The `evaluate` stage, and the scoring shared with `pipe evaluate`.
//
// YAML keys:
//   model: train         the train stage whose model is scored
//   input: split.test    a dataset artifact (its classes are matched to the model's by name)
//   top_k: 5             k of top_k_accuracy and of the stored per-sample top list (capped at classes)
//   batch: 256           images per forward pass
//   ece_bins: 15         confidence bins of the expected calibration error
//
// Metrics: accuracy, loss (mean cross-entropy of the true class), macro_f1,
// weighted_f1, macro_precision, macro_recall, top_k_accuracy, ece, n.
// Tables: "per_class" [{"class","precision","recall","f1","support"}],
// "confusion" {"classes":[...],"matrix":[[...]]} (rows true, columns predicted),
// "predictions" [{"path","true","pred","p","top":[{"class","p"}]}] in dataset
// order, "test_set" {"key": the input artifact's key, "n": N}.
#pragma once

#include "engine/stage.h"
#include "stages/scoring.h"

namespace pipe {

StageKind evaluate_stage_kind();

}  // namespace pipe
