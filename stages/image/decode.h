// decode_image — file bytes to an 8-bit image, or the reason it cannot be one.
//
// The format is recognised from the bytes, never the name (PNG, JPEG, BMP,
// TIFF, WebP, PNM).  A JPEG without its end marker is reported as truncated
// (libjpeg would otherwise fill the missing part with gray and succeed).
// 16-bit images are scaled to 8 bits; colour comes out RGB (RGBA with alpha).
//
// Untrusted bytes: decode_image never throws and never prints.  The size is
// read from the header (PNG, JPEG, BMP, PNM, WebP, TIFF) and checked against
// `max_pixels` before any pixel buffer exists; the decoders' own messages
// (libjpeg's, OpenCV's) are captured into the reason, never written to
// stderr.  Where a header cannot be read (BigTIFF, an odd TIFF), OpenCV's
// own limit is the backstop: OPENCV_IO_MAX_IMAGE_PIXELS (and _WIDTH,
// _HEIGHT), read from the environment once when the program starts
// (setting it later has no effect); 2^30 pixels by default.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace pipe::image {

enum class DecodeMode {
  kUnchanged,  // as stored: gray stays 1 channel, colour 3 (or 4 with alpha)
  kGray,       // always 1 channel
  kColor,      // always 3 channels, RGB
};

DecodeMode decode_mode(const std::string& name);  // unchanged | gray | color

struct Decoded {
  cv::Mat image;      // CV_8UC1, CV_8UC3 (RGB) or CV_8UC4 (RGBA); empty on failure
  std::string error;  // why not, when image is empty
};

// The default pixel limit: 100 megapixels, 1500 times the largest vendored
// image (300 × 225), room for a 100-megapixel photo; a decompression bomb (a
// 30000 × 30000 PNG of 1 MB) is refused.
constexpr uint64_t kDefaultMaxPixels = 100'000'000;

// `max_side` > 0: larger images are shrunk by the smallest whole factor that
// brings the longer side to at most max_side (area averaging; big JPEGs are
// decoded at 1/2, 1/4 or 1/8 scale directly).  An image whose header declares
// more than `max_pixels` pixels is refused with too_large_reason().
Decoded decode_image(const uint8_t* data, size_t size, DecodeMode mode, int max_side = 0,
                     uint64_t max_pixels = kDefaultMaxPixels);

// Inside a catch block: why the per-image step failed, for the file's
// warning ("OpenCV: !dsize.empty() in resize", "out of memory", what()).
std::string current_exception_reason();

// "image too large (W × H pixels; max_pixels is N)"
std::string too_large_reason(uint64_t width, uint64_t height, uint64_t max_pixels);

// The image shrunk by the smallest whole factor k that makes its longer side
// at most `max_side` (each pixel the mean of a k×k block); the image itself
// when it fits or max_side is 0.  A side that would shrink to nothing (a
// 44096 × 64 image to 128) keeps one pixel.
cv::Mat shrink_to_fit(const cv::Mat& img, int max_side);

// Width and height from a PNG, JPEG, BMP, PNM, WebP or TIFF header without
// decoding; false if unknown.
bool peek_image_size(const uint8_t* data, size_t size, uint64_t* width, uint64_t* height);

}  // namespace pipe::image
