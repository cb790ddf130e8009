#include "stages/callbacks.h"

#include <cmath>
#include <limits>

#include "engine/error.h"

namespace pipe {

using json = nlohmann::json;

const std::vector<std::string>& monitorable_metrics() {
  static const std::vector<std::string> names = {"val_loss", "val_accuracy", "train_loss", "train_accuracy"};
  return names;
}

Monitor Monitor::make(const std::string& metric, const std::string& mode, double min_delta) {
  Monitor m;
  // Keras spells the training metrics without a prefix.
  m.metric = metric == "loss" ? "train_loss" : metric == "accuracy" ? "train_accuracy" : metric;
  bool known = false;
  for (const auto& n : monitorable_metrics()) known |= n == m.metric;
  if (!known)
    throw ConfigError("cannot monitor '" + metric + "'")
        .hint("monitor one of: val_loss, val_accuracy, train_loss, train_accuracy");
  if (mode == "auto") m.maximize = m.metric.find("accuracy") != std::string::npos;
  else if (mode == "max") m.maximize = true;
  else if (mode == "min") m.maximize = false;
  else throw ConfigError("mode: '" + mode + "' is not allowed").hint("allowed: auto | min | max");
  m.min_delta = std::fabs(min_delta);
  return m;
}

bool Monitor::improves(double value, double best) const {
  if (!std::isfinite(value)) return false;
  return maximize ? value - min_delta > best : value + min_delta < best;
}

double Monitor::worst() const {
  return maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

double Monitor::value(const EpochMetrics& m) const {
  auto it = m.find(metric);
  if (it == m.end())
    throw ConfigError("the monitored metric '" + metric + "' is not computed")
        .hint("val_* metrics need `val:` or `val_fraction:` in the train stage");
  return it->second;
}

// JSON cannot hold ±inf; a best of ±inf means "nothing seen yet".
static json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
static double read_best(const json& v, const Monitor& m) { return v.is_number() ? v.get<double>() : m.worst(); }

bool EarlyStopping::update(int epoch, const EpochMetrics& m) {
  double v = monitor_.value(m);
  ++wait_;
  improved_last_ = monitor_.improves(v, best_);
  if (improved_last_) {
    best_ = v;
    best_epoch_ = epoch;
    wait_ = 0;
    return false;
  }
  if (wait_ >= patience_ && epoch > 1) stopped_ = true;
  return stopped_;
}

json EarlyStopping::state() const {
  return {{"best", finite_or_null(best_)}, {"best_epoch", best_epoch_}, {"wait", wait_},
          {"improved_last", improved_last_}, {"stopped", stopped_}};
}

void EarlyStopping::restore(const json& s) {
  best_ = read_best(s.at("best"), monitor_);
  best_epoch_ = s.at("best_epoch").get<int>();
  wait_ = s.at("wait").get<int>();
  improved_last_ = s.at("improved_last").get<bool>();
  stopped_ = s.at("stopped").get<bool>();
}

double ReduceLROnPlateau::update(const EpochMetrics& m, double lr) {
  double v = monitor_.value(m);
  if (cooldown_left_ > 0) {
    --cooldown_left_;
    wait_ = 0;
  }
  if (monitor_.improves(v, best_)) {
    best_ = v;
    wait_ = 0;
  } else if (cooldown_left_ == 0) {
    ++wait_;
    if (wait_ >= patience_ && lr > min_lr_) {
      double new_lr = std::max(lr * factor_, min_lr_);
      scale_ *= new_lr / lr;
      cooldown_left_ = cooldown_;
      wait_ = 0;
      return new_lr / lr;
    }
  }
  return 1.0;
}

json ReduceLROnPlateau::state() const {
  return {{"best", finite_or_null(best_)}, {"wait", wait_}, {"cooldown_left", cooldown_left_}, {"scale", scale_}};
}

void ReduceLROnPlateau::restore(const json& s) {
  best_ = read_best(s.at("best"), monitor_);
  wait_ = s.at("wait").get<int>();
  cooldown_left_ = s.at("cooldown_left").get<int>();
  scale_ = s.at("scale").get<double>();
}

bool BestEpoch::update(int epoch, const EpochMetrics& m) {
  double v = monitor_.value(m);
  if (!monitor_.improves(v, best_)) return false;
  best_ = v;
  best_epoch_ = epoch;
  return true;
}

json BestEpoch::state() const { return {{"best", finite_or_null(best_)}, {"best_epoch", best_epoch_}}; }

void BestEpoch::restore(const json& s) {
  best_ = read_best(s.at("best"), monitor_);
  best_epoch_ = s.at("best_epoch").get<int>();
}

}  // namespace pipe
