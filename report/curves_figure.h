// Learning curves: loss and accuracy per epoch, train against validation,
// side by side, with the best epoch marked.
#pragma once

#include <vector>

#include "report/figure.h"

namespace pipe::report {

// One entry per epoch; NaN where a value was not recorded (no validation set).
struct EpochHistory {
  std::vector<double> epoch;
  std::vector<double> train_loss, val_loss;
  std::vector<double> train_accuracy, val_accuracy;
  double best_epoch = -1;  // marked with a dotted line when >= 0
};

Figure learning_curves_figure(const EpochHistory& history);

}  // namespace pipe::report
