// global_avgpool: the mean of each channel of C×H×W input, giving C features.
//
// YAML: `global_avgpool` (also global_avg_pool, global_average_pooling); no keys.
#pragma once

#include "stages/nn/layer.h"

namespace pipe::nn {

LayerSpec global_avgpool_layer();

}  // namespace pipe::nn
