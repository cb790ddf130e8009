// Helpers for the neural-net tests: seeded data, nets from JSON text, gradient checks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "stages/nn/net.h"

namespace pipe::nn::test {

// Uniform values in [lo, hi), seeded.
std::vector<float> random_values(size_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f);
std::vector<int32_t> random_labels(size_t n, int classes, uint64_t seed);

std::unique_ptr<Net> make_net(const std::string& layers_json, InputShape in, int classes, uint64_t seed = 1);

// Mean loss of a training-mode forward (no update).
double train_loss(Net& net, const std::vector<float>& x, const std::vector<int32_t>& y);

// The largest violation of |numeric - analytic| <= atol + rtol * |analytic| over `count`
// sampled entries of a tensor, numeric by central differences of train_loss.
struct GradCheck {
  double worst = 0;        // max of |num - ana| / (atol + rtol |ana|): <= 1 passes
  double directional = 0;  // same ratio for a random direction over the whole tensor
  std::string detail;
};
GradCheck check_param_grad(Net& net, const std::string& param, const std::vector<float>& x,
                           const std::vector<int32_t>& y, double eps, double atol, double rtol,
                           int count = 12);
GradCheck check_input_grad(Net& net, std::vector<float> x, const std::vector<int32_t>& y, double eps,
                           double atol, double rtol, int count = 12);

}  // namespace pipe::nn::test
