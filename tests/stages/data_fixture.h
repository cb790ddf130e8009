// Running the data stages (ingest, clean, split, augment) directly in tests,
// and a test glyph.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/stages/stage_context.h"
#include "tests/temp_folder.h"

namespace pipe::data_testing {

using Folder = ::pipe::testing::TempFolder;

// Runs one stage of `kind` with parameters `yaml` (paths in it are absolute).
class StageRun : public ::pipe::testing::FakeStageContext {
 public:
  StageRun(const StageKind& kind, const std::string& yaml, std::string out_dir, int threads = 2, long long seed = 800)
      : FakeStageContext(kind, yaml, std::move(out_dir), {"", seed, "", threads, "stage.yaml"}) {}
  // Binds input `param` to the artifact folder `dir` (output "" or a name such as "train").
  StageRun& bind(const std::string& param, const std::string& dir, const std::string& output = "") {
    FakeStageContext::bind(param, dir, output, "data", "key");
    return *this;
  }
};

// A gray "L" glyph, ink on paper, with a mark whose place depends on `variant`.
inline cv::Mat glyph(int size, int thickness, uint8_t ink, uint8_t paper, int variant = 0) {
  cv::Mat m(size, size, CV_8UC1, cv::Scalar(paper));
  cv::line(m, {size / 4, size / 5}, {size / 4, size * 4 / 5}, cv::Scalar(ink), thickness);
  cv::line(m, {size / 4, size * 4 / 5}, {size * 3 / 4, size * 4 / 5}, cv::Scalar(ink), thickness);
  cv::circle(m, {size / 2 + (variant % 5) * size / 12, size / 3 + (variant / 5 % 4) * size / 12}, std::max(1, size / 16),
             cv::Scalar(ink), cv::FILLED);
  return m;
}

}  // namespace pipe::data_testing
