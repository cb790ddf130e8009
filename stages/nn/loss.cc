#include "stages/nn/loss.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace pipe::nn {

Loss Loss::parse(const nlohmann::json& cfg, int classes) {
  Loss loss;
  nlohmann::json opts = nlohmann::json::object();
  std::string name = "cross_entropy";
  if (cfg.is_string()) {
    name = cfg.get<std::string>();
  } else if (cfg.is_object() && cfg.size() == 1 &&
             (cfg.contains("cross_entropy") || cfg.contains("binary_cross_entropy"))) {
    name = cfg.begin().key();
    opts = cfg.begin().value();
    if (opts.is_null()) opts = nlohmann::json::object();
  } else if (cfg.is_object()) {
    opts = cfg;
  } else if (!cfg.is_null()) {
    throw ConfigError("loss must be a name or a map, got " + cfg.dump())
        .hint("allowed: cross_entropy, binary_cross_entropy");
  }
  if (name == "cross_entropy")
    loss.kind_ = kCrossEntropy;
  else if (name == "binary_cross_entropy")
    loss.kind_ = kBinaryCrossEntropy;
  else
    throw ConfigError("unknown loss '" + name + "'").hint("allowed: cross_entropy, binary_cross_entropy");
  if (!opts.is_object()) throw ConfigError("loss options must be a map, got " + opts.dump());
  for (const auto& [key, value] : opts.items()) {
    if (key == "label_smoothing") {
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() >= 1)
        throw ConfigError("label_smoothing must be a number in [0, 1), got " + value.dump());
      loss.smoothing_ = value.get<double>();
    } else if (key == "class_weights") {
      if (!value.is_array() || static_cast<int>(value.size()) != classes)
        throw ConfigError("class_weights must list one number per class (" + std::to_string(classes) +
                          "), got " + value.dump());
      for (const auto& w : value) {
        if (!w.is_number() || w.get<double>() < 0)
          throw ConfigError("class_weights must be numbers >= 0, got " + value.dump());
        loss.class_weights_.push_back(w.get<double>());
      }
    } else {
      throw ConfigError("unknown loss key '" + key + "'").hint("allowed: label_smoothing, class_weights");
    }
  }
  return loss;
}

StepStats Loss::compute(const float* logits, const int32_t* labels, int n, int k, float* diff,
                        int batch) const {
  StepStats stats;
  stats.n = n;
  const double scale = 1.0 / (batch > 0 ? batch : n);
  std::vector<double> p(k);
  for (int i = 0; i < n; ++i) {
    const float* z = logits + static_cast<size_t>(i) * k;
    const int y = labels[i];
    if (y < 0 || y >= k)
      throw Error("label " + std::to_string(y) + " is outside the " + std::to_string(k) + " classes");
    const double w = class_weights_.empty() ? 1.0 : class_weights_[y];
    const int arg = static_cast<int>(std::max_element(z, z + k) - z);
    if (arg == y) ++stats.correct;
    double l = 0;
    if (kind_ == kCrossEntropy) {
      const double m = z[arg];
      double sum = 0;
      for (int j = 0; j < k; ++j) sum += std::exp(z[j] - m);
      const double lse = m + std::log(sum);
      for (int j = 0; j < k; ++j) {
        const double t = (j == y ? 1.0 - smoothing_ : 0.0) + smoothing_ / k;
        l -= t * (z[j] - lse);
        p[j] = std::exp(z[j] - lse) - t;
      }
      if (diff)
        for (int j = 0; j < k; ++j)
          diff[static_cast<size_t>(i) * k + j] = static_cast<float>(w * p[j] * scale);
    } else {
      for (int j = 0; j < k; ++j) {
        const double t = (j == y ? 1.0 - smoothing_ : 0.0) + smoothing_ / 2;
        const double x = z[j];
        l += std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::fabs(x)));
        if (diff) {
          const double s = 1.0 / (1.0 + std::exp(-x));
          diff[static_cast<size_t>(i) * k + j] = static_cast<float>(w * (s - t) * scale / k);
        }
      }
      l /= k;
    }
    stats.loss_sum += w * l;
  }
  return stats;
}

void Loss::probabilities(const float* logits, int n, int k, float* probs) const {
  for (int i = 0; i < n; ++i) {
    const float* z = logits + static_cast<size_t>(i) * k;
    float* out = probs + static_cast<size_t>(i) * k;
    if (kind_ == kBinaryCrossEntropy) {
      for (int j = 0; j < k; ++j) out[j] = static_cast<float>(1.0 / (1.0 + std::exp(-double(z[j]))));
      continue;
    }
    const double m = *std::max_element(z, z + k);
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += std::exp(z[j] - m);
    for (int j = 0; j < k; ++j) out[j] = static_cast<float>(std::exp(z[j] - m) / sum);
  }
}

}  // namespace pipe::nn
