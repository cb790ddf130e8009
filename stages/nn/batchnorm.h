// batchnorm: batch normalization over the channels of C×H×W input or the
// features of a vector (oneDNN batch_normalization).
//
// YAML: `batchnorm` (also batch_norm, batch_normalization), keys:
//   momentum: 0.99    running = momentum * running + (1 - momentum) * batch   (Keras's convention)
//   eps: 0.001
// Training normalizes with the batch's mean and (biased) variance and updates the
// running statistics; inference, Grad-CAM and a frozen layer use the running ones.
// Parameters: weight (gamma) [C], bias (beta) [C]; running_mean [C] and
// running_var [C] are saved but not trained.
#pragma once

#include "stages/nn/layer.h"

namespace pipe::nn {

LayerSpec batchnorm_layer();

}  // namespace pipe::nn
