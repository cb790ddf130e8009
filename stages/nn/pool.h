// maxpool, avgpool: 2-D pooling over C×H×W input (oneDNN pooling).
//
// YAML (`maxpool` / `max_pool`, `avgpool` / `avg_pool`; `maxpool: 2` sets size):
//   size: 2 | [ph, pw]           window, default 2
//   stride: s | [sh, sw]         default: the window size
//   padding: valid | same        default valid; same = TensorFlow's
// Average pooling leaves padding out of the mean.  Max pooling on oneDNN's usual
// activation layouts runs a vectorized loop of its own (pool.cc says why), else
// oneDNN's pooling with its forward_training workspace.
#pragma once

#include "stages/nn/layer.h"

namespace pipe::nn {

LayerSpec maxpool_layer();
LayerSpec avgpool_layer();

}  // namespace pipe::nn
