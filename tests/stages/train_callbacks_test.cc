// Early stopping, reduce-LR-on-plateau and best-epoch tracking on hand-made
// metric sequences: the epochs at which they act are known exactly.
#include <catch2/catch.hpp>

#include "engine/error.h"
#include "stages/callbacks.h"

using namespace pipe;

namespace {

EpochMetrics val_loss(double v) { return {{"train_loss", 1.0}, {"val_loss", v}, {"val_accuracy", 1 - v}}; }

}  // namespace

TEST_CASE("early stopping stops patience epochs after the best") {
  EarlyStopping es(Monitor::make("val_loss", "auto", 0), 2, true);
  std::vector<double> losses = {1.0, 0.8, 0.9, 0.85, 0.7};
  int stopped_at = 0;
  for (int e = 1; e <= 5 && !stopped_at; ++e)
    if (es.update(e, val_loss(losses[e - 1]))) stopped_at = e;
  CHECK(stopped_at == 4);
  CHECK(es.best_epoch() == 2);
}

TEST_CASE("early stopping with patience 0 stops at the first epoch without improvement") {
  EarlyStopping es(Monitor::make("val_loss", "auto", 0), 0, false);
  CHECK_FALSE(es.update(1, val_loss(0.5)));
  CHECK_FALSE(es.update(2, val_loss(0.4)));
  CHECK(es.update(3, val_loss(0.4)));
  CHECK(es.best_epoch() == 2);
}

TEST_CASE("auto mode maximises accuracy and min_delta ignores small gains") {
  Monitor acc = Monitor::make("val_accuracy", "auto", 0.01);
  CHECK(acc.maximize);
  CHECK(acc.improves(0.9, 0.85));
  CHECK_FALSE(acc.improves(0.855, 0.85));
  Monitor loss = Monitor::make("loss", "auto", 0);
  CHECK(loss.metric == "train_loss");
  CHECK_FALSE(loss.maximize);
  CHECK(Monitor::make("val_loss", "max", 0).maximize);
  EarlyStopping es(acc, 1, true);
  CHECK_FALSE(es.update(1, {{"val_accuracy", 0.80}}));
  CHECK(es.update(2, {{"val_accuracy", 0.805}}));  // below min_delta: no improvement
  CHECK(es.best_epoch() == 1);
}

TEST_CASE("an unknown monitored metric is a configuration error") {
  REQUIRE_THROWS_AS(Monitor::make("val_f1", "auto", 0), Error);
  try {
    Monitor::make("val_f1", "auto", 0);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.hint_text().find("val_accuracy") != std::string::npos);
  }
  REQUIRE_THROWS_AS(Monitor::make("val_loss", "sideways", 0), Error);
  Monitor m = Monitor::make("val_loss", "auto", 0);
  REQUIRE_THROWS_AS(m.value({{"train_loss", 1.0}}), Error);
}

TEST_CASE("early stopping state survives a round trip") {
  std::vector<double> losses = {1.0, 0.9, 0.95, 0.97, 0.99, 0.5};
  EarlyStopping a(Monitor::make("val_loss", "auto", 0), 3, true);
  EarlyStopping b(Monitor::make("val_loss", "auto", 0), 3, true);
  for (int e = 1; e <= 3; ++e) a.update(e, val_loss(losses[e - 1]));
  b.restore(nlohmann::json::parse(a.state().dump()));
  for (int e = 4; e <= 5; ++e) CHECK(a.update(e, val_loss(losses[e - 1])) == b.update(e, val_loss(losses[e - 1])));
  CHECK(a.stopped());
  CHECK(b.stopped());
  CHECK(b.best_epoch() == 2);
}

TEST_CASE("reduce-LR-on-plateau fires after patience epochs, honours cooldown and min_lr") {
  ReduceLROnPlateau r(Monitor::make("val_loss", "auto", 1e-4), 0.5, 2, 1, 0.03);
  double lr = 0.1;
  std::vector<double> factors;
  for (double v : {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}) {
    double f = r.update(val_loss(v), lr);
    lr *= f;
    factors.push_back(f);
  }
  // As Keras: epoch 1 improves (from nothing); 2, 3 wait → reduce at 3; epoch 4 ends the
  // cooldown and waits again, 5 waits → reduce at 5 to max(0.025, 0.03) = 0.03; then
  // lr = min_lr: no more.
  std::vector<double> expected = {1, 1, 0.5, 1, 0.6, 1, 1, 1};
  REQUIRE(factors.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) CHECK(factors[i] == Approx(expected[i]));
  CHECK(lr == Approx(0.03));
  CHECK(r.scale() == Approx(0.3));
}

TEST_CASE("reduce-LR-on-plateau does not fire while the metric improves") {
  ReduceLROnPlateau r(Monitor::make("val_accuracy", "auto", 0), 0.1, 1, 0, 0);
  for (double acc : {0.5, 0.6, 0.7, 0.8}) CHECK(r.update({{"val_accuracy", acc}}, 0.01) == 1.0);
  CHECK(r.update({{"val_accuracy", 0.8}}, 0.01) == Approx(0.1));
}

TEST_CASE("best epoch tracks the monitored metric") {
  BestEpoch best(Monitor::make("val_accuracy", "auto", 0));
  CHECK(best.update(1, {{"val_accuracy", 0.5}}));
  CHECK(best.update(2, {{"val_accuracy", 0.7}}));
  CHECK_FALSE(best.update(3, {{"val_accuracy", 0.6}}));
  CHECK_FALSE(best.update(4, {{"val_accuracy", 0.7}}));
  CHECK(best.best_epoch() == 2);
  BestEpoch copy(Monitor::make("val_accuracy", "auto", 0));
  copy.restore(best.state());
  CHECK_FALSE(copy.update(5, {{"val_accuracy", 0.69}}));
  CHECK(copy.update(6, {{"val_accuracy", 0.71}}));
}
