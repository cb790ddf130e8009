#include "stages/nn/init.h"

#include <cmath>

#include "engine/error.h"

namespace pipe::nn {

namespace {

const char* const kInitNames[] = {"zeros",      "ones",      "glorot_uniform", "glorot_normal",
                                  "he_uniform", "he_normal", "orthogonal"};

// std of a unit normal truncated at ±2 is 0.87962566103423978; Keras divides by it.
constexpr double kTruncatedStd = 0.87962566103423978;

double truncated_normal(Rng& rng) {
  for (;;) {
    double z = rng.normal();
    if (std::fabs(z) <= 2.0) return z;
  }
}

// Orthonormal columns (rows >= cols) or rows (rows < cols) of a rows×cols matrix.
void orthogonal(std::vector<float>& out, int64_t rows, int64_t cols, Rng& rng) {
  const bool transpose = rows < cols;
  const int64_t r = transpose ? cols : rows, c = transpose ? rows : cols;  // r >= c
  std::vector<double> a(r * c);
  for (double& x : a) x = rng.normal();
  // Modified Gram-Schmidt over the c columns of the r×c matrix a (row-major).
  for (int64_t j = 0; j < c; ++j) {
    for (int64_t k = 0; k < j; ++k) {
      double dot = 0;
      for (int64_t i = 0; i < r; ++i) dot += a[i * c + j] * a[i * c + k];
      for (int64_t i = 0; i < r; ++i) a[i * c + j] -= dot * a[i * c + k];
    }
    double norm = 0;
    for (int64_t i = 0; i < r; ++i) norm += a[i * c + j] * a[i * c + j];
    norm = std::sqrt(norm);
    for (int64_t i = 0; i < r; ++i) a[i * c + j] /= norm;
  }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      out[i * cols + j] = static_cast<float>(transpose ? a[j * c + i] : a[i * c + j]);
}

}  // namespace

InitKind parse_init(const std::string& name) {
  for (size_t i = 0; i < std::size(kInitNames); ++i)
    if (name == kInitNames[i]) return static_cast<InitKind>(i);
  throw ConfigError("unknown initializer '" + name + "'").hint("allowed: " + init_names());
}

std::string init_names() {
  std::string out;
  for (const char* n : kInitNames) out += std::string(out.empty() ? "" : ", ") + n;
  return out;
}

double Rng::uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t derive_seed(uint64_t seed, const std::string& tag) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char ch : tag) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  return mix64(seed ^ mix64(h));
}

void fill(const InitSpec& spec, std::vector<float>& values, int64_t rows, Rng& rng) {
  switch (spec.kind) {
    case InitKind::kZeros:
      for (float& v : values) v = 0.0f;
      return;
    case InitKind::kOnes:
      for (float& v : values) v = 1.0f;
      return;
    case InitKind::kGlorotUniform:
    case InitKind::kHeUniform: {
      const double limit = spec.kind == InitKind::kGlorotUniform
                               ? std::sqrt(6.0 / (spec.fan_in + spec.fan_out))
                               : std::sqrt(6.0 / spec.fan_in);
      for (float& v : values) v = static_cast<float>((2.0 * rng.uniform() - 1.0) * limit);
      return;
    }
    case InitKind::kGlorotNormal:
    case InitKind::kHeNormal: {
      const double std = (spec.kind == InitKind::kGlorotNormal ? std::sqrt(2.0 / (spec.fan_in + spec.fan_out))
                                                               : std::sqrt(2.0 / spec.fan_in)) /
                         kTruncatedStd;
      for (float& v : values) v = static_cast<float>(truncated_normal(rng) * std);
      return;
    }
    case InitKind::kOrthogonal:
      orthogonal(values, rows, static_cast<int64_t>(values.size()) / rows, rng);
      return;
  }
}

}  // namespace pipe::nn
