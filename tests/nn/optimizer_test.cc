// One or two optimizer steps against updates computed here from the formulas.
#include <catch2/catch.hpp>
#include <cmath>

#include "engine/error.h"
#include "tests/nn/helpers.h"

namespace pipe::nn::test {

namespace {

using Vec = std::vector<float>;

struct Tiny {
  std::unique_ptr<Net> net;
  Vec x = random_values(3 * 4, 31);
  std::vector<int32_t> y{0, 1, 1};
  Tiny() {
    net = make_net(R"(["flatten", {"dense": 2}])", {1, 2, 2}, 2);
    net->set_param("dense_1.bias", {0.3f, -0.2f});
  }
  // Gradients of the next step, then the step; returns {w before, grad, w after} for a parameter.
  struct Step {
    Vec before, grad, after;
  };
  std::vector<Step> step(const std::vector<std::string>& names) {
    std::vector<Step> out(names.size());
    for (size_t i = 0; i < names.size(); ++i) out[i].before = net->get_param(names[i]);
    net->forward_backward(x.data(), y.data(), 3);
    for (size_t i = 0; i < names.size(); ++i) out[i].grad = net->get_grad(names[i]);
    net->apply_optimizer();
    for (size_t i = 0; i < names.size(); ++i) out[i].after = net->get_param(names[i]);
    return out;
  }
};

void require_close(const Vec& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-5).margin(1e-7));
}

}  // namespace

TEST_CASE("sgd, with momentum and nesterov, and L2 weight decay on kernels", "[nn][optimizer]") {
  {
    Tiny t;
    t.net->set_optimizer({{"sgd", {{"lr", 0.1}}}});
    auto s = t.step({"dense_1.weight"})[0];
    std::vector<double> want;
    for (size_t i = 0; i < s.before.size(); ++i) want.push_back(s.before[i] - 0.1 * s.grad[i]);
    require_close(s.after, want);
  }
  for (bool nesterov : {false, true}) {
    Tiny t;
    t.net->set_optimizer({{"sgd", {{"lr", 0.1}, {"momentum", 0.9}, {"nesterov", nesterov}}}});
    auto s1 = t.step({"dense_1.weight"})[0];
    auto s2 = t.step({"dense_1.weight"})[0];
    std::vector<double> want;
    for (size_t i = 0; i < s1.before.size(); ++i) {
      const double b1 = s1.grad[i], b2 = 0.9 * b1 + s2.grad[i];
      want.push_back(s2.before[i] - 0.1 * (nesterov ? s2.grad[i] + 0.9 * b2 : b2));
    }
    require_close(s2.after, want);
  }
  {
    Tiny t;
    t.net->set_optimizer({{"sgd", {{"lr", 0.1}, {"weight_decay", 0.5}}}});
    auto s = t.step({"dense_1.weight", "dense_1.bias"});
    std::vector<double> w, b;
    for (size_t i = 0; i < s[0].before.size(); ++i)
      w.push_back(s[0].before[i] - 0.1 * (s[0].grad[i] + 0.5 * s[0].before[i]));
    for (size_t i = 0; i < s[1].before.size(); ++i) b.push_back(s[1].before[i] - 0.1 * s[1].grad[i]);
    require_close(s[0].after, w);
    require_close(s[1].after, b);  // biases are not decayed
  }
}

TEST_CASE("adam and adamw over two steps (PyTorch's update)", "[nn][optimizer]") {
  for (bool decoupled : {false, true}) {
    Tiny t;
    nlohmann::json opts = {{"lr", 0.01}, {"beta1", 0.8}, {"beta2", 0.9}, {"eps", 1e-6}};
    if (decoupled) opts["weight_decay"] = 0.1;
    t.net->set_optimizer({{decoupled ? "adamw" : "adam", opts}});
    auto s1 = t.step({"dense_1.weight"})[0];
    auto s2 = t.step({"dense_1.weight"})[0];
    std::vector<double> want;
    for (size_t i = 0; i < s1.before.size(); ++i) {
      double w = s1.before[i], m = 0, v = 0;
      const double g[2] = {s1.grad[i], s2.grad[i]};
      for (int k = 1; k <= 2; ++k) {
        if (decoupled) w *= 1 - 0.01 * 0.1;
        m = 0.8 * m + 0.2 * g[k - 1];
        v = 0.9 * v + 0.1 * g[k - 1] * g[k - 1];
        const double mhat = m / (1 - std::pow(0.8, k)), vhat = v / (1 - std::pow(0.9, k));
        w -= 0.01 * mhat / (std::sqrt(vhat) + 1e-6);
      }
      want.push_back(w);
    }
    require_close(s2.after, want);
  }
}

TEST_CASE("rmsprop with and without momentum", "[nn][optimizer]") {
  for (double momentum : {0.0, 0.5}) {
    Tiny t;
    t.net->set_optimizer({{"rmsprop", {{"lr", 0.01}, {"rho", 0.9}, {"eps", 1e-7}, {"momentum", momentum}}}});
    auto s1 = t.step({"dense_1.bias"})[0];
    auto s2 = t.step({"dense_1.bias"})[0];
    std::vector<double> want;
    for (size_t i = 0; i < s1.before.size(); ++i) {
      double w = s1.before[i], v = 0, b = 0;
      for (double g : {double(s1.grad[i]), double(s2.grad[i])}) {
        v = 0.9 * v + 0.1 * g * g;
        b = momentum * b + g / (std::sqrt(v) + 1e-7);
        w -= 0.01 * b;
      }
      want.push_back(w);
    }
    require_close(s2.after, want);
  }
}

TEST_CASE("gradient clipping scales all gradients to the global norm", "[nn][optimizer]") {
  Tiny t;
  t.net->set_optimizer({{"sgd", {{"lr", 1.0}, {"clip_norm", 0.01}}}});
  auto s = t.step({"dense_1.weight", "dense_1.bias"});
  double norm = 0;
  for (const auto& p : s)
    for (float g : p.grad) norm += double(g) * g;
  norm = std::sqrt(norm);
  REQUIRE(norm > 0.01);
  for (const auto& p : s) {
    std::vector<double> want;
    for (size_t i = 0; i < p.before.size(); ++i) want.push_back(p.before[i] - p.grad[i] * 0.01 / norm);
    require_close(p.after, want);
  }
}

TEST_CASE("learning-rate warm-up, step and cosine schedules; set_lr rescales", "[nn][optimizer]") {
  Tiny t;
  t.net->set_optimizer(
      {{"sgd", {{"lr", 0.1}, {"warmup", 1}, {"schedule", {{"step", {{"every", 2}, {"gamma", 0.5}}}}}}}});
  CHECK_THROWS_AS(t.net->lr(), Error);  // epochs need steps_per_epoch
  t.net->set_steps_per_epoch(4);
  std::vector<double> seen;
  for (int i = 0; i < 12; ++i) {
    seen.push_back(t.net->lr());
    t.step({});
  }
  const std::vector<double> want{0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05};
  for (size_t i = 0; i < want.size(); ++i) CHECK(seen[i] == Approx(want[i]));
  t.net->set_lr(t.net->lr() * 0.5);  // reduce on plateau
  CHECK(t.net->lr() == Approx(0.025));

  Tiny c;
  c.net->set_optimizer(
      {{"adam", {{"lr", 0.01}, {"schedule", {{"cosine", {{"epochs", 2}, {"alpha", 0.1}}}}}}}});
  c.net->set_steps_per_epoch(2);
  for (int i = 0; i < 6; ++i) {
    const double e = std::min(i / 2.0, 2.0);
    CHECK(c.net->lr() == Approx(0.01 * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * e / 2)))));
    c.step({});
  }
}

TEST_CASE("optimizer configuration errors list what is allowed", "[nn][optimizer][errors]") {
  Tiny t;
  auto line = [&](const nlohmann::json& cfg) {
    try {
      t.net->set_optimizer(cfg);
    } catch (const Error& e) {
      CHECK(e.exit_code() == 2);
      return e.line() + " | " + e.hint_text();
    }
    return std::string("no error");
  };
  CHECK(line({{"adagrad", {{"lr", 0.1}}}}) ==
        "unknown optimizer 'adagrad' | allowed: sgd, adam, adamw, rmsprop");
  CHECK(line({{"adam", {{"momentum", 0.9}}}}) ==
        "unknown adam key 'momentum' | allowed: lr, weight_decay, clip_norm, warmup, schedule, beta1, beta2, "
        "eps");
  CHECK(line({{"sgd", {{"lr", "fast"}}}}) == "lr must be a number, got \"fast\" | ");
  CHECK(line({{"sgd", {{"schedule", {{"linear", {}}}}}}}) ==
        "unknown schedule 'linear' | allowed: constant, step, cosine");
}

}  // namespace pipe::nn::test
