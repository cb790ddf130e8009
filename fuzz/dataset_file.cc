// Fuzz target: the artifact files the data stages read back — a packed
// dataset (stages/image/dataset.cc, DatasetView::open: header, offsets,
// records, strings; every sample's pixels are then touched) and the
// preprocessing record beside it (stages/image/recipe.cc, Recipe::load).
// The first byte chooses which file the rest becomes.  A damaged file must
// fail with pipe::Error (or, for JSON, nlohmann's error), never crash.
#include <cstdint>
#include <numeric>

#include "engine/error.h"
#include "fuzz/scratch.h"
#include "stages/image/dataset.h"
#include "stages/image/recipe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pipe::image;
  if (size == 0) return 0;
  if (data[0] & 1) {
    pipe::fuzz::scratch_file(recipe_file_name(), data + 1, size - 1);
    try {
      Recipe r;
      Recipe::load(pipe::fuzz::scratch_dir(), &r);
    } catch (const std::exception&) {
    }
    return 0;
  }
  std::string file = pipe::fuzz::scratch_file("dataset.bin", data + 1, size - 1);
  try {
    DatasetView view = DatasetView::open(file);
    unsigned sum = 0;
    for (size_t i = 0; i < view.size(); ++i) {
      size_t bytes = static_cast<size_t>(view.height(i)) * view.width(i) * view.channels(i);
      const uint8_t* px = view.pixels(i);
      sum = std::accumulate(px, px + bytes, sum);
      if (view.label(i) < 0 || static_cast<size_t>(view.label(i)) >= view.classes().size()) __builtin_trap();
    }
    int h, w, c;
    view.common_shape(&h, &w, &c);
    if (const uint8_t* all = view.contiguous_pixels())
      sum = std::accumulate(all, all + view.size() * static_cast<size_t>(h) * w * c, sum);
    if (view.size() < 64) view.load();
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const pipe::Error&) {
  }
  return 0;
}
