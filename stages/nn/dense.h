// dense: a fully connected layer over feature vectors (oneDNN inner product).
//
// YAML (`dense`; `dense: 64` sets units):
//   units: 64                    outputs (required)
//   activation: relu             any activation (activation.h); default linear
//   bias: true                   default true
//   kernel_initializer: glorot_uniform   bias_initializer: zeros   (init.h)
// Input: a feature vector (add flatten after images and sequences).
// Parameters: weight [units, in] (PyTorch's Linear), bias [units].
#pragma once

#include "stages/nn/layer.h"

namespace pipe::nn {

LayerSpec dense_layer();

}  // namespace pipe::nn
