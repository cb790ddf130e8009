#include <catch2/catch.hpp>

#include "tests/nn/helpers.h"

namespace pipe::nn::test {

TEST_CASE("the multiscript CNN trains on a fixed batch", "[nn][net]") {
  auto net = make_net(R"([{"conv": {"filters": 8, "kernel": 3, "padding": "same", "activation": "elu"}},
                          {"maxpool": 2},
                          {"conv": {"filters": 16, "kernel": 3, "padding": "same", "activation": "relu"}},
                          {"maxpool": 2}, "flatten", {"dense": {"units": 6, "activation": "softmax"}}])",
                      {1, 28, 28}, 6);
  const int n = 16;
  auto x = random_values(n * 28 * 28, 5, 0, 1);
  auto y = random_labels(n, 6, 6);
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    StepStats s = net->train_step(x.data(), y.data(), n);
    if (step == 0) first = s.loss_sum / n;
    last = s.loss_sum / n;
  }
  INFO(net->summary());
  CHECK(last < first * 0.5);
  std::vector<float> probs(n * 6);
  StepStats s = net->predict(x.data(), n, probs.data(), y.data());
  CHECK(s.correct > n / 2);
}

}  // namespace pipe::nn::test
