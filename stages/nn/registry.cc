// The layer registry: every layer kind, listed once.  Adding a layer is one line here.
#include "stages/nn/activation.h"
#include "stages/nn/batchnorm.h"
#include "stages/nn/conv2d.h"
#include "stages/nn/dense.h"
#include "stages/nn/dropout.h"
#include "stages/nn/flatten.h"
#include "stages/nn/global_avgpool.h"
#include "stages/nn/layer.h"
#include "stages/nn/pool.h"
#include "stages/nn/recurrent.h"
#include "stages/nn/reshape.h"

namespace pipe::nn {

namespace {

std::vector<LayerSpec> register_layers() {
  return {
      conv2d_layer(),     maxpool_layer(),    avgpool_layer(),    global_avgpool_layer(), dense_layer(),
      flatten_layer(),    reshape_layer(),    dropout_layer(),    batchnorm_layer(),      relu_layer(),
      leaky_relu_layer(), elu_layer(),        tanh_layer(),       sigmoid_layer(),        gelu_layer(),
      softmax_layer(),    activation_layer(), simple_rnn_layer(), lstm_layer(),           gru_layer(),
  };
}

}  // namespace

const std::vector<LayerSpec>& layer_specs() {
  static const std::vector<LayerSpec> specs = register_layers();
  return specs;
}

const LayerSpec* find_layer_spec(const std::string& name) {
  for (const LayerSpec& spec : layer_specs()) {
    if (spec.type == name) return &spec;
    for (const auto& alias : spec.aliases)
      if (alias == name) return &spec;
  }
  return nullptr;
}

}  // namespace pipe::nn
