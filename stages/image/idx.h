// IDX — the MNIST binary format (big-endian magic 0x0000 08 <dims>, then
// dims as big-endian u32, then uint8 data), read gzipped or plain.
//
// Only unsigned-byte data (type 0x08) is read: images N×H×W (or N×H×W×C)
// and labels N.  Truncated or corrupt files are errors naming the file and
// what was expected; the header's sizes are checked before memory is
// allocated for them, which then grows only as the data is actually read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pipe::image {

// The most data an IDX file may declare (16 GiB, a hundred times the
// largest MNIST-style set); a header beyond it is damaged.
constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 34;

struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

IdxArray read_idx(const std::string& file);

struct IdxImages {
  int count = 0, height = 0, width = 0, channels = 1;
  std::vector<uint8_t> pixels;  // count × height × width × channels
  std::vector<uint8_t> labels;  // count
};

// Reads an images file and its labels file and checks they agree.
IdxImages read_idx_images(const std::string& images_file, const std::string& labels_file);

// The labels file beside an images file: "x-images-idx3-ubyte.gz" →
// "x-labels-idx1-ubyte.gz" (also "images.idx3" style names); "" when the
// name does not say.
std::string idx_labels_beside(const std::string& images_file);

}  // namespace pipe::image
