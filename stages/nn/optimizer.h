// Optimizers, weight decay, gradient clipping and learning-rate schedules.
//
// Config (the train stage's `optimizer:` map): one key naming the optimizer.
//   sgd:     { lr: 0.01, momentum: 0, nesterov: false }
//   adam:    { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-7 }
//   adamw:   { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-7, weight_decay: 0.01 }
//   rmsprop: { lr: 0.001, rho: 0.9, eps: 1e-7, momentum: 0 }
// Every optimizer also takes:
//   weight_decay: 0     L2 (adds wd * w to the gradient); adamw decays decoupled (w -= lr * wd * w).
//                       Applies to kernels (weight, weight_ih, weight_hh), not biases or norms.
//   clip_norm: 1.0      scales all gradients so their global L2 norm is at most this
//   warmup: 2           epochs of linear warm-up: factor (t + 1) / (warmup * steps_per_epoch)
//   schedule: { step: { every: 10, gamma: 0.5 } }      factor gamma ^ floor(epoch / every)
//           | { cosine: { epochs: 50, alpha: 0.0 } }   factor alpha + (1 - alpha) (1 + cos(pi e / epochs)) /
//           2,
//                                                      e = epochs since the warm-up, at most `epochs`
// The step's learning rate is lr * warm-up factor * schedule factor, with epoch = t /
// steps_per_epoch for the t-th step (0-based).  The update rules are PyTorch's:
//   sgd      b = m b + g;  w -= lr (nesterov ? g + m b : b)
//   adam     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  w -= lr/(1-b1^t) m / (sqrt(v/(1-b2^t)) + eps)
//   rmsprop  v = rho v + (1-rho) g^2;  b = mom b + g / (sqrt(v) + eps);  w -= lr b  (mom 0: w -= lr
//   g/(sqrt(v)+eps))
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stages/nn/layer.h"

namespace pipe::nn {

class Optimizer {
 public:
  enum Kind { kSgd, kAdam, kAdamW, kRmsprop };

  // Throws ConfigError for unknown optimizers or keys.
  explicit Optimizer(const nlohmann::json& cfg);

  const nlohmann::json& config() const { return config_; }
  // Names of the per-parameter state buffers ("m", "v"; "momentum"; ...).
  std::vector<std::string> slots() const;

  // One update of every parameter in params (their grad holds the gradient).
  void step(const std::vector<Param*>& params);

  double lr() const;  // of the next step
  void set_lr(double lr);
  double base_lr() const { return base_lr_; }
  void set_base_lr(double lr) { base_lr_ = lr; }
  void set_steps_per_epoch(int steps) { steps_per_epoch_ = steps; }
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }

 private:
  double factor(int64_t t) const;

  nlohmann::json config_;
  Kind kind_ = kAdam;
  double base_lr_ = 0.001;
  double beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-7;
  double momentum_ = 0, rho_ = 0.9;
  bool nesterov_ = false;
  double weight_decay_ = 0, clip_norm_ = 0;
  double warmup_ = 0;
  std::string schedule_;  // "", "step", "cosine"
  double every_ = 1, gamma_ = 1, cosine_epochs_ = 1, alpha_ = 0;
  int steps_per_epoch_ = 0;
  int64_t t_ = 0;  // steps taken
};

}  // namespace pipe::nn
