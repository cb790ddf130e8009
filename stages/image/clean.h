// clean — per-image normalisation, label-blind: colour, polarity, contrast,
// binarisation, crop to ink, stroke width, size; then optional de-duplication
// (stages/image/dedup.h).
//
// Order of operations for one image:
//   colour (gray | rgb; alpha composited over white)
//   → invert (auto: the border is brighter than the Otsu threshold, i.e. the
//     background is light, so ink ends light on dark)
//   → illumination (tophat: subtract a morphological opening, removing
//     uneven background) → binarize (otsu | adaptive) → despeckle (ink blobs
//     smaller than `despeckle` pixels become background)
//   → crop (content: bounding box of pixels above the threshold | center:
//     central square)
//   → stroke (redraw: the skeleton redrawn with a round pen `stroke` output
//     pixels wide, at 1.5–2× the output resolution; adjust: the ink itself,
//     binarised at 2× the output resolution and dilated or eroded as a whole
//     until its mean width is `stroke`, so stroke ends, junctions and local
//     width variation survive; strokes an erosion would break are kept at the
//     target width along their skeleton) → size (fit pad: aspect kept, centred in
//     `size` minus `pad` on each side, filled with the background; stretch:
//     plain resize) → center (box | mass: shift so the ink's centre of mass
//     is in the middle, MNIST-style) → stretch (of the result: background
//     → 0, bright ink → 255).
// A stroke-normalised image is full-strength ink on black.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "stages/image/dataset.h"
#include "stages/image/dedup.h"

namespace pipe {
class Param;
}

namespace pipe::image {

// The version of the clean stage's output: raised by every change to the
// images clean_image() makes for some options, or to what the stage records.
// It is the stage's cache version, and preprocessing records carry it (see
// recipe.h).  3: stroke adjustment at 2× with fractional radii; 4: the same
// images, the records carry this version.
constexpr int kCleanVersion = 4;

struct CleanOptions {
  std::string color = "gray";         // gray | rgb
  std::string invert = "auto";        // auto | true | false
  std::string illumination = "none";  // none | tophat
  int illumination_kernel = 0;        // 0: a fifth of the smaller side
  bool stretch = false;
  std::string binarize = "none";      // none | otsu | adaptive
  int adaptive_block = 0;             // odd; 0: about an eighth of the smaller side
  double adaptive_offset = 10;        // ink must exceed the local mean by this
  std::string crop = "none";          // content | center | none
  int crop_threshold = -1;            // 0..255; -1: Otsu
  int despeckle = 0;                  // ink blobs smaller than this many pixels become background
  int pad = 0;                        // output pixels kept free on each side
  double stroke = 0;                  // target stroke width in output pixels; 0: keep
  std::string stroke_mode = "redraw"; // redraw | adjust
  int height = 0, width = 0;          // 0: keep the size
  std::string fit = "pad";            // pad | stretch
  std::string center = "box";         // box | mass
  std::string interpolation = "area"; // area | linear | nearest | cubic
  std::string dedupe = "none";        // none | exact | perceptual
  int dedupe_distance = 0;            // perceptual: max Hamming distance of the 64-bit pHash

  // Throws ConfigError for values or combinations that make no sense.  With
  // the stage's parameters, the error points at the YAML key it blames
  // (`threshold` for crop_threshold, `size` for height and width).
  void check() const;
  void check(const Param& params) const;
};

struct CleanedImage {
  cv::Mat image;  // CV_8UC1 or CV_8UC3 (RGB)
  bool inverted = false;
};

// True when the image's background (median of a frame ~5% wide) is brighter
// than its Otsu threshold: dark ink on a light ground.
bool background_is_light(const cv::Mat& gray);

CleanedImage clean_image(const cv::Mat& image, const CleanOptions& options);

struct ClassStats {
  int images = 0;        // input images of the class
  int inverted = 0;
  int removed = 0;       // dropped as duplicates
  double mean = 0;       // mean output intensity (0..255)
  double ink = 0;        // mean fraction of output pixels above 127
  double stroke = 0;     // mean stroke width of the output (pixels), on a sample of small images
  int measured = 0;      // images that entered the stroke mean
};

struct Unusable {
  size_t index;        // in the input dataset
  std::string reason;  // what failed, e.g. "OpenCV: ... in resize"
};

struct CleanReport {
  std::vector<ClassStats> classes;     // by label
  std::vector<Duplicate> duplicates;
  std::vector<Unusable> skipped;       // images the chain failed on
};

// Cleans every sample of `in` on `threads` threads; output order = input
// order minus removed duplicates and minus images whose cleaning threw
// (listed in report->skipped with the reason; never a failure of the whole).
// `progress(done, total)` as in ingest.
Dataset clean_dataset(const DatasetView& in, const CleanOptions& options, int threads, CleanReport* report,
                      const std::function<void(size_t, size_t)>& progress = {});

// A cv::Mat header over sample i of a view (no copy).
cv::Mat sample_mat(const DatasetView& view, size_t i);

}  // namespace pipe::image
