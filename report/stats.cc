#include "report/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "engine/error.h"

namespace pipe::report {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_square(const ConfusionMatrix& m) {
  for (const auto& row : m)
    if (row.size() != m.size())
      throw Error("confusion matrix is not square: " + std::to_string(m.size()) + " rows, a row of " +
                  std::to_string(row.size()));
}

double nan_as_zero(double v) { return std::isnan(v) ? 0.0 : v; }

// splitmix64: a tiny, fully specified generator, so a seed gives the same
// bootstrap on every platform and standard library.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) without modulo bias.
  uint64_t below(uint64_t n) {
    uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
    uint64_t r;
    do r = next(); while (r >= limit);
    return r % n;
  }
};

// Percentile with linear interpolation between order statistics (numpy's default).
double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return kNaN;
  double pos = q * (sorted.size() - 1);
  size_t i = static_cast<size_t>(std::floor(pos));
  if (i + 1 >= sorted.size()) return sorted.back();
  double f = pos - i;
  return sorted[i] * (1 - f) + sorted[i + 1] * f;
}

}  // namespace

ConfusionMatrix confusion_matrix(const std::vector<int>& truth, const std::vector<int>& pred,
                                 int classes) {
  if (truth.size() != pred.size())
    throw Error("confusion matrix: " + std::to_string(truth.size()) + " labels but " +
                std::to_string(pred.size()) + " predictions");
  ConfusionMatrix m(classes, std::vector<long long>(classes, 0));
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= classes || pred[i] < 0 || pred[i] >= classes)
      throw Error("confusion matrix: class index out of range at sample " + std::to_string(i))
          .hint("classes are 0.." + std::to_string(classes - 1));
    ++m[truth[i]][pred[i]];
  }
  return m;
}

std::vector<std::vector<double>> row_normalized(const ConfusionMatrix& m) {
  std::vector<std::vector<double>> out(m.size());
  for (size_t r = 0; r < m.size(); ++r) {
    long long sum = std::accumulate(m[r].begin(), m[r].end(), 0LL);
    out[r].resize(m[r].size(), 0.0);
    if (sum > 0)
      for (size_t c = 0; c < m[r].size(); ++c) out[r][c] = static_cast<double>(m[r][c]) / sum;
  }
  return out;
}

ClassificationReport classification_report(const ConfusionMatrix& m,
                                           const std::vector<std::string>& names) {
  check_square(m);
  const size_t n = m.size();
  if (!names.empty() && names.size() != n)
    throw Error("classification report: " + std::to_string(names.size()) + " class names for a " +
                std::to_string(n) + "-class confusion matrix");
  ClassificationReport rep;
  std::vector<long long> predicted(n, 0);
  long long correct = 0;
  for (size_t t = 0; t < n; ++t)
    for (size_t p = 0; p < n; ++p) {
      predicted[p] += m[t][p];
      rep.total += m[t][p];
      if (t == p) correct += m[t][p];
    }
  rep.accuracy = rep.total > 0 ? static_cast<double>(correct) / rep.total : kNaN;

  int present = 0;
  for (size_t k = 0; k < n; ++k) {
    ClassScore s;
    s.name = names.empty() ? std::to_string(k) : names[k];
    s.support = std::accumulate(m[k].begin(), m[k].end(), 0LL);
    long long tp = m[k][k];
    s.precision = predicted[k] > 0 ? static_cast<double>(tp) / predicted[k] : kNaN;
    s.recall = s.support > 0 ? static_cast<double>(tp) / s.support : kNaN;
    if (std::isnan(s.precision) || std::isnan(s.recall))
      s.f1 = (s.support > 0 && tp == 0) ? 0.0 : kNaN;  // a present class never predicted scores 0
    else
      s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
    if (s.support > 0) {
      ++present;
      rep.macro_precision += nan_as_zero(s.precision);
      rep.macro_recall += nan_as_zero(s.recall);
      rep.macro_f1 += nan_as_zero(s.f1);
      rep.weighted_precision += nan_as_zero(s.precision) * s.support;
      rep.weighted_recall += nan_as_zero(s.recall) * s.support;
      rep.weighted_f1 += nan_as_zero(s.f1) * s.support;
    }
    rep.classes.push_back(s);
  }
  if (present == 0) {
    rep.macro_precision = rep.macro_recall = rep.macro_f1 = kNaN;
    rep.weighted_precision = rep.weighted_recall = rep.weighted_f1 = kNaN;
  } else {
    rep.macro_precision /= present;
    rep.macro_recall /= present;
    rep.macro_f1 /= present;
    rep.weighted_precision /= rep.total;
    rep.weighted_recall /= rep.total;
    rep.weighted_f1 /= rep.total;
  }
  return rep;
}

int argmax(const float* row, int classes) {
  int best = 0;
  for (int k = 1; k < classes; ++k)
    if (row[k] > row[best]) best = k;
  return best;
}

std::vector<int> top_k(const float* row, int classes, int k) {
  std::vector<int> idx(classes);
  std::iota(idx.begin(), idx.end(), 0);
  k = std::max(0, std::min(k, classes));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [row](int a, int b) {
    return row[a] > row[b] || (row[a] == row[b] && a < b);
  });
  idx.resize(k);
  return idx;
}

double top_k_accuracy(const float* probs, int n, int classes, const std::vector<int>& truth, int k) {
  if (static_cast<int>(truth.size()) != n)
    throw Error("top-k accuracy: " + std::to_string(truth.size()) + " labels for " + std::to_string(n) +
                " rows");
  if (n == 0) return kNaN;
  long long hits = 0;
  for (int i = 0; i < n; ++i) {
    const float* row = probs + static_cast<size_t>(i) * classes;
    float p = row[truth[i]];
    int higher = 0;
    for (int c = 0; c < classes; ++c) higher += row[c] > p;
    hits += higher < k;
  }
  return static_cast<double>(hits) / n;
}

double expected_calibration_error(const std::vector<double>& confidence,
                                  const std::vector<bool>& correct, int bins) {
  if (confidence.size() != correct.size())
    throw Error("calibration error: " + std::to_string(confidence.size()) + " confidences for " +
                std::to_string(correct.size()) + " outcomes");
  if (bins < 1) throw Error("calibration error: bins must be at least 1");
  if (confidence.empty()) return kNaN;
  std::vector<double> conf_sum(bins, 0), right(bins, 0), count(bins, 0);
  for (size_t i = 0; i < confidence.size(); ++i) {
    // Bins are (lo, hi]; a confidence of exactly 0 joins the first.
    int b = static_cast<int>(std::ceil(confidence[i] * bins)) - 1;
    b = std::clamp(b, 0, bins - 1);
    conf_sum[b] += confidence[i];
    right[b] += correct[i] ? 1 : 0;
    count[b] += 1;
  }
  double ece = 0;
  for (int b = 0; b < bins; ++b)
    if (count[b] > 0) ece += std::fabs(right[b] / count[b] - conf_sum[b] / count[b]) * count[b];
  return ece / confidence.size();
}

double expected_calibration_error(const float* probs, int n, int classes,
                                  const std::vector<int>& truth, int bins) {
  if (static_cast<int>(truth.size()) != n)
    throw Error("calibration error: " + std::to_string(truth.size()) + " labels for " +
                std::to_string(n) + " rows");
  std::vector<double> conf(n);
  std::vector<bool> correct(n);
  for (int i = 0; i < n; ++i) {
    const float* row = probs + static_cast<size_t>(i) * classes;
    int best = argmax(row, classes);
    conf[i] = row[best];
    correct[i] = best == truth[i];
  }
  return expected_calibration_error(conf, correct, bins);
}

McNemar mcnemar_exact(long long b, long long c) {
  McNemar r;
  r.b = b;
  r.c = c;
  long long n = b + c;
  if (n == 0) return r;  // no discordant pairs: no evidence either way
  // Two-sided: twice the smaller tail of Binomial(n, 1/2), summed in log space
  // so that large n does not overflow.
  long long k = std::min(b, c);
  double log_half_n = -static_cast<double>(n) * std::log(2.0);
  double lgn = std::lgamma(static_cast<double>(n) + 1);
  double tail = 0;
  for (long long i = 0; i <= k; ++i)
    tail += std::exp(lgn - std::lgamma(i + 1.0) - std::lgamma(static_cast<double>(n - i) + 1) +
                     log_half_n);
  r.p_value = std::min(1.0, 2 * tail);
  return r;
}

McNemar mcnemar(const std::vector<bool>& correct_a, const std::vector<bool>& correct_b) {
  if (correct_a.size() != correct_b.size())
    throw Error("mcnemar: the two models were scored on " + std::to_string(correct_a.size()) + " and " +
                std::to_string(correct_b.size()) + " samples")
        .hint("paired tests need predictions on the same test set");
  long long b = 0, c = 0, both_right = 0, both_wrong = 0;
  for (size_t i = 0; i < correct_a.size(); ++i) {
    if (correct_a[i] && !correct_b[i]) ++b;
    else if (!correct_a[i] && correct_b[i]) ++c;
    else if (correct_a[i]) ++both_right;
    else ++both_wrong;
  }
  McNemar r = mcnemar_exact(b, c);
  r.both_right = both_right;
  r.both_wrong = both_wrong;
  return r;
}

Bootstrap paired_bootstrap(const std::vector<bool>& correct_a, const std::vector<bool>& correct_b,
                           int resamples, uint64_t seed) {
  if (correct_a.size() != correct_b.size())
    throw Error("bootstrap: the two models were scored on " + std::to_string(correct_a.size()) +
                " and " + std::to_string(correct_b.size()) + " samples")
        .hint("paired tests need predictions on the same test set");
  if (resamples < 1) throw Error("bootstrap: resamples must be at least 1");
  Bootstrap r;
  r.resamples = resamples;
  r.seed = seed;
  const size_t n = correct_a.size();
  if (n == 0) {
    r.difference = r.lo = r.hi = kNaN;
    return r;
  }
  // Per-sample difference in {-1, 0, 1}; a resample's accuracy difference is their mean.
  std::vector<int> d(n);
  long long total = 0;
  for (size_t i = 0; i < n; ++i) {
    d[i] = static_cast<int>(correct_b[i]) - static_cast<int>(correct_a[i]);
    total += d[i];
  }
  r.difference = static_cast<double>(total) / n;
  SplitMix64 rng{seed};
  std::vector<double> diffs(resamples);
  for (int s = 0; s < resamples; ++s) {
    long long sum = 0;
    for (size_t i = 0; i < n; ++i) sum += d[rng.below(n)];
    diffs[s] = static_cast<double>(sum) / n;
  }
  std::sort(diffs.begin(), diffs.end());
  r.lo = percentile(diffs, 0.025);
  r.hi = percentile(diffs, 0.975);
  return r;
}

MeanStd mean_std(const std::vector<double>& values) {
  MeanStd r;
  r.n = static_cast<int>(values.size());
  if (values.empty()) {
    r.mean = r.std = kNaN;
    return r;
  }
  r.mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  if (values.size() < 2) {
    r.std = kNaN;
    return r;
  }
  double ss = 0;
  for (double v : values) ss += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(ss / (values.size() - 1));
  return r;
}

std::vector<ConfusedPair> most_confused(const ConfusionMatrix& m, int limit) {
  check_square(m);
  std::vector<ConfusedPair> pairs;
  for (size_t t = 0; t < m.size(); ++t) {
    long long row = std::accumulate(m[t].begin(), m[t].end(), 0LL);
    for (size_t p = 0; p < m.size(); ++p)
      if (t != p && m[t][p] > 0)
        pairs.push_back({static_cast<int>(t), static_cast<int>(p), m[t][p],
                         static_cast<double>(m[t][p]) / row});
  }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const ConfusedPair& a, const ConfusedPair& b) { return a.count > b.count; });
  if (limit >= 0 && static_cast<int>(pairs.size()) > limit) pairs.resize(limit);
  return pairs;
}

}  // namespace pipe::report
