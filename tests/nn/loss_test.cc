#include "stages/nn/loss.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "engine/error.h"

namespace pipe::nn::test {

namespace {

double log_softmax(const std::vector<float>& z, int k) {
  double sum = 0;
  for (float v : z) sum += std::exp(v);
  return z[k] - std::log(sum);
}

}  // namespace

TEST_CASE("cross-entropy: value, smoothing, class weights, gradient, accuracy", "[nn][loss]") {
  const std::vector<float> z{1.0f, 2.0f, 0.5f, -1.0f, 0.0f, 3.0f};  // two samples, three classes
  const std::vector<int32_t> y{1, 0};
  std::vector<float> diff(6);
  StepStats s = Loss::parse("cross_entropy", 3).compute(z.data(), y.data(), 2, 3, diff.data());
  CHECK(s.n == 2);
  CHECK(s.correct == 1);
  const std::vector<float> z0(z.begin(), z.begin() + 3), z1(z.begin() + 3, z.end());
  CHECK(s.loss_sum == Approx(-log_softmax(z0, 1) - log_softmax(z1, 0)));
  // gradient of the mean: (softmax - one_hot) / n
  CHECK(diff[1] == Approx((std::exp(log_softmax(z0, 1)) - 1) / 2));
  CHECK(diff[5] == Approx(std::exp(log_softmax(z1, 2)) / 2));

  StepStats smooth = Loss::parse({{"label_smoothing", 0.3}}, 3).compute(z.data(), y.data(), 2, 3, nullptr);
  double want = 0;
  for (int k = 0; k < 3; ++k) {
    want -= ((k == 1 ? 0.7 : 0) + 0.1) * log_softmax(z0, k);
    want -= ((k == 0 ? 0.7 : 0) + 0.1) * log_softmax(z1, k);
  }
  CHECK(smooth.loss_sum == Approx(want));

  StepStats weighted = Loss::parse({{"cross_entropy", {{"class_weights", {2.0, 0.5, 1.0}}}}}, 3)
                           .compute(z.data(), y.data(), 2, 3, diff.data());
  CHECK(weighted.loss_sum == Approx(-0.5 * log_softmax(z0, 1) - 2.0 * log_softmax(z1, 0)));
  CHECK(diff[1] == Approx(0.5 * (std::exp(log_softmax(z0, 1)) - 1) / 2));

  // large logits stay finite (log-sum-exp)
  const std::vector<float> big{1000.0f, -1000.0f, 0.0f};
  const int32_t label = 1;
  StepStats b = Loss::parse("cross_entropy", 3).compute(big.data(), &label, 1, 3, diff.data());
  CHECK(b.loss_sum == Approx(2000.0));
  CHECK(std::isfinite(diff[0]));
}

TEST_CASE("binary cross-entropy with logits, probabilities", "[nn][loss]") {
  const std::vector<float> z{2.0f, -1.0f};
  const int32_t y = 0;
  std::vector<float> diff(2), probs(2);
  const Loss loss = Loss::parse("binary_cross_entropy", 2);
  StepStats s = loss.compute(z.data(), &y, 1, 2, diff.data());
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  CHECK(s.loss_sum == Approx((-std::log(sig(2)) - std::log(1 - sig(-1))) / 2));
  CHECK(diff[0] == Approx((sig(2) - 1) / 2));
  CHECK(diff[1] == Approx(sig(-1) / 2));
  loss.probabilities(z.data(), 1, 2, probs.data());
  CHECK(probs[0] == Approx(sig(2)));
  Loss::parse("cross_entropy", 2).probabilities(z.data(), 1, 2, probs.data());
  CHECK(probs[0] + probs[1] == Approx(1.0));
}

TEST_CASE("loss errors", "[nn][loss][errors]") {
  auto line = [](const nlohmann::json& cfg) {
    try {
      Loss::parse(cfg, 3);
    } catch (const Error& e) {
      return e.line();
    }
    return std::string("no error");
  };
  CHECK(line("hinge") == "unknown loss 'hinge'");
  CHECK(line({{"label_smoothing", 1.5}}) == "label_smoothing must be a number in [0, 1), got 1.5");
  CHECK(line({{"class_weights", {1, 2}}}) == "class_weights must list one number per class (3), got [1,2]");
  CHECK(line({{"focal", 2}}) == "unknown loss key 'focal'");
  const std::vector<float> z{0, 0, 0};
  const int32_t bad = 3;
  CHECK_THROWS_AS(Loss::parse("cross_entropy", 3).compute(z.data(), &bad, 1, 3, nullptr), Error);
}

}  // namespace pipe::nn::test
