// Evaluation scores against values computed by hand on a tiny case.
#include <catch2/catch.hpp>

#include <cmath>

#include "stages/scoring.h"

using namespace pipe;

TEST_CASE("evaluation scores match hand-computed values") {
  // 3 classes, 5 samples.  Rows: probabilities; truth below.
  std::vector<float> probs = {
      0.7f, 0.2f, 0.1f,  // true 0, pred 0
      0.1f, 0.6f, 0.3f,  // true 1, pred 1
      0.5f, 0.4f, 0.1f,  // true 1, pred 0 (true class second)
      0.2f, 0.2f, 0.6f,  // true 2, pred 2
      0.3f, 0.6f, 0.1f,  // true 2, pred 1 (true class third)
  };
  std::vector<int> truth = {0, 1, 1, 2, 2};
  Evaluation e = score(probs, truth, {"a", "b", "c"}, 2, 3);
  CHECK(e.n == 5);
  CHECK(e.accuracy == Approx(3.0 / 5));
  double loss = -(std::log(0.7) + std::log(0.6) + std::log(0.4) + std::log(0.6) + std::log(0.1)) / 5;
  CHECK(e.loss == Approx(loss).epsilon(1e-6));
  // a: P 1/2 R 1 F1 2/3; b: P 1/2 R 1/2 F1 1/2; c: P 1 R 1/2 F1 2/3.
  CHECK(e.per_class[0]["precision"].get<double>() == Approx(0.5));
  CHECK(e.per_class[0]["recall"].get<double>() == Approx(1.0));
  CHECK(e.per_class[1]["f1"].get<double>() == Approx(0.5));
  CHECK(e.per_class[2]["f1"].get<double>() == Approx(2.0 / 3));
  CHECK(e.per_class[2]["support"].get<long long>() == 2);
  CHECK(e.per_class[1]["class"] == "b");
  CHECK(e.macro_f1 == Approx((2.0 / 3 + 0.5 + 2.0 / 3) / 3));
  CHECK(e.weighted_f1 == Approx((2.0 / 3 * 1 + 0.5 * 2 + 2.0 / 3 * 2) / 5));
  // top-2: samples 1-4 have the truth in their two best; sample 5 does not.
  CHECK(e.top_k == 2);
  CHECK(e.top_k_accuracy == Approx(4.0 / 5));
  // Confusion rows true, columns predicted.
  CHECK(e.confusion["classes"] == nlohmann::json({"a", "b", "c"}));
  CHECK(e.confusion["matrix"] == nlohmann::json({{1, 0, 0}, {1, 1, 0}, {0, 1, 1}}));
  // ECE with 3 bins over (0,1]: confidences .7 (right) .6 (right) .5 (wrong) .6 (right) .6 (wrong).
  // bin (1/3,2/3]: .6 right, .5 wrong, .6 right, .6 wrong → acc .5, conf .575, weight 4/5
  // bin (2/3,1]: .7 right → acc 1, conf .7, weight 1/5
  CHECK(e.ece == Approx(0.8 * 0.075 + 0.2 * 0.3).margin(1e-6));
}

TEST_CASE("a class absent from the data has null recall and does not lower the macro average") {
  std::vector<float> probs = {0.9f, 0.1f, 0.f, 0.2f, 0.8f, 0.f};
  Evaluation e = score(probs, {0, 1}, {"a", "b", "c"}, 5);
  CHECK(e.accuracy == 1.0);
  CHECK(e.top_k == 3);  // capped at the number of classes
  CHECK(e.per_class[2]["recall"].is_null());
  CHECK(e.per_class[2]["support"] == 0);
  CHECK(e.macro_f1 == Approx(1.0));
}

TEST_CASE("top classes are ordered by probability") {
  float row[] = {0.1f, 0.5f, 0.4f};
  auto top = top_classes(row, {"x", "y", "z"}, 2);
  REQUIRE(top.size() == 2);
  CHECK(top[0]["class"] == "y");
  CHECK(top[1]["class"] == "z");
  CHECK(top[1]["p"].get<double>() == Approx(0.4));
}
