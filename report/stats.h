// Classification statistics shared by the evaluate stage, `pipe compare` and
// `pipe report`: confusion matrices and the per-class report built from them,
// top-k accuracy, calibration, paired tests between two models evaluated on
// the same test set (McNemar's exact test, a paired bootstrap of the accuracy
// difference), mean ± std over seeds, and the most-confused class pairs.
//
// Conventions: classes are 0-based indices; a confusion matrix is indexed
// [true][predicted]; probabilities are row-major, one row of `classes` floats
// per sample.  A quantity that is undefined (precision of a class that was
// never predicted, std of one value) is NaN, which nlohmann::json writes as
// null — "a metric that does not apply is null".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pipe::report {

// [true class][predicted class] -> count.  Square.
using ConfusionMatrix = std::vector<std::vector<long long>>;

// Counts (truth[i], pred[i]) pairs; every label must be in [0, classes).
ConfusionMatrix confusion_matrix(const std::vector<int>& truth, const std::vector<int>& pred,
                                 int classes);

// Each row divided by its sum (a row with no samples stays all zero).
std::vector<std::vector<double>> row_normalized(const ConfusionMatrix& m);

struct ClassScore {
  std::string name;
  double precision = 0;  // NaN when the class was never predicted
  double recall = 0;     // NaN when the class has no samples
  double f1 = 0;         // 0 when precision and recall are both 0, NaN when either is NaN
  long long support = 0; // samples whose true class is this one
};

struct ClassificationReport {
  std::vector<ClassScore> classes;
  long long total = 0;
  double accuracy = 0;
  // Macro: unweighted mean over classes with support > 0 (classes absent from
  // the test set do not drag the mean down; NaN scores count as 0).
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  // Weighted: mean weighted by support.
  double weighted_precision = 0, weighted_recall = 0, weighted_f1 = 0;
};

// `names` may be empty (classes are then named "0", "1", ...).
ClassificationReport classification_report(const ConfusionMatrix& m,
                                           const std::vector<std::string>& names = {});

// Index of the largest of `classes` values at `row` (the first on ties).
int argmax(const float* row, int classes);
// The k most probable classes of one row, most probable first (ties: lower index first).
std::vector<int> top_k(const float* row, int classes, int k);

// Fraction of samples whose true class is among the k most probable: a sample
// counts when fewer than k classes have a strictly higher probability.
double top_k_accuracy(const float* probs, int n, int classes, const std::vector<int>& truth, int k);

// Expected calibration error with `bins` equal-width confidence bins over
// (0, 1]: sum over bins of |accuracy - mean confidence| * (bin count / n).
// Confidence is the top probability, correct means argmax == truth.
double expected_calibration_error(const float* probs, int n, int classes,
                                  const std::vector<int>& truth, int bins = 15);
double expected_calibration_error(const std::vector<double>& confidence,
                                  const std::vector<bool>& correct, int bins = 15);

// McNemar's exact test on paired predictions of two models A and B.
struct McNemar {
  long long b = 0;         // A right, B wrong
  long long c = 0;         // A wrong, B right
  long long both_right = 0, both_wrong = 0;
  double p_value = 1;      // two-sided exact binomial on b of b + c trials at 1/2
};
McNemar mcnemar_exact(long long b, long long c);
// correct_a[i] / correct_b[i]: whether each model got sample i right.  Same length.
McNemar mcnemar(const std::vector<bool>& correct_a, const std::vector<bool>& correct_b);

// Paired bootstrap of accuracy(B) - accuracy(A): resample the test samples
// with replacement `resamples` times, percentile 95% interval.  Deterministic
// for a seed (its own generator, independent of the standard library).
struct Bootstrap {
  double difference = 0;  // on the full test set
  double lo = 0, hi = 0;  // 2.5% and 97.5% percentiles
  int resamples = 0;
  uint64_t seed = 0;
};
Bootstrap paired_bootstrap(const std::vector<bool>& correct_a, const std::vector<bool>& correct_b,
                           int resamples = 10000, uint64_t seed = 1);

// Mean and sample standard deviation (n - 1); std is NaN for fewer than two values.
struct MeanStd {
  double mean = 0;
  double std = 0;
  int n = 0;
};
MeanStd mean_std(const std::vector<double>& values);

// Off-diagonal cells, largest count first (ties: by true then predicted class);
// at most `limit`, only cells with count > 0.
struct ConfusedPair {
  int true_class = 0;
  int pred_class = 0;
  long long count = 0;
  double row_fraction = 0;  // count / samples of the true class
};
std::vector<ConfusedPair> most_confused(const ConfusionMatrix& m, int limit = 10);

}  // namespace pipe::report
