#include "stages/image/decode.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "stages/image/png.h"

namespace pipe::image {

namespace {

enum class Format { kUnknown, kPng, kJpeg, kBmp, kTiff, kWebp, kPnm };

Format sniff(const uint8_t* d, size_t n) {
  auto starts = [&](const char* sig, size_t len) { return n >= len && std::memcmp(d, sig, len) == 0; };
  if (starts("\x89PNG\r\n\x1a\n", 8)) return Format::kPng;
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return Format::kJpeg;
  if (starts("BM", 2)) return Format::kBmp;
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return Format::kTiff;
  if (n >= 12 && starts("RIFF", 4) && std::memcmp(d + 8, "WEBP", 4) == 0) return Format::kWebp;
  if (n >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6') return Format::kPnm;
  return Format::kUnknown;
}

// A complete JPEG ends with FF D9 (possibly followed by a little padding).
bool jpeg_complete(const uint8_t* d, size_t n) {
  size_t from = n > 1024 ? n - 1024 : 0;
  for (size_t i = n; i-- > from + 1;)
    if (d[i - 1] == 0xFF && d[i] == 0xD9) return true;
  return false;
}

uint32_t be16(const uint8_t* p) { return (uint32_t(p[0]) << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }

// Every chunk (length, type, data, CRC) fits in the file, up to IEND.
bool png_complete(const uint8_t* d, size_t n) {
  size_t at = 8;
  while (at + 12 <= n) {
    uint32_t len = be32(d + at);
    if (len > n - at - 12) return false;
    for (int k = 4; k < 8; ++k)
      if (!std::isalpha(d[at + k])) return false;  // not a chunk type: damaged
    if (std::memcmp(d + at + 4, "IEND", 4) == 0) return true;
    at += 12 + static_cast<size_t>(len);
  }
  return false;
}

}  // namespace

cv::Mat shrink_to_fit(const cv::Mat& img, int max_side) {
  int longest = std::max(img.rows, img.cols);
  if (max_side <= 0 || longest <= max_side) return img;
  // A whole factor takes OpenCV's fast area path (each output pixel the mean
  // of a k×k block): several times faster than an arbitrary area resize.
  int k = (longest + max_side - 1) / max_side;
  cv::Mat out;
  cv::resize(img, out, cv::Size(), 1.0 / k, 1.0 / k, cv::INTER_AREA);
  return out;
}

namespace {

// Pixels as a PNG stores them (gray, gray+alpha, RGB, RGBA) → the channels
// `mode` asks for, as OpenCV's imdecode flags would give them (alpha is
// dropped for gray and colour; gray+alpha becomes RGBA when unchanged).
cv::Mat from_stored(const cv::Mat& stored, DecodeMode mode, int max_side) {
  cv::Mat img;
  int c = stored.channels();
  if (mode == DecodeMode::kGray) {
    if (c == 1) img = stored;
    else if (c == 2) cv::extractChannel(stored, img, 0);
    else cv::cvtColor(stored, img, c == 3 ? cv::COLOR_RGB2GRAY : cv::COLOR_RGBA2GRAY);
  } else if (mode == DecodeMode::kColor) {
    if (c == 1) {
      cv::cvtColor(stored, img, cv::COLOR_GRAY2RGB);
    } else if (c == 2) {
      cv::Mat g;
      cv::extractChannel(stored, g, 0);
      cv::cvtColor(g, img, cv::COLOR_GRAY2RGB);
    } else if (c == 3) {
      img = stored;
    } else {
      cv::cvtColor(stored, img, cv::COLOR_RGBA2RGB);
    }
  } else if (c == 2) {
    cv::Mat g, a;
    cv::extractChannel(stored, g, 0);
    cv::extractChannel(stored, a, 1);
    cv::merge(std::vector<cv::Mat>{g, g, g, a}, img);
  } else {
    img = stored;
  }
  img = shrink_to_fit(img, max_side);
  return img.isContinuous() ? img : img.clone();
}

}  // namespace

DecodeMode decode_mode(const std::string& name) {
  if (name == "unchanged") return DecodeMode::kUnchanged;
  if (name == "gray") return DecodeMode::kGray;
  if (name == "color" || name == "rgb") return DecodeMode::kColor;
  throw ConfigError("decode: '" + name + "' is not allowed").hint("allowed: unchanged | gray | color");
}

bool peek_image_size(const uint8_t* d, size_t n, int* width, int* height) {
  Format f = sniff(d, n);
  if (f == Format::kPng) {
    if (n < 24 || std::memcmp(d + 12, "IHDR", 4) != 0) return false;
    *width = static_cast<int>(be32(d + 16));
    *height = static_cast<int>(be32(d + 20));
    return true;
  }
  if (f == Format::kJpeg) {
    size_t i = 2;
    while (i + 4 <= n) {
      if (d[i] != 0xFF) return false;
      uint8_t marker = d[i + 1];
      if (marker == 0xFF) {
        ++i;
        continue;
      }
      if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
        i += 2;
        continue;
      }
      uint32_t len = be16(d + i + 2);
      bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        if (i + 9 > n) return false;
        *height = static_cast<int>(be16(d + i + 5));
        *width = static_cast<int>(be16(d + i + 7));
        return true;
      }
      i += 2 + len;
    }
  }
  return false;
}

Decoded decode_image(const uint8_t* data, size_t size, DecodeMode mode, int max_side) {
  Decoded out;
  if (size == 0) {
    out.error = "empty file";
    return out;
  }
  Format format = sniff(data, size);
  if (format == Format::kUnknown) {
    out.error = "not an image (unknown file format)";
    return out;
  }
  if (format == Format::kJpeg && !jpeg_complete(data, size)) {
    out.error = "truncated JPEG (no end marker)";
    return out;
  }
  if (format == Format::kPng) {
    // Walk the chunks: a cut-off file is reported here rather than by
    // libpng, which prints its own complaint on stderr.
    if (!png_complete(data, size)) {
      out.error = "truncated or damaged PNG (its chunks do not reach IEND)";
      return out;
    }
    cv::Mat stored;
    switch (decode_png(data, size, &stored, &out.error)) {
      case PngResult::kCorrupt:
        return out;
      case PngResult::kDecoded:
        out.image = from_stored(stored, mode, max_side);
        return out;
      case PngResult::kUnsupported:
        out.error.clear();
        break;
    }
  }
  int flags = mode == DecodeMode::kGray ? cv::IMREAD_GRAYSCALE
              : mode == DecodeMode::kColor ? cv::IMREAD_COLOR
                                           : cv::IMREAD_UNCHANGED;
  // A JPEG much larger than needed decodes faster at 1/2, 1/4 or 1/8 scale
  // (libjpeg's DCT scaling, close to block averaging): the power of two in
  // the whole factor shrink_to_fit will use, so the result has the same size.
  int w = 0, h = 0;
  if (format == Format::kJpeg && max_side > 0 && mode != DecodeMode::kUnchanged &&
      peek_image_size(data, size, &w, &h) && std::max(w, h) > max_side) {
    int k = (std::max(w, h) + max_side - 1) / max_side;
    int r = std::min(k & -k, 8);
    bool gray = mode == DecodeMode::kGray;
    if (r == 8) flags = gray ? cv::IMREAD_REDUCED_GRAYSCALE_8 : cv::IMREAD_REDUCED_COLOR_8;
    else if (r == 4) flags = gray ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_COLOR_4;
    else if (r == 2) flags = gray ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_REDUCED_COLOR_2;
  }
  cv::Mat img;
  try {
    img = cv::imdecode(cv::Mat(1, static_cast<int>(size), CV_8U, const_cast<uint8_t*>(data)), flags);
  } catch (const cv::Exception& e) {
    out.error = "cannot decode: " + e.msg;
    return out;
  }
  if (img.empty()) {
    out.error = "cannot decode (corrupt or unsupported image data)";
    return out;
  }
  if (img.depth() == CV_16U) img.convertTo(img, CV_8U, 1.0 / 257.0);
  else if (img.depth() != CV_8U) {
    double lo, hi;
    cv::minMaxLoc(img.reshape(1), &lo, &hi);
    img.convertTo(img, CV_8U, hi > lo ? 255.0 / (hi - lo) : 1.0, hi > lo ? -lo * 255.0 / (hi - lo) : 0);
  }
  if (img.channels() == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
  else if (img.channels() == 4) cv::cvtColor(img, img, cv::COLOR_BGRA2RGBA);
  else if (img.channels() != 1) {
    out.error = "unsupported channel count " + std::to_string(img.channels());
    return out;
  }
  img = shrink_to_fit(img, max_side);
  if (!img.isContinuous()) img = img.clone();
  out.image = img;
  return out;
}

}  // namespace pipe::image
