// Recipe — how the images of a dataset artifact were made from image files:
// ingest's decode settings, then every clean stage's options, in order.
//
// The data stages keep it as `preprocess.json` beside their dataset files
// (ingest writes it, clean appends to it, split and augment pass it on), so
// evaluate and predict can prepare new image files exactly as the training
// images were prepared.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "stages/image/clean.h"
#include "stages/image/decode.h"

namespace pipe::image {

inline const char* recipe_file_name() { return "preprocess.json"; }

struct Recipe {
  DecodeMode decode = DecodeMode::kUnchanged;
  int max_side = 0;
  std::vector<CleanOptions> cleans;
  int clean_version = 0;  // kCleanVersion of the code that ran `cleans` (0: not recorded)

  nlohmann::json to_json() const;
  static Recipe from_json(const nlohmann::json& j);
  // Reads <dir>/preprocess.json; false (and *out untouched) when there is none.
  static bool load(const std::string& artifact_dir, Recipe* out);
  // Writes <dir>/preprocess.json.
  void save(const std::string& artifact_dir) const;

  // An image as decode_image() returns it without max_side (1, 3 = RGB or
  // 4 = RGBA channels) → what the dataset holds for it.
  cv::Mat apply(const cv::Mat& decoded) const;
  // An image file → what the dataset would hold for it; empty with *error
  // when the file cannot be read or decoded.
  cv::Mat read(const std::string& file, std::string* error) const;
};

nlohmann::json clean_options_to_json(const CleanOptions& o);
CleanOptions clean_options_from_json(const nlohmann::json& j);

}  // namespace pipe::image
