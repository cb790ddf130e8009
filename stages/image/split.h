// Splitting a dataset into train / val / test: stratified by class, seeded,
// optionally group-aware (no group in two splits), as k folds, or as the
// split the samples already carry (from a source's folder or manifest).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pipe::image {

// The outputs of a split, in this order.
inline const std::vector<std::string>& split_names() {
  static const std::vector<std::string> names{"train", "val", "test"};
  return names;
}

struct SplitOptions {
  std::map<std::string, double> fractions;  // train / val / test; the rest of 1 is left out
  bool stratify = true;    // per class (and, with groups, balancing class counts)
  bool by_group = false;   // keep each group in one split ("" = a group of its own)
  int folds = 0;           // > 0: k-fold; `fold` is val, the other folds train, fractions.test is held out first
  int fold = 0;
  bool by_folder = false;  // use each sample's own split
  uint64_t seed = 0;
};

// For every sample, the index into split_names() of its split, or -1 when it
// is left out.  Throws ConfigError for impossible options and Error when
// by_folder meets a sample without a known split.
std::vector<int> assign_splits(const std::vector<int32_t>& labels, const std::vector<std::string>& groups,
                               const std::vector<std::string>& existing, const SplitOptions& options);

}  // namespace pipe::image
