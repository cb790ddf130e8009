// flatten: any input to a feature vector, in row-major (C, H, W) order like
// PyTorch's nn.Flatten.  YAML: `flatten`; no keys.
#pragma once

#include "stages/nn/layer.h"

namespace pipe::nn {

LayerSpec flatten_layer();

// The input seen with another shape of the same size (flatten, reshape).
std::unique_ptr<LayerRun> reshape_run(Plan& plan, const Tensor& in, const Dims& out_shape);

}  // namespace pipe::nn
