// A fast decoder for the common PNG: 8-bit gray, gray+alpha, RGB or RGBA,
// not interlaced, without palette or transparency chunk (every PNG in the
// vendored datasets).  Other PNGs are decoded by libspng
// (decode_png_libspng), never by OpenCV's libpng, which prints its
// complaints about damaged files on stderr.
//
// Why not only OpenCV (libpng): libpng verifies the zlib stream's Adler-32
// over the *decompressed* pixels, a fifth of the decode time of a large,
// well-compressed PNG (the English images: 2 KB files, 200 KB of pixels).
// Here every chunk's CRC-32 is checked instead, over the *compressed* bytes:
// it covers the same data, so corruption is still caught, at a fraction of
// the cost.  libdeflate inflates the whole stream at once, about twice as
// fast as zlib's streaming inflate.  Unfiltering follows the PNG
// specification (filters 0–4, sub and up in SIMD); the pixels are exactly
// libpng's.  (Gray from RGB then comes from cvtColor,
// within 2 levels of libpng's own conversion.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace pipe::image {

enum class PngResult {
  kDecoded,      // *image holds the pixels as stored: 1, 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels
  kUnsupported,  // a valid PNG of a kind this decoder leaves to OpenCV
  kCorrupt,      // *error says why
};

PngResult decode_png(const uint8_t* data, size_t size, cv::Mat* image, std::string* error);

// Any PNG (palette, 1–16 bits, interlaced, tRNS) through libspng: *image holds
// 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) 8-bit channels, 16-bit
// samples scaled by 1/257; transparency from tRNS becomes alpha.  kCorrupt
// with libspng's reason otherwise (kUnsupported is never returned).
PngResult decode_png_libspng(const uint8_t* data, size_t size, cv::Mat* image, std::string* error);

}  // namespace pipe::image
