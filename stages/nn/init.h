// Parameter initializers, seeded and platform-stable.
//
// Random numbers come from std::mt19937_64 (its output is fixed by the C++
// standard) turned into numbers by the code in init.cc, not by the standard
// library's distributions (whose output differs between implementations):
//   uniform  (x >> 11) * 2^-53, in [0, 1)
//   normal   Box-Muller from two uniforms
// Each parameter draws from its own generator, seeded from the net's seed, the
// layer name and the parameter name, so adding a layer leaves the others alone.
//
// Initializers (Keras's names and formulas; fans from the PyTorch-layout shape):
//   glorot_uniform  U(-l, l), l = sqrt(6 / (fan_in + fan_out))     (default for kernels)
//   glorot_normal   truncated normal (|z| <= 2), std = sqrt(2 / (fan_in + fan_out)) / .8796
//   he_uniform      U(-l, l), l = sqrt(6 / fan_in)
//   he_normal       truncated normal, std = sqrt(2 / fan_in) / .8796
//   orthogonal      rows or columns orthonormal (Gram-Schmidt of a normal matrix)
//   zeros, ones                                                    (zeros: default for biases)
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "stages/nn/tensor.h"

namespace pipe::nn {

enum class InitKind { kZeros, kOnes, kGlorotUniform, kGlorotNormal, kHeUniform, kHeNormal, kOrthogonal };

struct InitSpec {
  InitKind kind = InitKind::kZeros;
  double fan_in = 1, fan_out = 1;
};

// Throws ConfigError listing the known names.
InitKind parse_init(const std::string& name);
std::string init_names();  // "glorot_uniform, glorot_normal, ..."

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double uniform();  // [0, 1)
  double normal();   // standard normal
 private:
  std::mt19937_64 gen_;
};

// A seed for one named stream (splitmix64 over the seed and FNV-1a of tag).
uint64_t derive_seed(uint64_t seed, const std::string& tag);
// A well-mixed 64-bit hash of a counter (splitmix64), for counter-based streams.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Fills values (row-major, PyTorch's layout, `rows` × rest for orthogonal).
void fill(const InitSpec& spec, std::vector<float>& values, int64_t rows, Rng& rng);

}  // namespace pipe::nn
