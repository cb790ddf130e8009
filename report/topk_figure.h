// Top-k probabilities of sample images: each row shows the image and one
// horizontal bar per candidate class; the true class is green, a wrong top
// prediction red.
#pragma once

#include <string>
#include <vector>

#include "report/figure.h"

namespace pipe::report {

struct TopKSample {
  Image image;
  std::string true_class;
  std::vector<std::pair<std::string, double>> top;  // class, probability; most probable first
  std::string caption;                                // e.g. the file name; may be empty
};

Figure topk_figure(const std::vector<TopKSample>& samples);

}  // namespace pipe::report
