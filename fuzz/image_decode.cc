// Fuzz target: an image file on its way into a dataset, as ingest, evaluate
// and predict prepare it (stages/image/decode.cc decode_image: format
// sniffing, pipe's own PNG decoder in png.cc, OpenCV's decoders as the
// fallback, 16-bit and float scaling, max_side shrinking), then the clean
// chain on the decoded pixels (stages/image/clean.cc clean_image, as the
// shipped pipelines configure it).  The first byte picks the decode mode,
// max_side and clean settings; the rest is the file.  Any failure must come
// back as Decoded::error or pipe::Error, never as a crash or OpenCV abort.
// OpenCV's own pixel limit is lowered to keep each input's memory small.
#include <cstdint>
#include <cstdlib>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "engine/error.h"
#include "stages/image/clean.h"
#include "stages/image/decode.h"

namespace {

// The clean settings of the shipped pipelines, and a few more.
pipe::image::CleanOptions clean_preset(int which) {
  pipe::image::CleanOptions o;
  switch (which) {
    case 0:  // multiscript
      o.crop = "content", o.stroke = 2.0, o.stroke_mode = "adjust", o.height = o.width = 28, o.pad = 2;
      o.center = "mass", o.dedupe = "exact";
      break;
    case 1:  // english
      o.crop = "center", o.height = o.width = 32;
      break;
    case 2:  // hieroglyphs
      o.invert = "false", o.height = 75, o.width = 50, o.fit = "stretch";
      break;
    case 3:
      o.color = "rgb", o.illumination = "tophat", o.stretch = true, o.height = o.width = 16;
      break;
    case 4:
      o.binarize = "otsu", o.despeckle = 4, o.crop = "content", o.stroke = 1.5, o.height = o.width = 20;
      break;
    case 5:
      o.binarize = "adaptive", o.crop = "content", o.crop_threshold = 40, o.height = o.width = 24;
      o.interpolation = "cubic";
      break;
    case 6:
      o.stroke = 3, o.stroke_mode = "redraw", o.height = o.width = 28;
      break;
    default:
      break;  // keep everything: colour and invert only
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "4194304", 1);  // 2048²
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  cv::setNumThreads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pipe::image;
  if (size == 0) return 0;
  static const bool initialized = (LLVMFuzzerInitialize(nullptr, nullptr), true);
  (void)initialized;
  const uint8_t control = data[0];
  const DecodeMode modes[] = {DecodeMode::kUnchanged, DecodeMode::kGray, DecodeMode::kColor, DecodeMode::kGray};
  DecodeMode mode = modes[control & 3];
  int max_side = (control & 4) ? 64 : 0;
  // A pixel limit far below the default keeps each input fast; the limit
  // itself is part of what is fuzzed.
  Decoded d = decode_image(data + 1, size - 1, mode, max_side, uint64_t{1} << 22);
  if (d.image.empty()) {
    if (d.error.empty()) __builtin_trap();  // a failure always says why
    return 0;
  }
  if (d.image.depth() != CV_8U || (d.image.channels() != 1 && d.image.channels() != 3 && d.image.channels() != 4))
    __builtin_trap();
  if (d.image.total() > (size_t{1} << 20)) return 0;  // the clean chain's cost grows with the image
  try {
    clean_image(d.image, clean_preset(control >> 3 & 7));
  } catch (const pipe::Error&) {
  }
  return 0;
}
