// Small fixtures for the image library tests: a temporary folder, images
// written to it, and synthetic glyphs with known geometry.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "stages/image/dataset.h"
#include "tests/temp_folder.h"

namespace pipe::image::testing {

using TempDir = ::pipe::testing::TempFolder;

inline void write_bytes(const std::string& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

inline std::string read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// An "L" drawn with a round pen `width` pixels wide, light on dark, 96×96
// (round ends: a square-ended thick stroke thins to a hooked skeleton).
inline cv::Mat pen_glyph(int width) {
  cv::Mat m(96, 96, CV_8UC1, cv::Scalar(0));
  std::vector<cv::Point> path{{24, 19}, {24, 76}, {72, 76}};
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) cv::line(m, path[i - 1], path[i], cv::Scalar(255), width);
    cv::circle(m, path[i], width / 2, cv::Scalar(255), cv::FILLED);
  }
  return m;
}

// A gray glyph: a `thickness`-pixel "L" of value `ink` on `paper`.
inline cv::Mat glyph(int size, int thickness, uint8_t ink, uint8_t paper) {
  cv::Mat m(size, size, CV_8UC1, cv::Scalar(paper));
  cv::line(m, {size / 4, size / 5}, {size / 4, size * 4 / 5}, cv::Scalar(ink), thickness);
  cv::line(m, {size / 4, size * 4 / 5}, {size * 3 / 4, size * 4 / 5}, cv::Scalar(ink), thickness);
  return m;
}

inline void write_png(const std::string& file, const cv::Mat& m) { cv::imwrite(file, m); }

inline cv::Mat mat_of(const Sample& s) {
  return cv::Mat(s.height, s.width, CV_8UC(s.channels), const_cast<uint8_t*>(s.pixels.data())).clone();
}

}  // namespace pipe::image::testing
