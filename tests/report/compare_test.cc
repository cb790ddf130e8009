// Run comparison: parameter diff, metric deltas, per-class F1, confusion
// changes, paired tests only on the same test set, mean ± std over seeds.
#include <catch2/catch.hpp>

#include <cmath>

#include "report/compare.h"

using namespace pipe::report;

namespace {

// 3 classes, 20 test images; `wrong` lists the images the run gets wrong.
CompareRun make_run(const std::string& name, const std::string& test_set, std::vector<int> wrong,
                    std::map<std::string, std::string> params) {
  CompareRun r;
  r.id = name + "-id";
  r.name = name;
  r.params = std::move(params);
  r.classes = {"a", "b", "c"};
  r.test_set = test_set;
  std::vector<int> truth, pred;
  for (int i = 0; i < 20; ++i) {
    int t = i % 3;
    bool bad = std::find(wrong.begin(), wrong.end(), i) != wrong.end();
    truth.push_back(t);
    pred.push_back(bad ? (t + 1) % 3 : t);
    r.correct.push_back(!bad);
    r.sample_paths.push_back("img" + std::to_string(i) + ".png");
  }
  r.confusion = confusion_matrix(truth, pred, 3);
  ClassificationReport cr = classification_report(r.confusion, r.classes);
  for (const auto& s : cr.classes) r.f1.push_back(s.f1);
  r.metrics["accuracy"] = cr.accuracy;
  r.metrics["macro_f1"] = cr.macro_f1;
  r.metrics["loss"] = 1 - cr.accuracy;
  return r;
}

}  // namespace

TEST_CASE("compare: parameters that differ come first; --only-diff drops the rest", "[compare]") {
  auto a = make_run("A", "k1", {0, 1, 2, 3}, {{"train.model", "mlp.yaml"}, {"train.epochs", "10"}, {"seed", "800"}});
  auto b = make_run("B", "k1", {0}, {{"train.model", "cnn.yaml"}, {"train.epochs", "10"}, {"seed", "800"},
                                    {"clean.invert", "false"}});
  Comparison c = compare_runs({a, b});
  REQUIRE(c.param_names.size() == 4);
  CHECK(c.param_names[0] == "clean.invert");  // missing in A: differs
  CHECK(c.param_names[1] == "train.model");
  CHECK(c.param_differs[1]);
  CHECK_FALSE(c.param_differs[2]);
  CompareOptions only;
  only.only_diff = true;
  Comparison d = compare_runs({a, b}, only);
  CHECK(d.param_names == std::vector<std::string>{"clean.invert", "train.model"});
  std::string text = render_comparison(d, TableFormat::kText);
  CHECK(text.find("train.epochs") == std::string::npos);
  CHECK(text.find("cnn.yaml") != std::string::npos);
}

TEST_CASE("compare: equal parameters at their defaults are hidden from tables, not from JSON", "[compare]") {
  std::map<std::string, std::string> p{{"train.model", "mlp.yaml"}, {"train.batch", "64"}, {"train.epochs", "10"},
                                       {"evaluate.top_k", "5"}, {"clean.size", "[28, 28]"}};
  auto a = make_run("A", "k1", {0}, p);
  p["train.model"] = "cnn.yaml";
  p["clean.size"] = "[32, 32]";
  auto b = make_run("B", "k1", {1}, p);
  // epochs and top_k are at their defaults in both; batch was set in A only; size is a default in A only.
  a.default_params = {"train.epochs", "evaluate.top_k", "clean.size"};
  b.default_params = {"train.epochs", "evaluate.top_k", "train.batch"};

  Comparison c = compare_runs({a, b});
  REQUIRE(c.param_names == std::vector<std::string>{"clean.size", "train.model", "train.batch", "evaluate.top_k",
                                                    "train.epochs"});
  CHECK(c.param_at_default == std::vector<bool>{false, false, false, true, true});
  CHECK(hidden_parameters(c) == 2);
  for (TableFormat f : {TableFormat::kText, TableFormat::kMarkdown}) {
    std::string out = render_comparison(c, f);
    CHECK(out.find("clean.size") < out.find("train.batch"));  // differing rows first
    CHECK(out.find("train.batch") != std::string::npos);       // equal, but set in a run
    CHECK(out.find("train.epochs") == std::string::npos);
    CHECK(out.find("evaluate.top_k") == std::string::npos);
    CHECK(out.find("(2 parameters at their defaults and equal in all runs are hidden; --all shows them)\n") !=
          std::string::npos);
  }
  std::string csv = render_comparison(c, TableFormat::kCsv);
  CHECK(csv.find("train.batch") != std::string::npos);
  CHECK(csv.find("train.epochs") == std::string::npos);
  CHECK(csv.find("hidden") == std::string::npos);  // CSV stays one table
  auto j = comparison_json(c);
  REQUIRE(j["parameters"].size() == 5);
  CHECK(j["parameters"][4]["name"] == "train.epochs");
  CHECK(j["parameters"][4]["at_default"] == true);
  CHECK(j["parameters"][2]["at_default"] == false);

  CompareOptions all;
  all.all = true;
  Comparison d = compare_runs({a, b}, all);
  CHECK(hidden_parameters(d) == 0);
  std::string text = render_comparison(d, TableFormat::kText);
  CHECK(text.find("train.epochs") != std::string::npos);
  CHECK(text.find("hidden") == std::string::npos);

  // One hidden parameter is named in the singular.
  b.default_params.erase("evaluate.top_k");
  std::string one = render_comparison(compare_runs({a, b}), TableFormat::kText);
  CHECK(one.find("(1 parameter at its default and equal in all runs is hidden; --all shows it)") != std::string::npos);
  CHECK(one.find("evaluate.top_k") != std::string::npos);
}

TEST_CASE("compare: metric and per-class deltas against the first run", "[compare]") {
  auto a = make_run("A", "k1", {0, 1, 2, 3}, {});
  auto b = make_run("B", "k1", {0}, {});
  Comparison c = compare_runs({a, b});
  auto j = comparison_json(c);
  const auto& acc = j["metrics"][0];
  CHECK(acc["name"] == "accuracy");
  CHECK(acc["values"][0].get<double>() == Approx(16.0 / 20));
  CHECK(acc["values"][1].get<double>() == Approx(19.0 / 20));
  CHECK(acc["delta"][0].is_null());
  CHECK(acc["delta"][1].get<double>() == Approx(3.0 / 20));
  // A metric neither run recorded is null, not missing.
  bool found_params = false;
  for (const auto& m : j["metrics"])
    if (m["name"] == "params") {
      found_params = true;
      CHECK(m["values"][0].is_null());
    }
  CHECK(found_params);
  REQUIRE(j["per_class"].size() == 3);
  CHECK(j["per_class"][0]["class"] == "a");
  double fa = j["per_class"][0]["f1"][0], fb = j["per_class"][0]["f1"][1];
  CHECK(j["per_class"][0]["delta"][1].get<double>() == Approx(fb - fa));
  CHECK(j["per_class"][0]["delta"][0].is_null());
}

TEST_CASE("compare: McNemar and bootstrap on the same test set match hand-computed values", "[compare]") {
  // A wrong on 0..5, B wrong on 4..6: b = only A right = {6}, c = only B right = {0,1,2,3}.
  auto a = make_run("A", "k1", {0, 1, 2, 3, 4, 5}, {});
  auto b = make_run("B", "k1", {4, 5, 6}, {});
  Comparison c = compare_runs({a, b});
  REQUIRE(c.paired.size() == 1);
  REQUIRE(c.paired[0].done);
  CHECK(c.paired[0].mcnemar.b == 1);
  CHECK(c.paired[0].mcnemar.c == 4);
  // P(X <= 1 | n = 5) = 6 / 32; two-sided 12 / 32.
  CHECK(c.paired[0].mcnemar.p_value == Approx(12.0 / 32));
  auto j = comparison_json(c);
  CHECK(j["mcnemar"]["p_value"].get<double>() == Approx(0.375));
  CHECK(j["bootstrap"]["difference"].get<double>() == Approx(3.0 / 20));
  double lo = j["bootstrap"]["ci95"][0], hi = j["bootstrap"]["ci95"][1];
  CHECK(lo <= 0.15);
  CHECK(hi >= 0.15);
  CHECK(j["paired_refused"].is_null());
  // Reproducible: the same comparison gives the same interval.
  auto j2 = comparison_json(compare_runs({a, b}));
  CHECK(j2["bootstrap"]["ci95"] == j["bootstrap"]["ci95"]);
  // Confusion difference: A's wrong (0->1 etc.) cells shrink; diagonals grow.
  REQUIRE(c.confusion.size() == 1);
  CHECK_FALSE(c.confusion[0].fractions);
  CHECK_FALSE(c.confusion[0].cells.empty());
  double diag_change = 0;
  for (const auto& x : c.confusion[0].cells)
    if (x.truth == x.pred) diag_change += x.delta();
  CHECK(diag_change == Approx(3));
}

TEST_CASE("compare: paired tests are refused on different test sets", "[compare]") {
  auto a = make_run("A", "k1", {0, 1}, {});
  auto b = make_run("B", "k2", {0}, {});
  Comparison c = compare_runs({a, b});
  REQUIRE(c.paired.size() == 1);
  CHECK_FALSE(c.paired[0].done);
  CHECK(c.paired[0].refused.find("different test sets") != std::string::npos);
  CHECK(c.confusion[0].fractions);
  auto j = comparison_json(c);
  CHECK(j["mcnemar"].is_null());
  CHECK(j["bootstrap"].is_null());
  CHECK(j["paired_refused"].get<std::string>().find("different test sets") != std::string::npos);
  std::string text = render_comparison(c, TableFormat::kText);
  CHECK(text.find("not tested") != std::string::npos);
  CHECK(text.find("McNemar p") == std::string::npos);

  // Same key but a different order of files is refused too.
  auto d = make_run("D", "k1", {0}, {});
  std::reverse(d.sample_paths.begin(), d.sample_paths.end());
  CHECK_FALSE(compare_runs({a, d}).paired[0].done);
  // No stored predictions.
  auto e = make_run("E", "k1", {0}, {});
  e.correct.clear();
  e.sample_paths.clear();
  CHECK(compare_runs({a, e}).paired[0].refused.find("no stored test-set predictions") != std::string::npos);
}

TEST_CASE("compare: mean and std over the seeds of a variant", "[compare]") {
  auto s1 = make_run("exp/cnn/seed1", "k1", {0}, {{"seed", "1"}});
  auto s2 = make_run("exp/cnn/seed2", "k1", {0, 1}, {{"seed", "2"}});
  auto s3 = make_run("exp/cnn/seed3", "k1", {0, 1, 2}, {{"seed", "3"}});
  auto m1 = make_run("exp/mlp/seed1", "k1", {0, 1, 2, 3, 4}, {{"seed", "1"}});
  for (auto* r : {&s1, &s2, &s3}) r->group = "exp/cnn";
  m1.group = "exp/mlp";
  Comparison c = compare_runs({s1, s2, s3, m1});
  REQUIRE(c.seed_groups.size() == 1);  // a group of one has no spread
  CHECK(c.seed_groups[0].group == "exp/cnn");
  const MeanStd& acc = c.seed_groups[0].metrics.at("accuracy");
  CHECK(acc.n == 3);
  CHECK(acc.mean == Approx(18.0 / 20));
  CHECK(acc.std == Approx(0.05));
  auto j = comparison_json(c);
  CHECK(j["seeds"][0]["metrics"]["accuracy"]["std"].get<double>() == Approx(0.05));
  CHECK(j["paired"].size() == 3);
  std::string md = render_comparison(c, TableFormat::kMarkdown);
  CHECK(md.find("## Across seeds") != std::string::npos);
  CHECK(md.find("0.9000 ± 0.0500") != std::string::npos);
  std::string csv = render_comparison(c, TableFormat::kCsv);
  CHECK(csv.rfind("section,name,exp/cnn/seed1", 0) == 0);
  CHECK(csv.find("\nmetric,accuracy,0.95,0.9,0.85,0.75,") != std::string::npos);
}

TEST_CASE("compare: a mapping unset in one run compares key by key with one that sets it", "[compare]") {
  auto a = make_run("A", "k1", {0}, {{"train.loss", "null"}, {"train.epochs", "10"}});
  auto b = make_run("B", "k1", {1}, {{"train.loss.label_smoothing", "0.1"}, {"train.loss.class_weights", "null"},
                                    {"train.epochs", "10"}});
  a.default_params = {"train.loss", "train.epochs"};
  b.default_params = {"train.loss.class_weights", "train.epochs"};
  Comparison c = compare_runs({a, b});
  CHECK(c.param_names ==
        std::vector<std::string>{"train.loss.label_smoothing", "train.epochs", "train.loss.class_weights"});
  CHECK(c.param_differs == std::vector<bool>{true, false, false});
  CHECK(c.param_at_default == std::vector<bool>{false, true, true});
  CHECK(c.runs[0].params.at("train.loss.label_smoothing") == "null");
  CHECK(c.runs[0].params.count("train.loss") == 0);
}
