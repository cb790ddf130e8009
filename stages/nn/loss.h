// Losses on the logits of the net's last layer.
//
// set_loss config:  "cross_entropy" | {"cross_entropy": {...}} | "binary_cross_entropy"
//                   | {"binary_cross_entropy": {...}}; a plain map of keys means cross_entropy.
//   label_smoothing: 0.1     targets (1 - s) * one_hot + s / K   (binary: s / 2)
//   class_weights: [w0, ..]  one per class; sample i weighs w[label_i]
// The loss is the mean over the batch of the weighted per-sample losses,
// sum_i w_i l_i / n (Keras's class_weight).
//   cross_entropy         l = -sum_k t_k log softmax(z)_k, computed with log-sum-exp
//   binary_cross_entropy  l = mean_k [max(z,0) - z t_k + log(1 + exp(-|z|))]  (one sigmoid per class)
// Predicted probabilities: softmax(z) for cross_entropy, sigmoid(z) for binary.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "stages/nn/net.h"

namespace pipe::nn {

class Loss {
 public:
  enum Kind { kCrossEntropy, kBinaryCrossEntropy };

  Loss() = default;
  // Throws ConfigError for unknown names or keys, or class_weights of the wrong length.
  static Loss parse(const nlohmann::json& cfg, int classes);

  // logits: n×k row-major.  diff (may be nullptr): d(loss)/d(logits), n×k, of the mean
  // over `batch` samples (these n are part of a batch that size; 0: n).
  // Throws pipe::Error for a label outside [0, k).
  StepStats compute(const float* logits, const int32_t* labels, int n, int k, float* diff,
                    int batch = 0) const;
  void probabilities(const float* logits, int n, int k, float* probs) const;

  Kind kind() const { return kind_; }

 private:
  Kind kind_ = kCrossEntropy;
  double smoothing_ = 0;
  std::vector<double> class_weights_;
};

}  // namespace pipe::nn
