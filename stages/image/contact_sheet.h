// Contact sheet — a PNG grid of random samples per class, so a user sees what
// the network will see (polarity, crop, stroke width, format leaks).
//
// One row per class: the class name and its count on the left, then up to
// `per_class` samples drawn at random (seeded).  Sets with one common shape
// are magnified by a whole factor with nearest-neighbour (every pixel
// visible); mixed sizes are fitted into square cells.  With an augmenter,
// every shown sample is first transformed by it, as the train loader would.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "stages/image/augmenter.h"
#include "stages/image/dataset.h"

namespace pipe::image {

struct SheetOptions {
  int per_class = 8;
  uint64_t seed = 0;
  int cell = 0;        // cell side in pixels; 0: about 64
  std::string title;   // first line of the sheet
  const Augmenter* augment = nullptr;  // online ops applied to each shown sample (seeded)
};

// The sheet as an 8-bit BGR image.
cv::Mat contact_sheet(const DatasetView& data, const SheetOptions& options);

// Writes an 8-bit image as PNG (temporary name, then rename); throws pipe::Error.
void write_png(const std::string& file, const cv::Mat& image);

}  // namespace pipe::image
