// Scores of a classifier on labelled samples, from its class probabilities:
// the numbers the evaluate stage and `pipe evaluate` report, built on
// report/stats.h.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipe {

struct Evaluation {
  long long n = 0;
  int top_k = 1;
  double accuracy = 0, loss = 0, macro_f1 = 0, weighted_f1 = 0, macro_precision = 0, macro_recall = 0;
  double top_k_accuracy = 0, ece = 0;
  nlohmann::json per_class = nlohmann::json::array();  // [{"class","precision","recall","f1","support"}]
  nlohmann::json confusion;                             // {"classes":[...],"matrix":[[...]]}
};

// Scores n rows of class probabilities (row-major, classes.size() per row)
// against true class indices.  Undefined values (precision of a class never
// predicted) are null in the JSON.
Evaluation score(const std::vector<float>& probs, const std::vector<int>& truth,
                 const std::vector<std::string>& classes, int top_k, int ece_bins = 15);

// Mean cross-entropy of the true class, probabilities clipped at 1e-7.
double mean_cross_entropy(const std::vector<float>& probs, const std::vector<int>& truth, int classes);

// The k most probable classes of one row: [{"class","p"}].
nlohmann::json top_classes(const float* row, const std::vector<std::string>& classes, int k);

}  // namespace pipe
