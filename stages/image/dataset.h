// Dataset — the packed image set every data stage reads and writes.
//
// One file per output in a stage's artifact folder (`dataset.bin` for a stage
// with one output, `<output>.bin` for named outputs such as split's `train`,
// see dataset_file_name()): a versioned header,
// the class names, then per sample its label, group, shape, source path and
// uint8 pixels (HWC, row-major).  Samples may differ in size (ingest keeps
// each image as decoded); after clean with `size:` they all share one shape.
// The file is written to a temporary name and renamed, and read through mmap,
// so a consumer touches only the pixels it uses.
//
// Layout (little-endian): a 64-byte header ("PIPEDSET", version, sample and
// class counts, offsets of the metadata and pixel blocks), the metadata block
// (class names, then per sample label, shape, pixel offset, path, group,
// split), and the pixel block (64-byte aligned, samples back to back in
// order, so a set with a common shape is one contiguous N×H×W×C array).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pipe::image {

struct Sample {
  int32_t label = -1;     // index into Dataset::classes
  int32_t height = 0, width = 0, channels = 0;
  std::string path;       // source file, relative to the data root it came from
  std::string group;      // group key for group-aware splits ("" when none)
  std::vector<uint8_t> pixels;  // height*width*channels, HWC; RGB(A) order when colour
  std::string split;      // an existing split ("train", "val", "test") or ""
};

// A dataset in memory, as stages build it.
struct Dataset {
  std::vector<std::string> classes;
  std::vector<Sample> samples;
  // The common shape when every sample has it, else {0,0,0}.
  void common_shape(int* height, int* width, int* channels) const;
};

// A dataset file opened read-only through mmap.
class DatasetView {
 public:
  static DatasetView open(const std::string& file);
  size_t size() const;
  const std::vector<std::string>& classes() const;
  int32_t label(size_t i) const;
  const std::string& path(size_t i) const;
  const std::string& group(size_t i) const;
  const std::string& split(size_t i) const;
  int height(size_t i) const;
  int width(size_t i) const;
  int channels(size_t i) const;
  const uint8_t* pixels(size_t i) const;  // height*width*channels, HWC
  // Every sample's pixels as one N×H×W×C array when all share one shape
  // (they are stored back to back), else nullptr.
  const uint8_t* contiguous_pixels() const;
  // The common shape when every sample has it, else {0,0,0}.
  void common_shape(int* height, int* width, int* channels) const;
  Dataset load() const;  // a full in-memory copy
  Sample sample(size_t i) const;  // one sample, copied
  const std::string& file() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Writes `data` to `file` (temporary name, then rename).
void write_dataset(const std::string& file, const Dataset& data);
// Writes the samples of `view` picked by `indices` (in that order), with the
// view's classes, without copying them through memory first.
void write_subset(const std::string& file, const DatasetView& view, const std::vector<size_t>& indices);

// The dataset file of output `output` ("" for a stage's only output).
inline std::string dataset_file_name(const std::string& output) {
  return (output.empty() ? std::string("dataset") : output) + ".bin";
}

}  // namespace pipe::image
