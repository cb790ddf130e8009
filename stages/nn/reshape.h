// reshape: the same values in row-major order with another per-sample shape.
//
// YAML: `reshape: [1, 28, 28]` or `reshape: { shape: [28, 28] }`; one entry may be
// -1 (inferred).  [T, F] makes a sequence, [C, H, W] an image, [F] a vector.
#pragma once

#include "stages/nn/layer.h"

namespace pipe::nn {

LayerSpec reshape_layer();

}  // namespace pipe::nn
