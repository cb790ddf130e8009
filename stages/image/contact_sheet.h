// Contact sheet — a PNG grid of random samples per class, so a user sees what
// the network will see (polarity, crop, stroke width, format leaks).
//
// One row per class: the class name and its count on the left, then up to
// `per_class` samples drawn at random (seeded).  Sets with one common shape
// are magnified by a whole factor with nearest-neighbour (every pixel
// visible); mixed sizes are fitted into square cells.  With a transform,
// every shown sample goes through it first, as through the train loader.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <opencv2/core.hpp>

#include "stages/image/dataset.h"
#include "stages/image/random.h"

namespace pipe::image {

struct SheetOptions {
  int per_class = 8;
  uint64_t seed = 0;
  int cell = 0;        // cell side in pixels; 0: about 64
  std::string title;   // first line of the sheet
  // Applied to each shown sample (HWC uint8, same shape out), seeded: an online augmentation.
  std::function<void(const uint8_t* in, int height, int width, int channels, uint8_t* out, Rng& rng)> transform;
};

// The sheet as an 8-bit BGR image.
cv::Mat contact_sheet(const DatasetView& data, const SheetOptions& options);

// Writes an 8-bit image as PNG (temporary name, then rename); throws pipe::Error.
void write_png(const std::string& file, const cv::Mat& image);

}  // namespace pipe::image
