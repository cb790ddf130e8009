#include "stages/nn/tensor.h"

namespace pipe::nn {

int64_t product(const Dims& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

std::string shape_str(const Dims& dims) {
  std::string out;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) out += "x";
    out += std::to_string(dims[i]);
  }
  return out;
}

Dims with_batch(int64_t n, const Dims& shape) {
  Dims out{n};
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

}  // namespace pipe::nn
