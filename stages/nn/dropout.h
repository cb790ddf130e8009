// dropout: zeroes a random fraction of the values while training and scales the
// rest by 1 / (1 - rate); passes values through in inference.
//
// YAML: `dropout: 0.2` or `dropout: { rate: 0.2 }`; rate in [0, 1).
// The mask of value i at training step t is a hash of (net seed, layer name, t, the
// micro-batch's first sample, i): reproducible for a seed, the same with any thread
// count (the net cuts batches into micro-batches whatever the thread count), and
// resumed exactly from a checkpoint (which stores t).
#pragma once

#include "stages/nn/layer.h"

namespace pipe::nn {

LayerSpec dropout_layer();

}  // namespace pipe::nn
