// What conv2d and dense share: a weight, an optional bias and an activation on
// the output, around one oneDNN primitive family (convolution_* or
// inner_product_*).  The layers document their YAML keys; these are the
// shared ones (weighted_keys()):
//   bias, activation, kernel_initializer, bias_initializer
// A fusable activation (activation.h) becomes a post-op of the forward
// primitive; the others run as a step of their own after it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "stages/nn/activation.h"
#include "stages/nn/layer.h"

namespace pipe::nn {

class WeightedLayer : public Layer {
 public:
  std::string output_activation() const override;
  void drop_output_activation() override;

  bool bias_ = true;
  Activation act_;
  InitKind kernel_init_ = InitKind::kGlorotUniform, bias_init_ = InitKind::kZeros;

 protected:
  explicit WeightedLayer(const Options& o);  // reads the shared keys
  // Adds "weight" (PyTorch's shape `w`) and, with bias, "bias" [w[0]].
  void add_weight_and_bias(const Dims& w, double fan_in, double fan_out);
};

std::vector<std::string> weighted_keys();

// The forward primitive's attributes: the activation as a post-op when it fuses.
dnnl::primitive_attr fused_activation_attr(const Activation& act);

// A WeightedLayer's steps in one plan (LayerT: the layer class, derived from
// WeightedLayer).  A subclass builds pd_ and calls add_forward(); its
// backward() builds the backward descriptors and calls activation_backward(),
// add_weight_grads() and add_data_grad().
template <class LayerT, class Forward, class BackwardData, class BackwardWeights>
class WeightedRun : public LayerRun {
 public:
  const Activation* foldable_activation() const override {
    return act_ && layer_.act_.fusable() ? &layer_.act_ : nullptr;
  }
  void skip_activation_backward() override { skip_act_ = true; }

 protected:
  explicit WeightedRun(LayerT& layer) : layer_(layer) {}

  // Appends the forward primitive of pd_ on `in`, then the activation; sets out.
  void add_forward(Plan& plan, const dnnl::memory& in) {
    src_ = plan.convert(Plan::kForward, in, pd_.src_desc());
    auto& params = layer_.params();
    dst_ = plan.alloc(pd_.dst_desc());
    Plan::Args args{{DNNL_ARG_SRC, src_},
                    {DNNL_ARG_WEIGHTS, layer_.param_as(plan, params[0], pd_.weights_desc())},
                    {DNNL_ARG_DST, dst_}};
    if (layer_.bias_) args[DNNL_ARG_BIAS] = layer_.param_as(plan, params[1], pd_.bias_desc());
    plan.add(Plan::kForward, Forward(pd_), std::move(args));
    const Tensor raw{dst_, layer_.out_shape};
    if (layer_.act_.kind == Activation::kNone) {
      out = raw;
    } else {
      act_ = activation_run(plan, raw, layer_.act_, layer_.act_.fusable());
      out = act_->out;
    }
  }

  // The gradient w.r.t. the primitive's output (before the activation).
  dnnl::memory activation_backward(Plan& plan, const dnnl::memory& diff) {
    return act_ && !skip_act_ ? act_->backward(plan, diff, true) : diff;
  }

  // Appends the weight (and bias) gradient of `diff`, the pre-activation gradient.
  void add_weight_grads(Plan& plan, const typename BackwardWeights::primitive_desc& pd, const dnnl::memory& diff) {
    auto& params = layer_.params();
    const auto gw = layer_.grad_buffer(plan, params[0], pd.diff_weights_desc());
    Plan::Args args{{DNNL_ARG_SRC, src_},
                    {DNNL_ARG_DIFF_DST, plan.convert(Plan::kBackward, diff, pd.diff_dst_desc())},
                    {DNNL_ARG_DIFF_WEIGHTS, gw}};
    dnnl::memory gb;
    if (layer_.bias_) args[DNNL_ARG_DIFF_BIAS] = gb = layer_.grad_buffer(plan, params[1], pd.diff_bias_desc());
    plan.add(Plan::kBackward, BackwardWeights(pd), std::move(args));
    layer_.finish_grad(plan, params[0], gw);
    if (layer_.bias_) layer_.finish_grad(plan, params[1], gb);
  }

  // Appends the input gradient of `diff`, the pre-activation gradient; returns it.
  dnnl::memory add_data_grad(Plan& plan, const typename BackwardData::primitive_desc& pd, const dnnl::memory& diff) {
    const auto diff_src = plan.alloc(pd.diff_src_desc());
    plan.add(Plan::kBackward, BackwardData(pd),
             {{DNNL_ARG_DIFF_DST, plan.convert(Plan::kBackward, diff, pd.diff_dst_desc())},
              {DNNL_ARG_WEIGHTS, plan.convert(Plan::kBackward, layer_.params()[0].value, pd.weights_desc())},
              {DNNL_ARG_DIFF_SRC, diff_src}});
    return diff_src;
  }

  LayerT& layer_;
  typename Forward::primitive_desc pd_;
  dnnl::memory src_, dst_;

 private:
  std::unique_ptr<LayerRun> act_;
  bool skip_act_ = false;
};

}  // namespace pipe::nn
