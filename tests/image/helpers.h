// Small fixtures for the image library tests: a temporary folder, images
// written to it, and synthetic glyphs with known geometry.
#pragma once

#include "engine/posix.h"  // before zlib.h: see posix.h

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

// A valid gray PNG of side × side black pixels that compresses to about
// 1 KB per 1000 rows: a decompression bomb (30000 → 0.9 GB of pixels from
// under 1 MB).  The deflate stream is one chunk of rows compressed once,
// flushed to a byte boundary with a fresh dictionary, and repeated.
inline std::string bomb_png(uint32_t side) {
  const uint32_t rows_per_chunk = 100;
  std::vector<uint8_t> rows(static_cast<size_t>(side + 1) * rows_per_chunk, 0);
  std::string deflated;
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);  // raw deflate
  std::vector<uint8_t> buf(rows.size() + 1024);
  z.next_in = rows.data();
  z.avail_in = static_cast<uInt>(rows.size());
  z.next_out = buf.data();
  z.avail_out = static_cast<uInt>(buf.size());
  deflate(&z, Z_FULL_FLUSH);
  std::string chunk(reinterpret_cast<char*>(buf.data()), buf.size() - z.avail_out);
  deflateEnd(&z);
  std::string stream = "\x78\xDA";
  for (uint32_t r = 0; r < side; r += rows_per_chunk) {
    if (side - r >= rows_per_chunk) {
      stream += chunk;
    } else {  // the last rows: their own flushed piece
      z_stream t{};
      deflateInit2(&t, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
      size_t n = static_cast<size_t>(side + 1) * (side - r);
      t.next_in = rows.data();
      t.avail_in = static_cast<uInt>(n);
      t.next_out = buf.data();
      t.avail_out = static_cast<uInt>(buf.size());
      deflate(&t, Z_FULL_FLUSH);
      stream.append(reinterpret_cast<char*>(buf.data()), buf.size() - t.avail_out);
      deflateEnd(&t);
    }
  }
  stream += std::string("\x03\x00", 2);  // an empty final block
  uint64_t total = static_cast<uint64_t>(side + 1) * side;
  uint32_t adler = (static_cast<uint32_t>(total % 65521) << 16) | 1;  // all zeros: a stays 1, b = length
  for (int k = 3; k >= 0; --k) stream += static_cast<char>((adler >> (8 * k)) & 0xFF);
  auto be32 = [](uint32_t v) {
    std::string b(4, '\0');
    for (int k = 0; k < 4; ++k) b[k] = static_cast<char>((v >> (24 - 8 * k)) & 0xFF);
    return b;
  };
  std::string out("\x89PNG\r\n\x1a\n", 8);
  auto put = [&](const std::string& type, const std::string& body) {
    out += be32(static_cast<uint32_t>(body.size())) + type + body;
    std::string typed = type + body;
    out += be32(static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(typed.data()), typed.size())));
  };
  put("IHDR", be32(side) + be32(side) + std::string("\x08\x00\x00\x00\x00", 5));  // 8-bit gray
  for (size_t at = 0; at < stream.size(); at += 1 << 20) put("IDAT", stream.substr(at, 1 << 20));
  put("IEND", "");
  return out;
}

// A small gray JPEG (a textured glyph) as OpenCV writes it: JFIF, baseline.
inline std::string small_jpeg(int rows = 48, int cols = 64) {
  cv::Mat m = glyph(std::max(rows, cols), 5, 20, 230)(cv::Rect(0, 0, cols, rows)).clone();
  std::vector<uint8_t> out;
  cv::imencode(".jpg", m, out);
  return std::string(out.begin(), out.end());
}

// The offset of the first marker `code` (0xC0 SOF0, 0xDA SOS) in a JPEG.
inline size_t jpeg_marker(const std::string& jpg, uint8_t code) {
  for (size_t i = 2; i + 1 < jpg.size(); ++i)
    if (static_cast<uint8_t>(jpg[i]) == 0xFF && static_cast<uint8_t>(jpg[i + 1]) == code) return i;
  return std::string::npos;
}

// A JPEG whose damaged frame header declares width × height pixels.
inline std::string jpeg_declaring(const std::string& jpg, int width, int height) {
  std::string b = jpg;
  size_t sof = jpeg_marker(b, 0xC0);
  b[sof + 5] = static_cast<char>(height >> 8);
  b[sof + 6] = static_cast<char>(height & 0xFF);
  b[sof + 7] = static_cast<char>(width >> 8);
  b[sof + 8] = static_cast<char>(width & 0xFF);
  return b;
}

}  // namespace pipe::image::testing
