// Statistics of report/stats.h against hand-computed values.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/error.h"
#include "report/stats.h"

using namespace pipe::report;

TEST_CASE("confusion matrix counts pairs and rejects out-of-range classes", "[stats]") {
  ConfusionMatrix m = confusion_matrix({0, 0, 1, 2, 2, 2}, {0, 1, 1, 2, 0, 2}, 3);
  CHECK(m == ConfusionMatrix{{1, 1, 0}, {0, 1, 0}, {1, 0, 2}});
  CHECK_THROWS_AS(confusion_matrix({0, 3}, {0, 0}, 3), pipe::Error);
  CHECK_THROWS_AS(confusion_matrix({0}, {0, 0}, 3), pipe::Error);
  auto norm = row_normalized(m);
  CHECK(norm[2][2] == Approx(2.0 / 3));
  CHECK(norm[1][1] == Approx(1.0));
}

TEST_CASE("precision, recall and F1 match hand-computed values", "[stats]") {
  // Columns sum to 7, 4, 5; rows to 6, 6, 4; 12 of 16 on the diagonal.
  ConfusionMatrix m{{5, 1, 0}, {2, 3, 1}, {0, 0, 4}};
  ClassificationReport r = classification_report(m, {"a", "b", "c"});
  REQUIRE(r.classes.size() == 3);
  CHECK(r.total == 16);
  CHECK(r.accuracy == Approx(0.75));
  CHECK(r.classes[0].name == "a");
  CHECK(r.classes[0].precision == Approx(5.0 / 7));
  CHECK(r.classes[0].recall == Approx(5.0 / 6));
  CHECK(r.classes[0].f1 == Approx(10.0 / 13));
  CHECK(r.classes[1].precision == Approx(0.75));
  CHECK(r.classes[1].recall == Approx(0.5));
  CHECK(r.classes[1].f1 == Approx(0.6));
  CHECK(r.classes[2].precision == Approx(0.8));
  CHECK(r.classes[2].recall == Approx(1.0));
  CHECK(r.classes[2].f1 == Approx(8.0 / 9));
  CHECK(r.classes[2].support == 4);
  CHECK(r.macro_f1 == Approx((10.0 / 13 + 0.6 + 8.0 / 9) / 3));
  CHECK(r.macro_precision == Approx((5.0 / 7 + 0.75 + 0.8) / 3));
  CHECK(r.weighted_f1 == Approx((6 * 10.0 / 13 + 6 * 0.6 + 4 * 8.0 / 9) / 16));
  CHECK(r.weighted_recall == Approx(0.75));  // weighted recall is accuracy
}

TEST_CASE("classes never predicted or absent are handled without NaN leaking into averages", "[stats]") {
  // Class 1 is never predicted; class 2 has no samples and is never predicted.
  ConfusionMatrix m{{3, 0, 0}, {2, 0, 0}, {0, 0, 0}};
  ClassificationReport r = classification_report(m);
  CHECK(r.classes[1].name == "1");
  CHECK(std::isnan(r.classes[1].precision));
  CHECK(r.classes[1].recall == 0);
  CHECK(r.classes[1].f1 == 0);
  CHECK(std::isnan(r.classes[2].recall));
  CHECK(std::isnan(r.classes[2].f1));
  // Macro over the two classes present: F1(0) = 2*3/(6+2) = 0.75, F1(1) = 0.
  CHECK(r.macro_f1 == Approx(0.375));
  CHECK(r.weighted_f1 == Approx(0.75 * 3 / 5));
  CHECK_THROWS_AS(classification_report(m, {"only", "two"}), pipe::Error);
}

TEST_CASE("top-k accuracy and top_k order", "[stats]") {
  const float probs[] = {0.5f, 0.3f, 0.2f,   // truth 1: rank 2
                         0.1f, 0.1f, 0.8f,   // truth 2: rank 1
                         0.6f, 0.3f, 0.1f};  // truth 2: rank 3
  std::vector<int> truth{1, 2, 2};
  CHECK(top_k_accuracy(probs, 3, 3, truth, 1) == Approx(1.0 / 3));
  CHECK(top_k_accuracy(probs, 3, 3, truth, 2) == Approx(2.0 / 3));
  CHECK(top_k_accuracy(probs, 3, 3, truth, 3) == Approx(1.0));
  CHECK(top_k(probs, 3, 2) == std::vector<int>{0, 1});
  CHECK(top_k(probs + 3, 3, 3) == std::vector<int>{2, 0, 1});
  CHECK(argmax(probs + 6, 3) == 0);
}

TEST_CASE("expected calibration error matches a hand computation", "[stats]") {
  // Two bins: (0, .5] holds 0.4 (right) and 0.3 (wrong): acc .5, conf .35 -> .15 * 2/4.
  // (.5, 1] holds 0.9 (right) and 0.7 (right): acc 1, conf .8 -> .2 * 2/4.
  double ece = expected_calibration_error({0.4, 0.3, 0.9, 0.7}, {true, false, true, true}, 2);
  CHECK(ece == Approx(0.15 * 0.5 + 0.2 * 0.5));
  // From probabilities: perfectly confident and right is perfectly calibrated.
  const float sure[] = {1, 0, 0, 1};
  CHECK(expected_calibration_error(sure, 2, 2, {0, 1}) == Approx(0.0));
  const float wrong[] = {1, 0};
  CHECK(expected_calibration_error(wrong, 1, 2, {1}) == Approx(1.0));
}

TEST_CASE("McNemar exact test matches the binomial by hand", "[stats]") {
  // b = 10, c = 2: P(X <= 2 | n = 12) = (1 + 12 + 66) / 4096; two-sided doubles it.
  McNemar r = mcnemar_exact(10, 2);
  CHECK(r.p_value == Approx(2 * 79.0 / 4096).epsilon(1e-12));
  CHECK(mcnemar_exact(2, 10).p_value == Approx(r.p_value).epsilon(1e-12));
  CHECK(mcnemar_exact(0, 5).p_value == Approx(2.0 / 32).epsilon(1e-12));
  CHECK(mcnemar_exact(3, 3).p_value == 1.0);
  CHECK(mcnemar_exact(0, 0).p_value == 1.0);
  // Large counts stay finite: b = 600, c = 400 is far from chance.
  double big = mcnemar_exact(600, 400).p_value;
  CHECK(big > 0);
  CHECK(big < 1e-9);

  std::vector<bool> a{true, true, true, false, false, true};
  std::vector<bool> b{true, false, false, true, false, true};
  McNemar p = mcnemar(a, b);
  CHECK(p.b == 2);
  CHECK(p.c == 1);
  CHECK(p.both_right == 2);
  CHECK(p.both_wrong == 1);
  CHECK_THROWS_AS(mcnemar(a, {true}), pipe::Error);
}

TEST_CASE("paired bootstrap is reproducible and covers the true difference", "[stats]") {
  // 400 samples: both right on 260, only A right on 20, only B right on 60, both wrong on 60.
  // Accuracy A = 0.70, B = 0.80.
  std::vector<bool> a, b;
  auto add = [&](int n, bool ra, bool rb) {
    for (int i = 0; i < n; ++i) a.push_back(ra), b.push_back(rb);
  };
  // Interleave so that resampling sees a mixed order.
  for (int rep = 0; rep < 20; ++rep) add(13, true, true), add(1, true, false), add(3, false, true),
                                     add(3, false, false);
  REQUIRE(a.size() == 400);
  Bootstrap r1 = paired_bootstrap(a, b, 2000, 7);
  Bootstrap r2 = paired_bootstrap(a, b, 2000, 7);
  Bootstrap r3 = paired_bootstrap(a, b, 2000, 8);
  CHECK(r1.difference == Approx(0.10));
  CHECK(r1.lo == r2.lo);
  CHECK(r1.hi == r2.hi);
  CHECK((r3.lo != r1.lo || r3.hi != r1.hi));
  CHECK(r1.lo < 0.10);
  CHECK(r1.hi > 0.10);
  CHECK(r1.lo > 0.0);  // 60 vs 20 discordant pairs is a clear difference
  // Normal approximation: sd of the mean difference = sqrt((80/400 - 0.01) / 400) ~ 0.0218.
  CHECK(r1.hi - r1.lo == Approx(2 * 1.96 * 0.0218).epsilon(0.15));

  // Identical models: the interval is exactly zero.
  Bootstrap same = paired_bootstrap(a, a, 500, 1);
  CHECK(same.lo == 0);
  CHECK(same.hi == 0);
}

TEST_CASE("mean and sample std", "[stats]") {
  MeanStd s = mean_std({0.90, 0.92, 0.94});
  CHECK(s.mean == Approx(0.92));
  CHECK(s.std == Approx(0.02));
  CHECK(s.n == 3);
  CHECK(std::isnan(mean_std({0.5}).std));
  CHECK(mean_std({0.5}).mean == 0.5);
}

TEST_CASE("most confused pairs are ordered by count", "[stats]") {
  ConfusionMatrix m{{5, 1, 3}, {4, 2, 0}, {0, 4, 1}};
  auto pairs = most_confused(m, 3);
  REQUIRE(pairs.size() == 3);
  CHECK(pairs[0].true_class == 1);
  CHECK(pairs[0].pred_class == 0);
  CHECK(pairs[0].count == 4);
  CHECK(pairs[0].row_fraction == Approx(4.0 / 6));
  CHECK(pairs[1].true_class == 2);
  CHECK(pairs[1].pred_class == 1);
  CHECK(pairs[2].count == 3);
  CHECK(most_confused(m, 100).size() == 4);
}
