// Comparison of runs, from plain per-run data (stages/run_records.h gathers
// it from the store): the parameters that differ, headline metrics with Δ
// against the first run, per-class F1 with deltas, the confusion-matrix cells
// that changed, paired tests on the same test set (McNemar's exact test, a
// paired bootstrap CI of the accuracy difference) and mean ± std over seeds.
//
// Paired tests need predictions of both runs on the same test set (same
// artifact key, same size, same files in the same order); otherwise they are
// refused with the reason, never computed on mismatched samples.
//
// JSON (`pipe compare --format json`):
//   {"runs":[{"id","name","experiment","variant","seed","test_set","note"}],
//    "parameters":[{"name","values":[...],"differs","at_default"}],  // every one
//    "metrics":[{"name","values":[...],"delta":[null, ...]}],
//    "per_class":[{"class","f1":[...],"delta":[null, ...]}],
//    "confusion_difference":[{"run","against","unit":"count"|"fraction","cells":[{"true","pred","a","b","delta"}]}],
//    "paired":[{"run","against","test_set","n","mcnemar","bootstrap","refused"}],
//    "mcnemar":{"p_value","b","c","both_right","both_wrong"} | null,   // the second run against the first
//    "bootstrap":{"difference","ci95":[lo,hi],"resamples","seed"} | null,
//    "paired_refused": null | "why",
//    "seeds":[{"group","n","runs":[...],"metrics":{"accuracy":{"mean","std","n"},...}}]}
// Deltas are against the first run (null for the first itself); values that
// do not apply are null.
//
// Parameters: those that differ come first, then those equal in all runs
// that some run set to a value other than its default, then those equal in
// all runs and at their default in each.  Text, Markdown and CSV hide the
// last group unless CompareOptions::all, and the text and Markdown say how
// many they hid; JSON always lists every parameter.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/stats.h"
#include "report/table_format.h"

namespace pipe::report {

struct CompareRun {
  std::string id, name, experiment, variant;
  long long seed = 0;
  std::string group;  // runs that differ only by seed share it ("multiscript/cnn")
  std::map<std::string, std::string> params;  // "train.epochs" -> "10"
  std::set<std::string> default_params;       // those whose value is the stage kind's default
  std::map<std::string, double> metrics;      // by the keys of compare_metrics()
  std::vector<std::string> classes;
  ConfusionMatrix confusion;  // empty: not evaluated
  std::vector<double> f1;     // per class, aligned with `classes`
  std::string test_set;       // key of the scored dataset
  std::vector<std::string> sample_paths;  // test-set order (may be empty)
  std::vector<bool> correct;              // per test sample; empty: no stored predictions
  std::string note;           // shown beside the run, e.g. "no evaluate stage"
};

struct MetricRow {
  std::string key, label;
  int decimals;
  bool higher_is_better;
};
// accuracy, macro_f1, weighted_f1, top_k_accuracy, loss, ece, train_seconds,
// epochs, images_per_second, params — in display order.
const std::vector<MetricRow>& compare_metrics();

struct PairedTest {
  size_t run = 0, against = 0;  // indices into Comparison::runs
  bool done = false;
  std::string refused;  // why the test was not run
  long long n = 0;
  McNemar mcnemar;
  Bootstrap bootstrap;  // accuracy(run) - accuracy(against)
};

struct ConfusionChange {
  std::string truth, pred;
  double a = 0, b = 0;  // against, run
  double delta() const { return b - a; }
};

struct ConfusionDiff {
  size_t run = 0, against = 0;
  bool fractions = false;  // row-normalised when the test sets differ
  std::vector<ConfusionChange> cells;  // largest |Δ| first
  std::string refused;
};

struct SeedGroup {
  std::string group;
  std::vector<size_t> runs;
  std::map<std::string, MeanStd> metrics;
};

struct CompareOptions {
  bool only_diff = false;  // list only parameters that differ
  bool all = false;        // tables list equal parameters at their defaults too
  int resamples = 10000;   // bootstrap
  uint64_t seed = 1;       // bootstrap
  int max_confusion_changes = 15;
};

struct Comparison {
  std::vector<CompareRun> runs;
  std::vector<std::string> param_names;  // those that differ first, equal defaults last
  std::vector<bool> param_differs;
  std::vector<bool> param_at_default;    // equal in all runs and each run's default
  bool hide_defaults = true;             // tables leave out the param_at_default rows
  std::vector<std::string> classes;            // union of the runs' classes, first-seen order
  std::vector<std::vector<double>> class_f1;   // [class][run], NaN where absent
  std::vector<ConfusionDiff> confusion;        // each run against the first
  std::vector<PairedTest> paired;              // each run against the first
  std::vector<SeedGroup> seed_groups;          // groups with more than one run
};

Comparison compare_runs(std::vector<CompareRun> runs, const CompareOptions& options = {});
// How many parameter rows the tables leave out (equal, at their defaults).
size_t hidden_parameters(const Comparison& c);

nlohmann::json comparison_json(const Comparison& c);
// Terminal text (colour when `color`), Markdown or CSV; JSON via comparison_json.
std::string render_comparison(const Comparison& c, TableFormat format, bool color = false);

}  // namespace pipe::report
