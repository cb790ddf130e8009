// conv2d: a 2-D convolution over C×H×W input (oneDNN convolution, direct).
//
// YAML (`conv2d` or `conv`; `conv: 32` sets filters):
//   filters: 32                  output channels (required)
//   kernel: 3 | [3, 5]           default 3
//   stride: 1 | [sh, sw]         default 1
//   padding: valid | same | p | [ph, pw] | [top, bottom, left, right]
//                                default valid; same = TensorFlow's (extra row/column at the end)
//   dilation: 1 | [dh, dw]       default 1
//   bias: true                   default true
//   activation: relu             any activation (activation.h); default linear
//   kernel_initializer: glorot_uniform   bias_initializer: zeros   (init.h)
// Parameters: weight [filters, C, kh, kw] (PyTorch's OIHW), bias [filters].
#pragma once

#include "stages/nn/layer.h"

namespace pipe::nn {

LayerSpec conv2d_layer();

}  // namespace pipe::nn
