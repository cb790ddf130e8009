#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "engine/error.h"
#include "stages/image/split.h"

using namespace pipe::image;

namespace {

struct Data {
  std::vector<int32_t> labels;
  std::vector<std::string> groups, existing;
};

// Classes of the given sizes; each sample's group is "g<k>" for `per_group` consecutive samples.
Data make(const std::vector<int>& sizes, int per_group = 0) {
  Data d;
  int k = 0;
  for (size_t c = 0; c < sizes.size(); ++c)
    for (int i = 0; i < sizes[c]; ++i, ++k) {
      d.labels.push_back(static_cast<int32_t>(c));
      d.groups.push_back(per_group ? "g" + std::to_string(k / per_group) : "");
      d.existing.push_back("");
    }
  return d;
}

std::vector<int> split(const Data& d, SplitOptions o) { return assign_splits(d.labels, d.groups, d.existing, o); }

std::map<std::pair<int, int>, int> counts(const Data& d, const std::vector<int>& a) {
  std::map<std::pair<int, int>, int> c;
  for (size_t i = 0; i < a.size(); ++i) ++c[{d.labels[i], a[i]}];
  return c;
}

SplitOptions fractions(double train, double val, double test, uint64_t seed = 800) {
  SplitOptions o;
  o.fractions = {{"train", train}, {"val", val}, {"test", test}};
  o.seed = seed;
  return o;
}

}  // namespace

TEST_CASE("a stratified split has exact per-class counts", "[split]") {
  Data d = make({10, 20, 3, 1});
  std::vector<int> a = split(d, fractions(0.7, 0.1, 0.2));
  auto c = counts(d, a);
  CHECK(c[{0, 0}] == 7);
  CHECK(c[{0, 1}] == 1);
  CHECK(c[{0, 2}] == 2);
  CHECK(c[{1, 0}] == 14);
  CHECK(c[{1, 1}] == 2);
  CHECK(c[{1, 2}] == 4);
  CHECK(c[{2, 0}] + c[{2, 1}] + c[{2, 2}] == 3);
  CHECK(c[{3, 0}] == 1);  // a single image trains
  for (int x : a) CHECK(x >= 0);
}

TEST_CASE("the same seed gives the same split, another seed another", "[split]") {
  Data d = make({50, 50, 50});
  auto a = split(d, fractions(0.7, 0.1, 0.2, 800));
  CHECK(a == split(d, fractions(0.7, 0.1, 0.2, 800)));
  auto b = split(d, fractions(0.7, 0.1, 0.2, 801));
  CHECK(a != b);
  CHECK(counts(d, a) == counts(d, b));  // different members, same counts
}

TEST_CASE("an omitted or zero fraction gives an empty split; a sum below 1 leaves the rest out", "[split]") {
  Data d = make({40, 60});
  SplitOptions o;
  o.fractions = {{"train", 0.8}, {"test", 0.2}};
  auto a = split(d, o);
  CHECK(std::count(a.begin(), a.end(), 1) == 0);
  CHECK(std::count(a.begin(), a.end(), 2) == 20);
  o.fractions = {{"train", 0.25}};
  a = split(d, o);
  CHECK(std::count(a.begin(), a.end(), 0) == 25);
  CHECK(std::count(a.begin(), a.end(), -1) == 75);
}

TEST_CASE("an unstratified split cuts the shuffled whole", "[split]") {
  Data d = make({90, 10});
  SplitOptions o = fractions(0.5, 0, 0.5);
  o.stratify = false;
  auto a = split(d, o);
  CHECK(std::count(a.begin(), a.end(), 0) == 50);
  CHECK(std::count(a.begin(), a.end(), 2) == 50);
}

TEST_CASE("a group split keeps every group in one split", "[split][group]") {
  Data d = make({60, 60, 60}, 4);  // 45 groups of 4
  d.groups[0] = d.groups[1] = "big";  // and one group spanning classes
  d.groups[100] = "big";
  SplitOptions o = fractions(0.7, 0.1, 0.2);
  o.by_group = true;
  auto a = split(d, o);
  std::map<std::string, std::set<int>> seen;
  for (size_t i = 0; i < a.size(); ++i) seen[d.groups[i]].insert(a[i]);
  for (const auto& [g, splits] : seen) {
    INFO("group " << g);
    CHECK(splits.size() == 1);
  }
  // Sizes land near the fractions.
  CHECK(std::count(a.begin(), a.end(), 0) == Approx(126).margin(12));
  CHECK(std::count(a.begin(), a.end(), 2) == Approx(36).margin(8));
  CHECK(a == split(d, o));
}

TEST_CASE("a dominant group goes where it fits best", "[split][group]") {
  Data d = make({100}, 1);
  for (int i = 0; i < 50; ++i) d.groups[i] = "james";  // half the data, one writer
  SplitOptions o = fractions(0.7, 0, 0.3);
  o.by_group = true;
  auto a = split(d, o);
  CHECK(a[0] == 0);
  CHECK(std::count(a.begin(), a.end(), 0) == 70);
  CHECK(std::count(a.begin(), a.end(), 2) == 30);
}

TEST_CASE("k-fold: each sample is val in exactly one fold, test is held out the same", "[split][folds]") {
  Data d = make({30, 21, 9});
  std::vector<int> times_val(60, 0);
  std::vector<int> test;
  for (int f = 0; f < 3; ++f) {
    SplitOptions o;
    o.folds = 3;
    o.fold = f;
    o.fractions = {{"test", 0.2}};
    o.seed = 5;
    auto a = split(d, o);
    std::vector<int> t;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] == 1) ++times_val[i];
      if (a[i] == 2) t.push_back(static_cast<int>(i));
    }
    if (f == 0) test = t;
    CHECK(t == test);
    CHECK(t.size() == 12);
  }
  for (size_t i = 0; i < 60; ++i) {
    bool in_test = std::find(test.begin(), test.end(), static_cast<int>(i)) != test.end();
    CHECK(times_val[i] == (in_test ? 0 : 1));
  }
}

TEST_CASE("by_folder keeps the existing split", "[split]") {
  Data d = make({4});
  d.existing = {"train", "test", "val", "validation"};
  SplitOptions o;
  o.by_folder = true;
  CHECK(split(d, o) == std::vector<int>{0, 2, 1, 1});
  d.existing[0] = "";
  CHECK_THROWS_WITH(split(d, o), Catch::Contains("1 of 4 samples have no known split"));
}

TEST_CASE("impossible split options are configuration errors", "[split]") {
  Data d = make({10});
  CHECK_THROWS_WITH(split(d, fractions(0.8, 0.2, 0.2)), Catch::Contains("more than 1"));
  SplitOptions o;
  o.fractions = {{"holdout", 0.2}};
  CHECK_THROWS_WITH(split(d, o), Catch::Contains("unknown split 'holdout'"));
  o = SplitOptions();
  o.folds = 3;
  o.fold = 3;
  CHECK_THROWS_WITH(split(d, o), Catch::Contains("fold must be"));
  o.fold = 0;
  o.fractions = {{"val", 0.1}};
  CHECK_THROWS_WITH(split(d, o), Catch::Contains("val is fold"));
}
