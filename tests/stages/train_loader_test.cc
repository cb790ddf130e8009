// The background batch loader and the normalisation: exact values on tiny
// images, every sample once per epoch, determinism of the augmentation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "stages/image/dataset.h"
#include "stages/loader.h"

using namespace pipe;

namespace {

// n samples of h×w×c; pixel values encode sample, position and channel.
image::Dataset make_data(int n, int h, int w, int c) {
  image::Dataset d;
  d.classes = {"a", "b"};
  for (int i = 0; i < n; ++i) {
    image::Sample s;
    s.label = i % 2;
    s.height = h;
    s.width = w;
    s.channels = c;
    for (int p = 0; p < h * w; ++p)
      for (int ch = 0; ch < c; ++ch) s.pixels.push_back(static_cast<uint8_t>((i * 7 + p * 3 + ch * 50) % 256));
    d.samples.push_back(s);
  }
  return d;
}

}  // namespace

TEST_CASE("normalisation turns HWC bytes into CHW floats") {
  uint8_t hwc[] = {0, 255, 51, 102};  // 2 pixels, 2 channels
  float out[4];
  Normalization("scale", {}, {}).apply(hwc, 1, 2, 2, out);
  CHECK(out[0] == 0.f);    // channel 0, pixel 0
  CHECK(out[1] == Approx(0.2f));  // channel 0, pixel 1
  CHECK(out[2] == 1.f);    // channel 1, pixel 0
  CHECK(out[3] == Approx(0.4f));
  Normalization("none", {}, {}).apply(hwc, 1, 2, 2, out);
  CHECK(out[3] == 102.f);
  Normalization z("standardize", {0.5, 0.2}, {0.25, 0.1});
  z.apply(hwc, 1, 2, 2, out);
  CHECK(out[0] == Approx(-2.0));
  CHECK(out[2] == Approx(8.0));
  CHECK(out[3] == Approx(2.0));
  Normalization back = Normalization::from_json(z.to_json());
  CHECK(back.mean() == z.mean());
  CHECK(back.std() == z.std());
}

TEST_CASE("standardisation statistics come from the chosen samples only") {
  image::Dataset d;
  d.classes = {"a"};
  for (uint8_t v : {0, 255, 255}) {
    image::Sample s;
    s.label = 0;
    s.height = s.width = 2;
    s.channels = 1;
    s.pixels.assign(4, v);
    d.samples.push_back(s);
  }
  DatasetSource src(d);
  Normalization first_two = standardize_stats(src, {0, 1}, 2, 2, 1);
  CHECK(first_two.mean()[0] == Approx(0.5));
  CHECK(first_two.std()[0] == Approx(0.5));
  Normalization all = standardize_stats(src, {0, 1, 2}, 2, 2, 1);
  CHECK(all.mean()[0] == Approx(2.0 / 3));
  Normalization constant = standardize_stats(src, {1, 2}, 2, 2, 1);
  CHECK(constant.std()[0] == 1.0);  // a constant channel is centred, not blown up
}

TEST_CASE("the loader yields every sample of the order once, in order, in batches") {
  image::Dataset d = make_data(10, 3, 2, 3);
  DatasetSource src(d);
  Normalization norm("none", {}, {});
  BatchLoader loader(src, 3, 2, 3, norm, 4);
  std::vector<uint32_t> order = {9, 3, 5, 0, 1, 2, 8, 7, 6, 4};
  for (int epoch = 0; epoch < 2; ++epoch) {
    loader.start(order, 1);
    Batch b;
    std::vector<uint32_t> seen;
    std::vector<int> sizes;
    while (loader.next(&b)) {
      sizes.push_back(b.n);
      for (int i = 0; i < b.n; ++i) {
        uint32_t idx = b.indices[i];
        seen.push_back(idx);
        CHECK(b.labels[i] == d.samples[idx].label);
        // CHW: channel 1, pixel (row 2, col 1) = HWC offset (5 * 3 + 1).
        CHECK(b.x[i * 18 + 1 * 6 + 5] == d.samples[idx].pixels[5 * 3 + 1]);
      }
    }
    CHECK(seen == order);
    CHECK(sizes == std::vector<int>{4, 4, 2});
  }
}

TEST_CASE("a new epoch can start before the last one is drained") {
  image::Dataset d = make_data(20, 2, 2, 1);
  DatasetSource src(d);
  BatchLoader loader(src, 2, 2, 1, Normalization(), 3);
  std::vector<uint32_t> order(20);
  for (uint32_t i = 0; i < 20; ++i) order[i] = i;
  loader.start(order, 0);
  Batch b;
  REQUIRE(loader.next(&b));
  std::reverse(order.begin(), order.end());
  loader.start(order, 0);
  REQUIRE(loader.next(&b));
  CHECK(b.indices[0] == 19);
  int batches = 1;
  while (loader.next(&b)) ++batches;
  CHECK(batches == 7);
}

TEST_CASE("augmentation draws depend on the seed and position only") {
  image::Dataset d = make_data(6, 2, 2, 1);
  DatasetSource src(d);
  SampleTransform add_noise = [](const uint8_t* in, int h, int w, int c, uint8_t* out, std::mt19937_64& rng) {
    for (int i = 0; i < h * w * c; ++i) out[i] = static_cast<uint8_t>(in[i] + rng() % 7);
  };
  auto epoch = [&](int batch, uint64_t seed) {
    BatchLoader loader(src, 2, 2, 1, Normalization("none", {}, {}), batch, add_noise);
    loader.start({0, 1, 2, 3, 4, 5}, seed);
    std::vector<float> all;
    Batch b;
    while (loader.next(&b)) all.insert(all.end(), b.x, b.x + b.n * 4);
    return all;
  };
  CHECK(epoch(4, 11) == epoch(4, 11));
  CHECK(epoch(4, 11) == epoch(1, 11));  // batch size does not change the draws
  CHECK(epoch(4, 11) != epoch(4, 12));
  std::vector<float> plain;
  for (const auto& s : d.samples) plain.insert(plain.end(), s.pixels.begin(), s.pixels.end());
  CHECK(epoch(4, 11) != plain);
}

TEST_CASE("derived seeds differ by stream and index") {
  std::set<uint64_t> seeds;
  for (uint64_t stream = 0; stream < 4; ++stream)
    for (uint64_t i = 0; i < 100; ++i) seeds.insert(derive_seed(800, stream, i));
  CHECK(seeds.size() == 400);
  CHECK(derive_seed(1, 2, 3) == derive_seed(1, 2, 3));
}
