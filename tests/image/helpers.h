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

namespace pipe::image::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pipe-image-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& rel) const {
    std::filesystem::path p = std::filesystem::path(path_) / rel;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

inline std::string read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
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
