#include "tests/nn/helpers.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace pipe::nn::test {

std::vector<float> random_values(size_t n, uint64_t seed, float lo, float hi) {
  std::mt19937_64 gen(seed);
  std::vector<float> out(n);
  for (float& v : out) v = lo + (hi - lo) * static_cast<float>((gen() >> 11) * 0x1.0p-53);
  return out;
}

std::vector<int32_t> random_labels(size_t n, int classes, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<int32_t> out(n);
  for (auto& v : out) v = static_cast<int32_t>(gen() % classes);
  return out;
}

std::unique_ptr<Net> make_net(const std::string& layers_json, InputShape in, int classes, uint64_t seed) {
  return Net::build(nlohmann::json::parse(layers_json), in, classes, seed, 1);
}

double train_loss(Net& net, const std::vector<float>& x, const std::vector<int32_t>& y) {
  StepStats s = net.forward_backward(x.data(), y.data(), static_cast<int>(y.size()));
  return s.loss_sum / s.n;
}

namespace {

// Compares analytic gradient `ana` of a tensor with central differences, where
// set(v) installs values v of the tensor and loss() evaluates.
GradCheck check(std::vector<float> values, const std::vector<float>& ana,
                const std::function<void(const std::vector<float>&)>& set,
                const std::function<double()>& loss, double eps, double atol, double rtol, int count,
                uint64_t seed) {
  GradCheck out;
  std::ostringstream detail;
  std::mt19937_64 gen(seed);
  const std::vector<float> base = values;
  for (int c = 0; c < count && c < static_cast<int>(values.size()); ++c) {
    const size_t i = count >= static_cast<int>(values.size()) ? c : gen() % values.size();
    values[i] = base[i] + static_cast<float>(eps);
    set(values);
    const double up = loss();
    values[i] = base[i] - static_cast<float>(eps);
    set(values);
    const double down = loss();
    values[i] = base[i];
    const double num = (up - down) / (2 * eps);
    const double ratio = std::fabs(num - ana[i]) / (atol + rtol * std::fabs(ana[i]));
    if (ratio > out.worst) {
      out.worst = ratio;
      detail.str("");
      detail << "entry " << i << ": numeric " << num << " analytic " << ana[i];
    }
  }
  // A random direction: the derivative along it is the dot product with the gradient.
  std::vector<float> dir = random_values(values.size(), seed + 7);
  double dot = 0, norm = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    dot += static_cast<double>(dir[i]) * ana[i];
    norm += std::fabs(dir[i] * ana[i]);
  }
  auto shifted = [&](double s) {
    std::vector<float> v(base.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = base[i] + static_cast<float>(s * dir[i]);
    set(v);
    return loss();
  };
  const double num = (shifted(eps) - shifted(-eps)) / (2 * eps);
  set(base);
  out.directional = std::fabs(num - dot) / (atol + rtol * norm);
  detail << "; direction: numeric " << num << " analytic " << dot;
  out.detail = detail.str();
  return out;
}

}  // namespace

GradCheck check_param_grad(Net& net, const std::string& param, const std::vector<float>& x,
                           const std::vector<int32_t>& y, double eps, double atol, double rtol, int count) {
  train_loss(net, x, y);
  const std::vector<float> ana = net.get_grad(param);
  return check(
      net.get_param(param), ana, [&](const std::vector<float>& v) { net.set_param(param, v); },
      [&]() { return train_loss(net, x, y); }, eps, atol, rtol, count, 99);
}

GradCheck check_input_grad(Net& net, std::vector<float> x, const std::vector<int32_t>& y, double eps,
                           double atol, double rtol, int count) {
  net.enable_input_grad(true);
  train_loss(net, x, y);
  const std::vector<float> ana = net.input_grad();
  std::vector<float> current = x;
  return check(
      x, ana, [&](const std::vector<float>& v) { current = v; },
      [&]() { return train_loss(net, current, y); }, eps, atol, rtol, count, 98);
}

}  // namespace pipe::nn::test
