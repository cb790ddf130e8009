#include "stages/nn/dense.h"

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"
#include "stages/nn/weighted.h"

namespace pipe::nn {

namespace {

class Dense : public WeightedLayer {
 public:
  explicit Dense(const Options& o) : WeightedLayer(o) {
    units_ = o.integer("units");
    if (units_ < 1) throw ConfigError("units must be >= 1");
  }

  Dims configure(const Dims& in) override {
    if (in.size() != 1) throw ConfigError("dense expects 2-D input, got " + shape_str(in) + "; add flatten");
    inputs_ = in[0];
    return {units_};
  }

  void create_params() override {
    add_weight_and_bias({units_, inputs_}, static_cast<double>(inputs_), static_cast<double>(units_));
  }

  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override;

  int64_t units_ = 0, inputs_ = 0;
};

class DenseRun : public WeightedRun<Dense, dnnl::inner_product_forward, dnnl::inner_product_backward_data,
                                    dnnl::inner_product_backward_weights> {
 public:
  DenseRun(Dense& layer, Plan& plan, const Tensor& in) : WeightedRun(layer) {
    const int64_t n = plan.n();
    pd_ = dnn::dense_forward(plan.engine(), plan.has_backward(), dnn::any({n, layer.inputs_}),
                             dnn::any({layer.units_, layer.inputs_}),
                             layer.bias_ ? dnn::plain({layer.units_}) : dnn::md(), dnn::plain({n, layer.units_}),
                             fused_activation_attr(layer.act_));
    add_forward(plan, in.mem);
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    const auto& eng = plan.engine();
    const Dense& l = layer_;
    const dnnl::memory d = activation_backward(plan, diff);
    const Dims w_dims{l.units_, l.inputs_};
    if (l.weight_grads(plan))
      add_weight_grads(plan,
                       dnn::dense_backward_weights(eng, pd_.src_desc(), dnn::any(w_dims),
                                                   l.bias_ ? dnn::any({l.units_}) : dnn::md(), pd_.dst_desc(), pd_),
                       d);
    if (!need_input_grad) return {};
    return add_data_grad(
        plan, dnn::dense_backward_data(eng, dnn::any(dnn::dims_of(pd_.src_desc())), dnn::any(w_dims), pd_.dst_desc(), pd_),
        d);
  }
};

std::unique_ptr<LayerRun> Dense::forward(Plan& plan, const Tensor& in) {
  return std::make_unique<DenseRun>(*this, plan, in);
}

}  // namespace

LayerSpec dense_layer() {
  std::vector<std::string> keys = weighted_keys();
  keys.insert(keys.begin(), "units");
  return {"dense", {}, "units", keys, [](const Options& o) { return std::make_unique<Dense>(o); }};
}

}  // namespace pipe::nn
