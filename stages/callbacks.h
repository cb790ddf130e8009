// Training callbacks, as Keras users know them: early stopping, reduce the
// learning rate on a plateau, keep the best epoch.  Each one sees the epoch's metrics (train_loss,
// train_accuracy, val_loss, val_accuracy) after every epoch and keeps a small
// state that goes into the training checkpoint, so a resumed run takes the
// same decisions as an uninterrupted one.
//
// YAML keys (in the train stage):
//   early_stopping: { monitor: val_loss, mode: auto|min|max, patience: 0, min_delta: 0,
//                     restore_best: true }
//   reduce_lr_on_plateau: { monitor: val_loss, mode: auto, factor: 0.1, patience: 10,
//                           min_delta: 0.0001, cooldown: 0, min_lr: 0 }
//   checkpoint: { monitor: val_loss, mode: auto }     # the stage's model is the best epoch's
// Learning-rate schedules belong to the optimizer (stages/nn/net.h:
// optimizer: { adam: { lr: 0.001, warmup: 1, schedule: { cosine: { epochs: 20 } } } }).
// mode auto means max for a metric whose name contains "accuracy", min otherwise.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipe {

using EpochMetrics = std::map<std::string, double>;

// The metric names a callback may monitor.
const std::vector<std::string>& monitorable_metrics();

// A monitored metric and the direction that counts as better.
struct Monitor {
  std::string metric = "val_loss";
  bool maximize = false;
  double min_delta = 0;

  // mode: auto | min | max.
  static Monitor make(const std::string& metric, const std::string& mode, double min_delta);
  // True when `value` beats `best` by more than min_delta.
  bool improves(double value, double best) const;
  double worst() const;  // the starting "best"
  // The metric's value in `m`; throws when the epoch has no such metric.
  double value(const EpochMetrics& m) const;
};

class EarlyStopping {
 public:
  EarlyStopping(Monitor monitor, int patience, bool restore_best)
      : monitor_(std::move(monitor)), patience_(patience), restore_best_(restore_best), best_(monitor_.worst()) {}

  // After epoch `epoch` (1-based).  Returns true when training should stop.
  bool update(int epoch, const EpochMetrics& m);
  // Epoch of the best value so far (0 before the first).
  int best_epoch() const { return best_epoch_; }
  // True when this epoch set a new best.
  bool improved_last() const { return improved_last_; }
  bool restore_best() const { return restore_best_; }
  bool stopped() const { return stopped_; }
  const Monitor& monitor() const { return monitor_; }

  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  Monitor monitor_;
  int patience_;
  bool restore_best_;
  double best_;
  int best_epoch_ = 0;
  int wait_ = 0;
  bool improved_last_ = false;
  bool stopped_ = false;
};

class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(Monitor monitor, double factor, int patience, int cooldown, double min_lr)
      : monitor_(std::move(monitor)), factor_(factor), patience_(patience), cooldown_(cooldown),
        min_lr_(min_lr), best_(monitor_.worst()) {}

  // After an epoch: the factor (≤ 1) by which the learning rate is
  // multiplied from now on, given the current rate `lr`.
  double update(const EpochMetrics& m, double lr);
  // The product of every reduction so far.
  double scale() const { return scale_; }
  double min_lr() const { return min_lr_; }

  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  Monitor monitor_;
  double factor_;
  int patience_;
  int cooldown_;
  double min_lr_;
  double best_;
  int wait_ = 0;
  int cooldown_left_ = 0;
  double scale_ = 1;
};

// Remembers the best epoch by a monitored metric.
class BestEpoch {
 public:
  explicit BestEpoch(Monitor monitor) : monitor_(std::move(monitor)), best_(monitor_.worst()) {}
  // True when epoch `epoch` is the new best.
  bool update(int epoch, const EpochMetrics& m);
  int best_epoch() const { return best_epoch_; }
  double best() const { return best_; }
  const Monitor& monitor() const { return monitor_; }

  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  Monitor monitor_;
  double best_;
  int best_epoch_ = 0;
};

}  // namespace pipe
