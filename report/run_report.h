// The report of one run, built from plain data (what the store and the
// evaluate artifact hold, gathered by the report stage): summary, stages,
// parameters, data counts and preprocessing, environment, learning curves,
// confusion matrices, classification report, most-confused pairs, a gallery
// of misclassified images, top-k charts and Grad-CAM heatmaps.  Sections
// without data say so instead of vanishing.
//
// Section ids (stable, for links and tests): summary, stages, parameters,
// data, environment, learning-curves, confusion-matrix, classification-report,
// most-confused, misclassified, top-k, grad-cam.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "report/curves_figure.h"
#include "report/document.h"
#include "report/gallery_figure.h"
#include "report/gradcam_figure.h"
#include "report/stats.h"
#include "report/topk_figure.h"

namespace pipe::report {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct StageSummary {
  std::string id, kind, status;
  double seconds = 0;
  std::string key;
};

struct RunReportInput {
  std::string title;  // "multiscript/cnn"
  KeyValues run;      // id, name, pipeline, variant, seed, status, started, ...
  std::vector<StageSummary> stages;
  KeyValues parameters;     // "train.epochs" -> "10"
  KeyValues preprocessing;  // "auto-inverted" -> "412 of 2,000 images"
  KeyValues environment;
  // Images per class and split: counts[class][split].
  std::vector<std::string> split_names;
  std::vector<std::string> count_classes;
  std::vector<std::vector<long long>> counts;

  // Test-set metrics by name: accuracy, loss, macro_f1, weighted_f1, top_k_accuracy, ece;
  // NaN or absent when not recorded.
  std::map<std::string, double> metrics;
  int top_k = 5;
  EpochHistory history;  // empty: no training history recorded
  std::vector<std::string> classes;
  ConfusionMatrix confusion;  // empty: no evaluation
  std::vector<GalleryItem> misclassified;
  size_t misclassified_total = 0;  // how many there were in all (the gallery shows some)
  std::vector<TopKSample> topk;
  std::vector<GradcamItem> gradcam;
  std::string gradcam_note;  // why there is none (e.g. "the model has no convolution")
};

Report build_run_report(const RunReportInput& input);

}  // namespace pipe::report
