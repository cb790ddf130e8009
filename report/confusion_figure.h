// Confusion-matrix heatmap: true class down, predicted class across, a colour
// scale bar, class names on both axes.  Cells shrink to 10 px and labels to
// 8 px for many classes (62 and 172 classes stay legible at scale 2), x labels
// turn vertical when they do not fit a cell, and every k-th label is shown
// only when even that is too tight.  Counts appear inside cells that fit them.
// Colours follow the square root of the value (the scale bar shows it), so a
// few errors stay visible beside a full diagonal.
#pragma once

#include <string>
#include <vector>

#include "report/figure.h"
#include "report/stats.h"

namespace pipe::report {

enum class ConfusionStyle {
  kCounts,         // colour by count
  kRowNormalized,  // colour by fraction of the true class (each row sums to 1)
  kDifference,     // signed counts (run B - run A), diverging colours
};

struct ConfusionLayout {
  int classes = 0;
  double x = 0, y = 0;  // top-left of cell (0, 0)
  double cell = 0;      // cell side
  double width = 0, height = 0;  // of the whole figure
  double cell_center_x(int pred) const { return x + (pred + 0.5) * cell; }
  double cell_center_y(int truth) const { return y + (truth + 0.5) * cell; }
};

ConfusionLayout confusion_layout(const ConfusionMatrix& m, const std::vector<std::string>& names,
                                 ConfusionStyle style);
Figure confusion_figure(const ConfusionMatrix& m, const std::vector<std::string>& names,
                        ConfusionStyle style, const std::string& title = "");

}  // namespace pipe::report
