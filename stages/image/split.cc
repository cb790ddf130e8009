#include "stages/image/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "engine/error.h"
#include "stages/image/random.h"

namespace pipe::image {

namespace {

// Counts for n items over parts with `fractions` (summing to ≤ 1): largest
// remainder, so they add up to round(n · Σ fractions) exactly.
std::vector<size_t> apportion(size_t n, const std::vector<double>& fractions) {
  double total = 0;
  for (double f : fractions) total += f;
  size_t target = static_cast<size_t>(std::llround(n * std::min(1.0, total)));
  std::vector<size_t> counts(fractions.size());
  std::vector<std::pair<double, size_t>> rest;
  size_t given = 0;
  for (size_t p = 0; p < fractions.size(); ++p) {
    double exact = n * fractions[p];
    counts[p] = static_cast<size_t>(std::floor(exact + 1e-9));
    given += counts[p];
    rest.push_back({exact - counts[p], p});
  }
  // Ties go to the earlier part (train before val before test).
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first + 1e-12; });
  for (size_t k = 0; given < target && k < rest.size(); ++k) {
    if (fractions[rest[k].second] <= 0) continue;
    ++counts[rest[k].second];
    ++given;
  }
  return counts;
}

// Assigns `items` (sample indices) to parts by fraction; the remainder of 1
// (if any) is part -1.
std::vector<int> partition(const std::vector<size_t>& items, const std::vector<double>& fractions,
                           const std::vector<int32_t>& labels, const std::vector<std::string>& groups, bool stratify,
                           bool by_group, Rng& rng) {
  std::vector<int> part(items.size(), -1);
  if (!by_group) {
    // Per class (or all at once): shuffle, then cut by apportioned counts.
    std::map<int32_t, std::vector<size_t>> buckets;  // position in `items`
    for (size_t k = 0; k < items.size(); ++k) buckets[stratify ? labels[items[k]] : 0].push_back(k);
    for (auto& [label, members] : buckets) {
      shuffle(members, rng);
      std::vector<size_t> counts = apportion(members.size(), fractions);
      size_t at = 0;
      for (size_t p = 0; p < counts.size(); ++p)
        for (size_t c = 0; c < counts[p]; ++c) part[members[at++]] = static_cast<int>(p);
    }
    return part;
  }
  // Group-aware: whole groups, largest first, each to the part where it
  // brings the (per-class) counts closest to their targets.
  std::vector<std::string> keys;
  std::unordered_map<std::string, size_t> index;
  std::vector<std::vector<size_t>> members;
  for (size_t k = 0; k < items.size(); ++k) {
    const std::string& g = groups[items[k]];
    std::string key = g.empty() ? "\x01#" + std::to_string(items[k]) : g;  // no group: a group of one
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, keys.size()).first;
      keys.push_back(key);
      members.emplace_back();
    }
    members[it->second].push_back(k);
  }
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  shuffle(order, rng);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return members[a].size() > members[b].size(); });
  std::vector<double> parts = fractions;
  double total = std::accumulate(fractions.begin(), fractions.end(), 0.0);
  if (total < 1 - 1e-9) parts.push_back(1 - total);  // the left-out remainder
  std::map<int32_t, double> class_total;
  for (size_t k = 0; k < items.size(); ++k) class_total[stratify ? labels[items[k]] : 0] += 1;
  std::vector<std::map<int32_t, double>> count(parts.size());
  for (size_t g : order) {
    std::map<int32_t, double> in_group;
    for (size_t k : members[g]) in_group[stratify ? labels[items[k]] : 0] += 1;
    int best = -1;
    double best_cost = 0;
    for (size_t p = 0; p < parts.size(); ++p) {
      if (parts[p] <= 0) continue;
      double cost = 0;
      for (const auto& [c, n] : in_group) {
        double over = count[p][c] - parts[p] * class_total[c];
        cost += n * (2 * over + n);
      }
      if (best < 0 || cost < best_cost - 1e-12) {
        best = static_cast<int>(p);
        best_cost = cost;
      }
    }
    for (const auto& [c, n] : in_group) count[best][c] += n;
    int assigned = best < static_cast<int>(fractions.size()) ? best : -1;
    for (size_t k : members[g]) part[k] = assigned;
  }
  return part;
}

int split_index(const std::string& name) {
  const auto& names = split_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  if (name == "validation" || name == "valid") return 1;
  return -1;
}

}  // namespace

std::vector<int> assign_splits(const std::vector<int32_t>& labels, const std::vector<std::string>& groups,
                               const std::vector<std::string>& existing, const SplitOptions& o) {
  const size_t n = labels.size();
  std::vector<int> out(n, -1);
  if (o.by_folder) {
    size_t missing = 0;
    std::string example;
    for (size_t i = 0; i < n; ++i) {
      out[i] = i < existing.size() ? split_index(existing[i]) : -1;
      if (out[i] < 0 && missing++ == 0) example = i < existing.size() ? existing[i] : "";
    }
    if (missing > 0)
      throw Error(std::to_string(missing) + " of " + std::to_string(n) + " samples have no known split (e.g. '" +
                  example + "')")
          .hint("by_folder keeps the split each sample brought from its source: a source's `split:` option or a "
                "manifest `split` column with train, val or test");
    return out;
  }
  for (const auto& [name, f] : o.fractions) {
    if (split_index(name) < 0 || name != split_names()[split_index(name)])
      throw ConfigError("fractions: unknown split '" + name + "'").hint("train, val, test");
    if (!(f >= 0 && f <= 1)) throw ConfigError("fractions: " + name + " must be between 0 and 1");
  }
  auto fraction = [&](const char* name) {
    auto it = o.fractions.find(name);
    return it == o.fractions.end() ? 0.0 : it->second;
  };
  Rng rng = rng_for(o.seed, 0x5711);
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  if (o.folds > 0) {
    if (o.folds < 2) throw ConfigError("folds must be at least 2");
    if (o.fold < 0 || o.fold >= o.folds)
      throw ConfigError("fold must be between 0 and " + std::to_string(o.folds - 1));
    if (fraction("val") > 0 || fraction("train") > 0)
      throw ConfigError("with folds, val is fold `fold` and train the other folds")
          .hint("give only fractions.test (held out before the folds), or no fractions");
    double test = fraction("test");
    std::vector<int> first = partition(all, {1 - test, test}, labels, groups, o.stratify, o.by_group, rng);
    std::vector<size_t> rest;
    for (size_t i = 0; i < n; ++i) {
      if (first[i] == 1) out[i] = 2;
      else rest.push_back(i);
    }
    std::vector<double> equal(static_cast<size_t>(o.folds), 1.0 / o.folds);
    std::vector<int> folds = partition(rest, equal, labels, groups, o.stratify, o.by_group, rng);
    for (size_t k = 0; k < rest.size(); ++k) out[rest[k]] = folds[k] == o.fold ? 1 : 0;
    return out;
  }
  double total = fraction("train") + fraction("val") + fraction("test");
  if (total > 1 + 1e-9)
    throw ConfigError("fractions add up to " + std::to_string(total) + ", more than 1")
        .hint("e.g. {train: 0.7, val: 0.1, test: 0.2}; a sum below 1 leaves the rest out");
  if (total <= 0) throw ConfigError("fractions are all 0").hint("e.g. {train: 0.7, val: 0.1, test: 0.2}");
  return partition(all, {fraction("train"), fraction("val"), fraction("test")}, labels, groups, o.stratify,
                   o.by_group, rng);
}

}  // namespace pipe::image
