// A grid of images with caption lines under each, e.g. misclassified test
// images captioned "true → predicted (p)".  Tiles widen for long captions up
// to a limit, then captions wrap onto a second line and are ellipsized; the
// columns (at most `columns`) are as many as fit 1100 px.
#pragma once

#include <string>
#include <vector>

#include "report/figure.h"

namespace pipe::report {

struct GalleryItem {
  Image image;
  std::vector<std::string> lines;
  Rgb frame = colors::kGrid;  // e.g. colors::kRed for a wrong prediction
};

// "true → pred (0.93)"
std::string prediction_caption(const std::string& truth, const std::string& pred, double p);

Figure gallery_figure(const std::vector<GalleryItem>& items, const std::string& title, int columns = 8);

}  // namespace pipe::report
