// decode_image — file bytes to an 8-bit image, or the reason it cannot be one.
//
// The format is recognised from the bytes, never the name (PNG, JPEG, BMP,
// TIFF, WebP, PNM).  A JPEG without its end marker is reported as truncated
// (libjpeg would otherwise fill the missing part with gray and succeed).
// 16-bit images are scaled to 8 bits; colour comes out RGB (RGBA with alpha).
#pragma once

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

// `max_side` > 0: larger images are shrunk by the smallest whole factor that
// brings the longer side to at most max_side (area averaging; big JPEGs are
// decoded at 1/2, 1/4 or 1/8 scale directly).
Decoded decode_image(const uint8_t* data, size_t size, DecodeMode mode, int max_side = 0);

// The image shrunk by the smallest whole factor k that makes its longer side
// at most `max_side` (each pixel the mean of a k×k block); the image itself
// when it fits or max_side is 0.
cv::Mat shrink_to_fit(const cv::Mat& img, int max_side);

// Width and height from a PNG or JPEG header without decoding; false if unknown.
bool peek_image_size(const uint8_t* data, size_t size, int* width, int* height);

}  // namespace pipe::image
