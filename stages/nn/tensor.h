// Per-sample shapes of the activations that flow between layers.
//
// A shape leaves out the batch: {C, H, W} for images, {T, F} for sequences
// (T steps of F features), {F} for feature vectors.  The memory behind an
// activation always has the batch as its first dimension; its physical layout
// may be a oneDNN blocked one (see plan.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pipe::nn {

using Dims = std::vector<int64_t>;

int64_t product(const Dims& dims);
// "64x7x7"; "" for an empty shape.
std::string shape_str(const Dims& dims);
// {n} followed by the shape.
Dims with_batch(int64_t n, const Dims& shape);

}  // namespace pipe::nn
