#include "stages/nn/dense.h"

#include "engine/error.h"
#include "stages/nn/activation.h"
#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

namespace {

class Dense : public Layer {
 public:
  explicit Dense(const Options& o) {
    units_ = o.integer("units");
    if (units_ < 1) throw ConfigError("units must be >= 1");
    bias_ = o.boolean("bias", true);
    act_ = Activation::parse(o.text("activation", "linear"));
    kernel_init_ = parse_init(o.text("kernel_initializer", "glorot_uniform"));
    bias_init_ = parse_init(o.text("bias_initializer", "zeros"));
  }

  Dims configure(const Dims& in) override {
    if (in.size() != 1) throw ConfigError("dense expects 2-D input, got " + shape_str(in) + "; add flatten");
    inputs_ = in[0];
    return {units_};
  }

  void create_params() override {
    const Dims w{units_, inputs_};
    add_param(eng_, "weight", w, dnn::plain(w),
              {kernel_init_, static_cast<double>(inputs_), static_cast<double>(units_)}, true);
    if (bias_) add_param(eng_, "bias", {units_}, dnn::plain({units_}), {bias_init_, 1, 1}, false);
  }

  std::string output_activation() const override {
    if (act_.kind == Activation::kSoftmax) return "softmax";
    if (act_.kind == Activation::kSigmoid) return "sigmoid";
    return "";
  }
  void drop_output_activation() override {
    if (!output_activation().empty()) act_ = Activation{};
  }

  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override;

  int64_t units_ = 0, inputs_ = 0;
  bool bias_ = true;
  Activation act_;
  InitKind kernel_init_ = InitKind::kGlorotUniform, bias_init_ = InitKind::kZeros;
};

class DenseRun : public LayerRun {
 public:
  DenseRun(Dense& layer, Plan& plan, const Tensor& in) : layer_(layer) {
    const auto& eng = plan.engine();
    const int64_t n = plan.n();
    dnnl::primitive_attr attr;
    if (layer.act_.fusable()) attr = dnn::eltwise_attr(layer.act_.forward_alg(), layer.act_.alpha, 0);
    const auto bias_md = layer.bias_ ? dnn::plain({layer.units_}) : dnn::md();
    pd_ = dnn::dense_forward(eng, plan.has_backward(), dnn::any({n, layer.inputs_}),
                             dnn::any({layer.units_, layer.inputs_}), bias_md, dnn::plain({n, layer.units_}),
                             attr);
    src_ = plan.convert(Plan::kForward, in.mem, pd_.src_desc());
    auto& params = layer.params();
    const auto w = layer.param_as(plan, params[0], pd_.weights_desc());
    const auto dst = plan.alloc(pd_.dst_desc());
    Plan::Args args{{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
    if (layer.bias_) args[DNNL_ARG_BIAS] = layer.param_as(plan, params[1], pd_.bias_desc());
    plan.add(Plan::kForward, dnnl::inner_product_forward(pd_), std::move(args));
    const Tensor ip_out{dst, layer.out_shape};
    if (layer.act_.kind != Activation::kNone) {
      act_ = activation_run(plan, ip_out, layer.act_, layer.act_.fusable());
      out = act_->out;
    } else {
      out = ip_out;
    }
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    const auto& eng = plan.engine();
    Dense& l = layer_;
    const dnnl::memory d = act_ && !skip_act_ ? act_->backward(plan, diff, true) : diff;
    auto& params = l.params();
    const Dims w_dims{l.units_, l.inputs_};
    const Dims dst_dims = dnn::dims_of(pd_.dst_desc());
    if (l.weight_grads(plan)) {
      auto pd = dnn::dense_backward_weights(eng, pd_.src_desc(), dnn::any(w_dims),
                                            l.bias_ ? dnn::any({l.units_}) : dnn::md(), pd_.dst_desc(), pd_);
      const auto diff_dst = plan.convert(Plan::kBackward, d, pd.diff_dst_desc());
      const auto gw = l.grad_buffer(plan, params[0], pd.diff_weights_desc());
      Plan::Args args{{DNNL_ARG_SRC, src_}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, gw}};
      dnnl::memory gb;
      if (l.bias_) args[DNNL_ARG_DIFF_BIAS] = gb = l.grad_buffer(plan, params[1], pd.diff_bias_desc());
      plan.add(Plan::kBackward, dnnl::inner_product_backward_weights(pd), std::move(args));
      l.finish_grad(plan, params[0], gw);
      if (l.bias_) l.finish_grad(plan, params[1], gb);
    }
    if (!need_input_grad) return {};
    auto pd = dnn::dense_backward_data(eng, dnn::any(dnn::dims_of(pd_.src_desc())), dnn::any(w_dims),
                                       pd_.dst_desc(), pd_);
    const auto diff_dst = plan.convert(Plan::kBackward, d, pd.diff_dst_desc());
    const auto w = plan.convert(Plan::kBackward, params[0].value, pd.weights_desc());
    const auto diff_src = plan.alloc(pd.diff_src_desc());
    plan.add(Plan::kBackward, dnnl::inner_product_backward_data(pd),
             {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, diff_src}});
    return diff_src;
  }

  const Activation* foldable_activation() const override {
    return act_ && layer_.act_.fusable() ? &layer_.act_ : nullptr;
  }
  void skip_activation_backward() override { skip_act_ = true; }

 private:
  Dense& layer_;
  dnnl::inner_product_forward::primitive_desc pd_;
  dnnl::memory src_;
  std::unique_ptr<LayerRun> act_;
  bool skip_act_ = false;
};

std::unique_ptr<LayerRun> Dense::forward(Plan& plan, const Tensor& in) {
  return std::make_unique<DenseRun>(*this, plan, in);
}

}  // namespace

LayerSpec dense_layer() {
  return {"dense",
          {},
          "units",
          {"units", "activation", "bias", "kernel_initializer", "bias_initializer"},
          [](const Options& o) { return std::make_unique<Dense>(o); }};
}

}  // namespace pipe::nn
