// Grad-CAM heatmaps over images: for each sample the image and the image
// with its class-activation map blended on top (turbo colours, alpha 0.5,
// upsampled smoothly), and one colour bar for all.
#pragma once

#include <string>
#include <vector>

#include "report/figure.h"

namespace pipe::report {

struct GradcamItem {
  Image image;
  std::vector<float> heat;  // heat_h x heat_w, row-major; negative values count as 0
  int heat_h = 0, heat_w = 0;
  std::vector<std::string> lines;  // caption
};

// Heat scaled to [0, 1] by its maximum (all-zero heat stays zero).
std::vector<double> normalized_heat(const std::vector<float>& heat);

Figure gradcam_figure(const std::vector<GradcamItem>& items, const std::string& title, int columns = 3,
                      double alpha = 0.5);

}  // namespace pipe::report
