#include "stages/nn/optimizer.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"
#include "stages/nn/parallel.h"

namespace pipe::nn {

namespace {

const char* const kNames = "sgd, adam, adamw, rmsprop";

double number(const nlohmann::json& v, const std::string& key, double lo, double hi) {
  if (!v.is_number()) throw ConfigError(key + " must be a number, got " + v.dump());
  const double x = v.get<double>();
  if (!(x >= lo && x <= hi))
    throw ConfigError(key + " must be in [" + nlohmann::json(lo).dump() + ", " + nlohmann::json(hi).dump() +
                      "], got " + v.dump());
  return x;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

Optimizer::Optimizer(const nlohmann::json& cfg) : config_(cfg) {
  if (!cfg.is_object() || cfg.size() != 1)
    throw ConfigError("optimizer must be a map with one key, the optimizer's name, got " + cfg.dump())
        .hint(std::string("allowed: ") + kNames);
  const std::string name = cfg.begin().key();
  nlohmann::json opts = cfg.begin().value();
  if (opts.is_null()) opts = nlohmann::json::object();
  if (!opts.is_object()) throw ConfigError(name + " options must be a map, got " + opts.dump());
  std::vector<std::string> keys{"lr", "weight_decay", "clip_norm", "warmup", "schedule"};
  if (name == "sgd") {
    kind_ = kSgd;
    base_lr_ = 0.01;
    keys.insert(keys.end(), {"momentum", "nesterov"});
  } else if (name == "adam" || name == "adamw") {
    kind_ = name == "adam" ? kAdam : kAdamW;
    if (kind_ == kAdamW) weight_decay_ = 0.01;
    keys.insert(keys.end(), {"beta1", "beta2", "eps"});
  } else if (name == "rmsprop") {
    kind_ = kRmsprop;
    keys.insert(keys.end(), {"rho", "eps", "momentum"});
  } else {
    throw ConfigError("unknown optimizer '" + name + "'").hint(std::string("allowed: ") + kNames);
  }
  for (const auto& [key, v] : opts.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      throw ConfigError("unknown " + name + " key '" + key + "'").hint("allowed: " + join(keys));
    if (key == "lr")
      base_lr_ = number(v, key, 0, 1e3);
    else if (key == "weight_decay")
      weight_decay_ = number(v, key, 0, 1e3);
    else if (key == "clip_norm")
      clip_norm_ = number(v, key, 0, 1e30);
    else if (key == "warmup")
      warmup_ = number(v, key, 0, 1e9);
    else if (key == "momentum")
      momentum_ = number(v, key, 0, 1);
    else if (key == "beta1")
      beta1_ = number(v, key, 0, 1);
    else if (key == "beta2")
      beta2_ = number(v, key, 0, 1);
    else if (key == "eps")
      eps_ = number(v, key, 0, 1);
    else if (key == "rho")
      rho_ = number(v, key, 0, 1);
    else if (key == "nesterov") {
      if (!v.is_boolean()) throw ConfigError("nesterov must be true or false, got " + v.dump());
      nesterov_ = v.get<bool>();
    } else if (key == "schedule") {
      if (v.is_string() && v.get<std::string>() == "constant") continue;
      if (!v.is_object() || v.size() != 1)
        throw ConfigError("schedule must be a map with one key, got " + v.dump())
            .hint("allowed: constant, {step: {every, gamma}}, {cosine: {epochs, alpha}}");
      schedule_ = v.begin().key();
      if (schedule_ != "step" && schedule_ != "cosine")
        throw ConfigError("unknown schedule '" + schedule_ + "'").hint("allowed: constant, step, cosine");
      const auto& s = v.begin().value();
      if (!s.is_object()) throw ConfigError(schedule_ + " schedule options must be a map, got " + s.dump());
      if (schedule_ == "step") {
        for (const auto& [k, x] : s.items()) {
          if (k == "every")
            every_ = number(x, k, 1e-9, 1e9);
          else if (k == "gamma")
            gamma_ = number(x, k, 0, 1e3);
          else
            throw ConfigError("unknown step schedule key '" + k + "'").hint("allowed: every, gamma");
        }
      } else if (schedule_ == "cosine") {
        for (const auto& [k, x] : s.items()) {
          if (k == "epochs")
            cosine_epochs_ = number(x, k, 1e-9, 1e9);
          else if (k == "alpha")
            alpha_ = number(x, k, 0, 1);
          else
            throw ConfigError("unknown cosine schedule key '" + k + "'").hint("allowed: epochs, alpha");
        }
      } else {
        throw ConfigError("unknown schedule '" + schedule_ + "'").hint("allowed: constant, step, cosine");
      }
    }
  }
}

std::vector<std::string> Optimizer::slots() const {
  switch (kind_) {
    case kSgd:
      return momentum_ > 0 ? std::vector<std::string>{"momentum"} : std::vector<std::string>{};
    case kAdam:
    case kAdamW:
      return {"m", "v"};
    case kRmsprop:
      return momentum_ > 0 ? std::vector<std::string>{"v", "momentum"} : std::vector<std::string>{"v"};
  }
  return {};
}

double Optimizer::factor(int64_t t) const {
  if (warmup_ == 0 && schedule_.empty()) return 1.0;
  if (steps_per_epoch_ <= 0)
    throw Error("the learning-rate schedule counts epochs: call set_steps_per_epoch first");
  const double spe = steps_per_epoch_;
  const double epoch = static_cast<double>(t) / spe;
  double f = 1.0;
  if (warmup_ > 0) f = std::min(1.0, static_cast<double>(t + 1) / (warmup_ * spe));
  if (schedule_ == "step") {
    f *= std::pow(gamma_, std::floor(epoch / every_));
  } else if (schedule_ == "cosine") {
    const double e = std::min(std::max(epoch - warmup_, 0.0), cosine_epochs_);
    f *= alpha_ + (1 - alpha_) * 0.5 * (1 + std::cos(M_PI * e / cosine_epochs_));
  }
  return f;
}

double Optimizer::lr() const { return base_lr_ * factor(t_); }

void Optimizer::set_lr(double lr) {
  const double f = factor(t_);
  base_lr_ = f > 1e-12 ? lr / f : lr;
}

void Optimizer::step(const std::vector<Param*>& params) {
  const double lr = this->lr();
  ++t_;
  // Global gradient norm (double, fixed order: the same with any thread count).
  double scale = 1.0;
  if (clip_norm_ > 0) {
    double sum = 0;
    for (const Param* p : params) {
      const float* g = static_cast<const float*>(p->grad.get_data_handle());
      const size_t size = dnn::floats(p->grad.get_desc());
      for (size_t i = 0; i < size; ++i) sum += static_cast<double>(g[i]) * g[i];
    }
    const double norm = std::sqrt(sum);
    if (norm > clip_norm_) scale = clip_norm_ / (norm + 1e-6);
  }
  const auto slots = this->slots();
  const float flr = static_cast<float>(lr), fscale = static_cast<float>(scale);
  const float b1 = static_cast<float>(beta1_), b2 = static_cast<float>(beta2_);
  const float eps = static_cast<float>(eps_), mom = static_cast<float>(momentum_);
  const float rho = static_cast<float>(rho_);
  const double bc1 = 1 - std::pow(beta1_, static_cast<double>(t_));
  const double bc2 = 1 - std::pow(beta2_, static_cast<double>(t_));
  const float step_size = static_cast<float>(lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  for (Param* p : params) {
    const size_t size = dnn::floats(p->value.get_desc());
    if (p->state.size() != slots.size()) p->state.assign(slots.size(), std::vector<float>(size, 0.0f));
    float* __restrict w = static_cast<float*>(p->value.get_data_handle());
    const float* __restrict grad = static_cast<const float*>(p->grad.get_data_handle());
    const bool decoupled = kind_ == kAdamW;
    const float l2 = (p->decay && !decoupled) ? static_cast<float>(weight_decay_) : 0.0f;
    const float shrink = (p->decay && decoupled) ? static_cast<float>(1.0 - lr * weight_decay_) : 1.0f;
    float* __restrict s0 = slots.size() > 0 ? p->state[0].data() : nullptr;
    float* __restrict s1 = slots.size() > 1 ? p->state[1].data() : nullptr;
    const bool nesterov = nesterov_;
    const Kind kind = kind_;
    // one plain loop per rule, so that the compiler vectorizes it
    for_ranges(size, 32768, [=](size_t begin, size_t end) {
      switch (kind) {
        case kSgd:
          if (s0) {
#pragma omp simd
            for (size_t i = begin; i < end; ++i) {
              const float g = grad[i] * fscale + l2 * w[i];
              s0[i] = mom * s0[i] + g;
              w[i] -= flr * (nesterov ? g + mom * s0[i] : s0[i]);
            }
          } else {
#pragma omp simd
            for (size_t i = begin; i < end; ++i) w[i] -= flr * (grad[i] * fscale + l2 * w[i]);
          }
          break;
        case kAdam:
        case kAdamW:
#pragma omp simd
          for (size_t i = begin; i < end; ++i) {
            const float g = grad[i] * fscale + l2 * w[i];
            w[i] *= shrink;
            s0[i] = b1 * s0[i] + (1 - b1) * g;
            s1[i] = b2 * s1[i] + (1 - b2) * g * g;
            w[i] -= step_size * s0[i] / (std::sqrt(s1[i]) / bc2_sqrt + eps);
          }
          break;
        case kRmsprop:
#pragma omp simd
          for (size_t i = begin; i < end; ++i) {
            const float g = grad[i] * fscale + l2 * w[i];
            s0[i] = rho * s0[i] + (1 - rho) * g * g;
            if (s1) {
              s1[i] = mom * s1[i] + g / (std::sqrt(s0[i]) + eps);
              w[i] -= flr * s1[i];
            } else {
              w[i] -= flr * g / (std::sqrt(s0[i]) + eps);
            }
          }
          break;
      }
    });
  }
}

}  // namespace pipe::nn
