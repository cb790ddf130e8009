// Running the train and evaluate stages directly in tests, and small
// synthetic datasets for them.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stages/image/dataset.h"
#include "tests/stages/stage_context.h"
#include "tests/temp_folder.h"

namespace pipe::testing {

using TempDir = TempFolder;

// Runs the train or evaluate stage; `work_dir` keeps training checkpoints.
class TestContext : public FakeStageContext {
 public:
  TestContext(const StageKind& kind, const std::string& yaml, std::string out_dir, std::string work_dir,
              long long seed = 800, std::string id = "train")
      : FakeStageContext(kind, yaml, std::move(out_dir), {std::move(work_dir), seed, std::move(id), 1, "test.yaml"}) {}
};

// Two classes of h×w gray images: class 0 has a bright square top-left,
// class 1 bottom-right, both on noise; `offset` shifts every pixel value.
inline image::Dataset blobs(int per_class, int h, int w, uint64_t seed, int offset = 0) {
  std::mt19937_64 rng(seed);
  image::Dataset d;
  d.classes = {"left", "right"};
  for (int i = 0; i < 2 * per_class; ++i) {
    image::Sample s;
    s.label = i % 2;
    s.height = h;
    s.width = w;
    s.channels = 1;
    s.path = (s.label ? "right/" : "left/") + std::to_string(i) + ".png";
    s.pixels.resize(h * w);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        bool blob = s.label == 0 ? (y < h / 2 && x < w / 2) : (y >= h / 2 && x >= w / 2);
        int v = static_cast<int>(rng() % 60) + (blob ? 150 : 0) + offset;
        s.pixels[y * w + x] = static_cast<uint8_t>(std::min(255, std::max(0, v)));
      }
    d.samples.push_back(s);
  }
  return d;
}

inline std::string write_set(const std::string& dir, const image::Dataset& d, const std::string& output = "") {
  image::write_dataset(dir + "/" + image::dataset_file_name(output), d);
  return dir;
}

}  // namespace pipe::testing
