// Small synthetic inputs shared by the report tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "report/figure.h"
#include "report/stats.h"

namespace pipe::report::testing {

inline std::vector<std::string> class_names(int n) {
  const char* scripts[] = {"Latin", "Cyrillic", "Greek", "Devanagari", "Arabic", "Hebrew", "Hangul",
                           "Georgian_mkhedruli", "Armenian", "Ethiopic_syllabary"};
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i)
    names.push_back(n <= 10 ? scripts[i] : std::string(scripts[i % 10]) + "_" + std::to_string(i));
  return names;
}

// Mostly right with a few systematic confusions; deterministic.
inline ConfusionMatrix synthetic_confusion(int n) {
  ConfusionMatrix m(n, std::vector<long long>(n, 0));
  uint32_t state = 12345;
  auto rnd = [&] { return state = state * 1664525u + 1013904223u, state >> 8; };
  for (int t = 0; t < n; ++t) {
    m[t][t] = 40 + rnd() % 60;
    for (int k = 0; k < 3; ++k) m[t][rnd() % n] += rnd() % 8;
  }
  return m;
}

inline Image synthetic_image(int h, int w, int channels, int seed) {
  Image img;
  img.height = h, img.width = w, img.channels = channels;
  img.pixels.resize(static_cast<size_t>(h) * w * channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        // A ring whose radius depends on the seed, so images differ.
        double dx = x - w / 2.0, dy = y - h / 2.0, r = std::sqrt(dx * dx + dy * dy);
        double ring = std::exp(-std::pow(r - (w / 5.0 + seed % 5), 2) / 6);
        img.pixels[(static_cast<size_t>(y) * w + x) * channels + c] =
            static_cast<uint8_t>(std::min(255.0, 255 * ring * (c == 0 ? 1 : 0.7 + 0.1 * c)));
      }
  return img;
}

}  // namespace pipe::report::testing
