// Per-class precision, recall and F1 as horizontal grouped bars, one row per
// class (so long class names and 172 classes fit), with the support beside.
#pragma once

#include <vector>

#include "report/figure.h"
#include "report/stats.h"

namespace pipe::report {

Figure class_scores_figure(const std::vector<ClassScore>& scores);

}  // namespace pipe::report
