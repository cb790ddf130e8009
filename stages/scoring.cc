#include "stages/scoring.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "report/stats.h"

namespace pipe {

using json = nlohmann::json;

namespace {

json or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace

double mean_cross_entropy(const std::vector<float>& probs, const std::vector<int>& truth, int classes) {
  if (truth.empty()) return NAN;
  double sum = 0;
  for (size_t i = 0; i < truth.size(); ++i)
    sum -= std::log(std::max(1e-7, static_cast<double>(probs[i * classes + truth[i]])));
  return sum / truth.size();
}

json top_classes(const float* row, const std::vector<std::string>& classes, int k) {
  json top = json::array();
  for (int c : report::top_k(row, static_cast<int>(classes.size()), k))
    top.push_back({{"class", classes[c]}, {"p", row[c]}});
  return top;
}

Evaluation score(const std::vector<float>& probs, const std::vector<int>& truth,
                 const std::vector<std::string>& classes, int top_k, int ece_bins) {
  const int k = static_cast<int>(classes.size());
  const int n = static_cast<int>(truth.size());
  if (probs.size() != static_cast<size_t>(n) * k)
    throw Error("score: " + std::to_string(probs.size()) + " probabilities for " + std::to_string(n) + " samples of " +
                std::to_string(k) + " classes");
  Evaluation e;
  e.n = n;
  e.top_k = std::max(1, std::min(top_k, k));
  std::vector<int> pred(n);
  for (int i = 0; i < n; ++i) pred[i] = report::argmax(&probs[static_cast<size_t>(i) * k], k);
  report::ConfusionMatrix m = report::confusion_matrix(truth, pred, k);
  report::ClassificationReport r = report::classification_report(m, classes);
  e.accuracy = n ? r.accuracy : NAN;
  e.loss = mean_cross_entropy(probs, truth, k);
  e.macro_f1 = n ? r.macro_f1 : NAN;
  e.weighted_f1 = n ? r.weighted_f1 : NAN;
  e.macro_precision = n ? r.macro_precision : NAN;
  e.macro_recall = n ? r.macro_recall : NAN;
  e.top_k_accuracy = n ? report::top_k_accuracy(probs.data(), n, k, truth, e.top_k) : NAN;
  e.ece = n ? report::expected_calibration_error(probs.data(), n, k, truth, ece_bins) : NAN;
  for (const auto& c : r.classes)
    e.per_class.push_back({{"class", c.name}, {"precision", or_null(c.precision)}, {"recall", or_null(c.recall)},
                           {"f1", or_null(c.f1)}, {"support", c.support}});
  e.confusion = {{"classes", classes}, {"matrix", m}};
  return e;
}

}  // namespace pipe
