#include "stages/image/decode.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <cstdlib>
#include <mutex>

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "stages/image/jpeg.h"
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
  // OpenCV rounds the scaled sides as here; a side rounded to nothing would
  // fail its assertion, so such an image gets an explicit size instead.
  if (cvRound(img.rows * (1.0 / k)) < 1 || cvRound(img.cols * (1.0 / k)) < 1) {
    cv::resize(img, out, cv::Size(std::max(1, img.cols / k), std::max(1, img.rows / k)), 0, 0, cv::INTER_AREA);
    return out;
  }
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

std::string too_large_reason(uint64_t width, uint64_t height, uint64_t max_pixels) {
  return "image too large (" + std::to_string(width) + " × " + std::to_string(height) + " pixels; max_pixels is " +
         std::to_string(max_pixels) + ")";
}

namespace {

uint32_t le16(const uint8_t* p) { return p[0] | (uint32_t(p[1]) << 8); }
uint32_t le32(const uint8_t* p) { return le16(p) | (le16(p + 2) << 16); }

// Width and height of a PNM (P1–P6): whitespace-separated numbers after the
// magic, with # comments.
bool peek_pnm(const uint8_t* d, size_t n, uint64_t* width, uint64_t* height) {
  uint64_t values[2];
  size_t i = 2;
  for (uint64_t& v : values) {
    while (i < n && (std::isspace(d[i]) || d[i] == '#')) {
      if (d[i] == '#')
        while (i < n && d[i] != '\n') ++i;
      else ++i;
    }
    if (i >= n || !std::isdigit(d[i])) return false;
    v = 0;
    for (; i < n && std::isdigit(d[i]) && v < (uint64_t(1) << 40); ++i) v = v * 10 + (d[i] - '0');
  }
  *width = values[0];
  *height = values[1];
  return true;
}

// Width and height of a WebP: lossy (VP8), lossless (VP8L) or extended (VP8X).
bool peek_webp(const uint8_t* d, size_t n, uint64_t* width, uint64_t* height) {
  if (n < 30) return false;
  if (std::memcmp(d + 12, "VP8X", 4) == 0) {
    *width = 1 + (le32(d + 24) & 0xFFFFFF);
    *height = 1 + (le32(d + 27) & 0xFFFFFF);
    return true;
  }
  if (std::memcmp(d + 12, "VP8L", 4) == 0 && d[20] == 0x2F) {
    uint32_t bits = le32(d + 21);
    *width = 1 + (bits & 0x3FFF);
    *height = 1 + ((bits >> 14) & 0x3FFF);
    return true;
  }
  if (std::memcmp(d + 12, "VP8 ", 4) == 0 && d[23] == 0x9D && d[24] == 0x01 && d[25] == 0x2A) {
    *width = le16(d + 26) & 0x3FFF;
    *height = le16(d + 28) & 0x3FFF;
    return true;
  }
  return false;
}

// Width and height of a classic TIFF: tags 256 and 257 of the first IFD.
bool peek_tiff(const uint8_t* d, size_t n, uint64_t* width, uint64_t* height) {
  const bool little = d[0] == 'I';
  auto u16 = [&](size_t at) { return little ? le16(d + at) : be16(d + at); };
  auto u32 = [&](size_t at) { return little ? le32(d + at) : be32(d + at); };
  if (n < 8) return false;
  size_t ifd = u32(4);
  if (ifd > n - 2) return false;
  size_t entries = u16(ifd);
  int found = 0;
  for (size_t k = 0; k < entries && ifd + 2 + 12 * (k + 1) <= n; ++k) {
    size_t e = ifd + 2 + 12 * k;
    uint32_t tag = u16(e), type = u16(e + 2);
    if (tag != 256 && tag != 257) continue;
    if (type != 3 && type != 4) return false;  // SHORT or LONG only
    (tag == 256 ? *width : *height) = type == 3 ? u16(e + 8) : u32(e + 8);
    ++found;
  }
  return found == 2;
}

}  // namespace

bool peek_image_size(const uint8_t* d, size_t n, uint64_t* width, uint64_t* height) {
  Format f = sniff(d, n);
  if (f == Format::kPng) {
    if (n < 24 || std::memcmp(d + 12, "IHDR", 4) != 0) return false;
    *width = be32(d + 16);
    *height = be32(d + 20);
    return true;
  }
  if (f == Format::kBmp) {
    if (n < 26) return false;
    if (le32(d + 14) == 12) {  // OS/2 core header: 16-bit sides
      *width = le16(d + 18);
      *height = le16(d + 20);
    } else {
      *width = static_cast<uint64_t>(std::abs(static_cast<int64_t>(static_cast<int32_t>(le32(d + 18)))));
      *height = static_cast<uint64_t>(std::abs(static_cast<int64_t>(static_cast<int32_t>(le32(d + 22)))));
    }
    return true;
  }
  if (f == Format::kPnm) return peek_pnm(d, n, width, height);
  if (f == Format::kWebp) return peek_webp(d, n, width, height);
  if (f == Format::kTiff) return peek_tiff(d, n, width, height);
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
        *height = be16(d + i + 5);
        *width = be16(d + i + 7);
        return true;
      }
      i += 2 + len;
    }
  }
  return false;
}

namespace {

// OpenCV's error handler and log output stay silent: a failure is an
// exception turned into the file's reason (OpenCV's TIFF decoder routes
// libtiff's messages through the same log).
void quiet_opencv() {
  static std::once_flag once;
  std::call_once(once, [] {
    cv::redirectError([](int, const char*, const char*, const char*, int, void*) { return 0; });
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  });
}

// The power of two (1, 2, 4 or 8) in the whole factor shrink_to_fit will
// use: a JPEG decodes that much smaller directly (libjpeg's DCT scaling,
// close to block averaging), and the result has the same size.
int jpeg_scale(uint64_t width, uint64_t height, int max_side) {
  uint64_t longest = std::max(width, height);
  if (max_side <= 0 || longest <= static_cast<uint64_t>(max_side)) return 1;
  uint64_t k = (longest + max_side - 1) / max_side;
  return static_cast<int>(std::min<uint64_t>(k & (~k + 1), 8));
}

// 8 bits, RGB(A) order: OpenCV's decoders give BGR(A) and maybe 16 bits.
bool from_opencv(cv::Mat img, cv::Mat* out, std::string* error) {
  if (img.depth() == CV_16U) img.convertTo(img, CV_8U, 1.0 / 257.0);
  else if (img.depth() != CV_8U) {
    double lo, hi;
    cv::minMaxLoc(img.reshape(1), &lo, &hi);
    img.convertTo(img, CV_8U, hi > lo ? 255.0 / (hi - lo) : 1.0, hi > lo ? -lo * 255.0 / (hi - lo) : 0);
  }
  if (img.channels() == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
  else if (img.channels() == 4) cv::cvtColor(img, img, cv::COLOR_BGRA2RGBA);
  else if (img.channels() != 1) {
    *error = "unsupported channel count " + std::to_string(img.channels());
    return false;
  }
  *out = img;
  return true;
}

Decoded decode_checked(const uint8_t* data, size_t size, DecodeMode mode, int max_side, uint64_t max_pixels) {
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
  uint64_t w = 0, h = 0;
  bool known = peek_image_size(data, size, &w, &h);
  if (known && (w == 0 || h == 0)) {
    out.error = "image of zero size (" + std::to_string(w) + " × " + std::to_string(h) + " pixels)";
    return out;
  }
  if (known && w * h > max_pixels) {
    out.error = too_large_reason(w, h, max_pixels);
    return out;
  }
  if (format == Format::kJpeg && !jpeg_complete(data, size)) {
    out.error = "truncated JPEG (no end marker)";
    return out;
  }
  if (format == Format::kPng) {
    // Walk the chunks: a cut-off file is reported here, before any decoder.
    if (!png_complete(data, size)) {
      out.error = "truncated or damaged PNG (its chunks do not reach IEND)";
      return out;
    }
    cv::Mat stored;
    PngResult r = decode_png(data, size, &stored, &out.error);
    if (r == PngResult::kUnsupported) {
      out.error.clear();
      r = decode_png_libspng(data, size, &stored, &out.error);
    }
    if (r == PngResult::kDecoded) out.image = from_stored(stored, mode, max_side);
    return out;
  }
  if (format == Format::kJpeg) {
    int channels = mode == DecodeMode::kGray ? 1 : mode == DecodeMode::kColor ? 3 : 0;
    int scale = mode != DecodeMode::kUnchanged && known ? jpeg_scale(w, h, max_side) : 1;
    cv::Mat img;
    switch (decode_jpeg(data, size, channels, scale, max_pixels, &img, &out.error)) {
      case JpegResult::kFailed:
        return out;
      case JpegResult::kDecoded:
        img = shrink_to_fit(img, max_side);
        out.image = img.isContinuous() ? img : img.clone();
        return out;
      case JpegResult::kUnsupported:
        break;  // CMYK: OpenCV converts it
    }
  }
  int flags = mode == DecodeMode::kGray ? cv::IMREAD_GRAYSCALE
              : mode == DecodeMode::kColor ? cv::IMREAD_COLOR
                                           : cv::IMREAD_UNCHANGED;
  cv::Mat img = cv::imdecode(cv::Mat(1, static_cast<int>(size), CV_8U, const_cast<uint8_t*>(data)), flags);
  if (img.empty()) {
    out.error = "cannot decode (corrupt or unsupported image data)";
    return out;
  }
  if (static_cast<uint64_t>(img.total()) > max_pixels) {  // a format whose header was not read
    out.error = too_large_reason(img.cols, img.rows, max_pixels);
    return out;
  }
  if (!from_opencv(img, &img, &out.error)) return out;
  img = shrink_to_fit(img, max_side);
  out.image = img.isContinuous() ? img : img.clone();
  return out;
}

}  // namespace

namespace {

// OpenCV's message on one line ("> " continuation lines joined), and the
// bare name of the function that raised it (no namespace, template or
// parameter list).
std::string opencv_reason(const cv::Exception& e) {
  std::string text;
  for (size_t i = 0; i < e.err.size(); ++i) {
    char c = e.err[i];
    if (c == '\n' || (c == '>' && (i == 0 || e.err[i - 1] == '\n'))) c = ' ';
    if (c == ' ' && (text.empty() || text.back() == ' ')) continue;
    text += c;
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  std::string func = e.func.substr(0, e.func.find('('));
  std::string bare;
  int depth = 0;
  for (char c : func) {
    depth += c == '<';
    if (depth == 0) bare += c;
    depth -= c == '>' && depth > 0;
  }
  size_t colon = bare.rfind("::");
  if (colon != std::string::npos) bare = bare.substr(colon + 2);
  return "OpenCV: " + text + (bare.empty() ? "" : " in " + bare);
}

std::string describe_current_exception() {
  try {
    throw;
  } catch (const cv::Exception& e) {
    return opencv_reason(e);
  } catch (const std::bad_alloc&) {
    return "out of memory";
  } catch (const Error& e) {
    return e.message();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown failure";
  }
}

}  // namespace

std::string current_exception_reason() {
  std::string reason = describe_current_exception();
  return reason.empty() ? "unknown failure" : reason;
}

Decoded decode_image(const uint8_t* data, size_t size, DecodeMode mode, int max_side, uint64_t max_pixels) {
  quiet_opencv();
  try {
    return decode_checked(data, size, mode, max_side, max_pixels);
  } catch (...) {
    Decoded out;
    out.error = "cannot decode: " + current_exception_reason();
    return out;
  }
}

}  // namespace pipe::image
