// Seeded random numbers that are the same on every platform: the standard
// distributions (uniform_real_distribution, shuffle, ...) are allowed to
// differ between library implementations, these are not.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace pipe::image {

using Rng = std::mt19937_64;

// A generator for item `index` of stream `stream` under `seed`: independent of
// the order in which items are processed (so of the thread count).
inline Rng rng_for(uint64_t seed, uint64_t stream, uint64_t index = 0) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(stream),
                    static_cast<uint32_t>(stream >> 32), static_cast<uint32_t>(index),
                    static_cast<uint32_t>(index >> 32)};
  return Rng(seq);
}

// Uniform in [0, 1).
inline double uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Uniform in [lo, hi); exactly lo when lo == hi.
inline double uniform(Rng& rng, double lo, double hi) { return lo + (hi - lo) * uniform01(rng); }

// Uniform integer in [0, n), without modulo bias.
inline uint64_t uniform_index(Rng& rng, uint64_t n) {
  if (n <= 1) return 0;
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = rng();
  while (x >= limit);
  return x % n;
}

// Standard normal (Box–Muller).
inline double normal(Rng& rng) {
  double u = 1.0 - uniform01(rng), v = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

// Fisher–Yates.
template <typename T>
void shuffle(std::vector<T>& items, Rng& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[uniform_index(rng, i)]);
}

}  // namespace pipe::image
