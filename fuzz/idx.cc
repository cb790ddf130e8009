// Fuzz target: the IDX reader (stages/image/idx.cc) — header, dimensions,
// gzip or plain data — on one file read as images and as labels.  Every
// input must load or fail with pipe::Error; sizes come from the file.
#include <cstdint>

#include "engine/error.h"
#include "fuzz/scratch.h"
#include "stages/image/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pipe::image;
  std::string file = pipe::fuzz::scratch_file("input-idx3-ubyte", data, size);
  try {
    IdxArray a = read_idx(file);
    uint64_t total = 1;
    for (uint32_t d : a.dims) total *= d;
    if (a.data.size() != total) __builtin_trap();  // the data must match the header
  } catch (const pipe::Error&) {
  }
  try {
    IdxImages images = read_idx_images(file, file);
    size_t expected = static_cast<size_t>(images.count) * images.height * images.width * images.channels;
    if (images.pixels.size() != expected || images.labels.size() != static_cast<size_t>(images.count))
      __builtin_trap();
  } catch (const pipe::Error&) {
  }
  return 0;
}
