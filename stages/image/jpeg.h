// decode_jpeg — a JPEG decoded by libjpeg(-turbo) itself, with its messages
// captured instead of printed.
//
// OpenCV's imdecode uses the same libjpeg but leaves its default message
// handler in place, which prints "Corrupt JPEG data: ..." on stderr and lets
// the damaged image through.  Here the settings are OpenCV's (ISLOW DCT,
// fancy upsampling, DCT scaling by 1/2, 1/4 or 1/8, the EXIF orientation
// applied unless the channels are kept as stored), so the pixels are exactly
// imdecode's; but:
//   - the size is read from the header and checked against `max_pixels`
//     before any pixel buffer exists;
//   - a warning that means damaged image data ("Corrupt JPEG data: premature
//     end of data segment", "bad Huffman code", "Premature end of JPEG file")
//     makes the image unusable, with libjpeg's words as the reason; harmless
//     ones ("unknown JFIF revision number") are dropped;
//   - an error ("Invalid SOS parameters for sequential JPEG") is the reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace pipe::image {

enum class JpegResult {
  kDecoded,      // *image: 1 channel, or 3 (RGB)
  kUnsupported,  // a valid JPEG of a kind left to OpenCV (CMYK)
  kFailed,       // *error says why (damaged, or larger than max_pixels)
};

// `channels`: 0 keeps the stored ones (1 or 3), else 1 (gray) or 3 (RGB).
// `scale_denom`: 1, 2, 4 or 8 (libjpeg's reduced-size decode).
JpegResult decode_jpeg(const uint8_t* data, size_t size, int channels, int scale_denom, uint64_t max_pixels,
                       cv::Mat* image, std::string* error);

}  // namespace pipe::image
