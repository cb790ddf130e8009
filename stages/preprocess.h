// How a trained model's data was prepared, and preparing new images the same
// way: the adapters between train/evaluate/predict and the image stages.
//
//   online_augmentation(dir)   the per-sample augmentation of an `augment`
//                              artifact with online: true (augment.json), or none
//   upstream_preprocess(dir)   the recipe (decode + clean options) the images in an
//                              artifact went through (preprocess.json, see
//                              stages/image/recipe.h), or null
//   prepare_image(...)         one decoded image → the model's input (uint8 HWC),
//                              through the stored recipe
//   read_labelled_images(...)  DIR / MANIFEST / IDX → prepared images with labels
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "stages/image/dataset.h"
#include "stages/image/decode.h"
#include "stages/loader.h"

namespace pipe {

struct ModelInfo;

struct OnlineAugmentation {
  SampleTransform transform;  // empty: none
  uint64_t seed = 0;          // the augment stage's seed
};
OnlineAugmentation online_augmentation(const std::string& artifact_dir);

nlohmann::json upstream_preprocess(const std::string& artifact_dir);

// Why new images may not be prepared exactly as the model's training images
// were (another version of the clean code made those), or empty.
std::string preprocess_mismatch(const ModelInfo& model);

// A decoded 8-bit image (1, 3 = RGB or 4 = RGBA channels, as decode_image
// returns it) → `out`, the model's input shape (height × width × channels,
// uint8): the model's recipe when it has one, then colour conversion and a
// resize if the shape still differs.  False with a reason when the image
// cannot be prepared, whatever failed (an OpenCV exception in the clean
// chain included); never throws for one image.
bool prepare_image(const cv::Mat& decoded, const ModelInfo& model, std::vector<uint8_t>* out, std::string* reason);

// New images for a trained model.  `data.classes` are the model's classes and
// every label an index into them; unreadable images are listed in `skipped`.
struct NewImages {
  image::Dataset data;  // prepared pixels in the model's input shape; path as given
  std::vector<std::pair<std::string, std::string>> skipped;  // path, reason
};

// `input` is a folder DIR/<class>/<file>, a CSV manifest (path,label; paths
// relative to it) or an IDX images file (labels file beside it).  A label the
// model does not know is a ConfigError; a class of the model absent from the
// data is fine.  Images whose header declares more than `max_pixels` pixels
// are skipped before they are decoded.
NewImages read_labelled_images(const std::string& input, const ModelInfo& model, int threads,
                               uint64_t max_pixels = image::kDefaultMaxPixels);

// An image file, a folder (every file below it, sorted) or a CSV manifest with
// a `path` column: prepared images without labels (label -1).
NewImages read_unlabelled_images(const std::string& input, const ModelInfo& model, int threads,
                                 uint64_t max_pixels = image::kDefaultMaxPixels);

}  // namespace pipe
