#include "stages/nn/weighted.h"

#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

WeightedLayer::WeightedLayer(const Options& o) {
  bias_ = o.boolean("bias", true);
  act_ = Activation::parse(o.text("activation", "linear"));
  kernel_init_ = parse_init(o.text("kernel_initializer", "glorot_uniform"));
  bias_init_ = parse_init(o.text("bias_initializer", "zeros"));
}

std::string WeightedLayer::output_activation() const { return act_.probability_name(); }

void WeightedLayer::drop_output_activation() { act_.drop_if_probability(); }

void WeightedLayer::add_weight_and_bias(const Dims& w, double fan_in, double fan_out) {
  add_param(eng_, "weight", w, dnn::plain(w), {kernel_init_, fan_in, fan_out}, true);
  if (bias_) add_param(eng_, "bias", {w[0]}, dnn::plain({w[0]}), {bias_init_, 1, 1}, false);
}

std::vector<std::string> weighted_keys() { return {"bias", "activation", "kernel_initializer", "bias_initializer"}; }

dnnl::primitive_attr fused_activation_attr(const Activation& act) {
  return act.fusable() ? dnn::eltwise_attr(act.forward_alg(), act.alpha, 0) : dnnl::primitive_attr();
}

}  // namespace pipe::nn
