// Activation functions, as layers and as the `activation:` key of conv2d / dense.
//
// YAML (each a layer of its own; also accepted as `activation: <name>` on conv2d
// and dense, and as `activation: <name>` alone):
//   relu | elu | tanh | sigmoid | gelu | softmax | linear
//   leaky_relu                 slope 0.2 (Keras's leaky_relu)
//   leaky_relu: { alpha: 0.1 }   elu: { alpha: 1.0 }
//   activation: relu           the same as `relu`
// gelu is the exact (erf) form.  softmax works over the feature axis: channels
// of C×H×W, features of T×F and F.
// relu, leaky_relu, elu, tanh and sigmoid fuse into a preceding conv2d / dense
// (a oneDNN post-op) and compute their backward from the output.
#pragma once

#include <memory>
#include <string>

#include "stages/nn/layer.h"

namespace pipe::nn {

struct Activation {
  enum Kind { kNone, kRelu, kLeakyRelu, kElu, kTanh, kSigmoid, kGelu, kSoftmax };
  Kind kind = kNone;
  float alpha = 0;  // leaky_relu slope, elu alpha

  // "relu", ...; throws ConfigError listing the names.
  static Activation parse(const std::string& name);
  static std::string names();
  std::string name() const;
  // "softmax" or "sigmoid": this activation turns logits into probabilities, and
  // on a net's last layer the loss takes it over; "" otherwise.
  std::string probability_name() const;
  // Becomes the identity when it is softmax or sigmoid (the loss applies it then).
  void drop_if_probability() {
    if (!probability_name().empty()) *this = Activation{};
  }
  // Fusable as a post-op, backward from the output.
  bool fusable() const;
  dnnl::algorithm forward_alg() const;
  dnnl::algorithm backward_alg() const;  // the *_use_dst_for_bwd form when fusable
};

// The run of an activation on `in`.  fused: a conv/dense already applied it
// (in is then its output); only the backward is added.
std::unique_ptr<LayerRun> activation_run(Plan& plan, const Tensor& in, const Activation& act, bool fused);

LayerSpec relu_layer();
LayerSpec leaky_relu_layer();
LayerSpec elu_layer();
LayerSpec tanh_layer();
LayerSpec sigmoid_layer();
LayerSpec gelu_layer();
LayerSpec softmax_layer();
LayerSpec activation_layer();

}  // namespace pipe::nn
