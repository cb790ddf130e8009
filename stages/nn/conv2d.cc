#include "stages/nn/conv2d.h"

#include <algorithm>

#include "engine/error.h"
#include "stages/nn/activation.h"
#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

namespace {

class Conv2d : public Layer {
 public:
  explicit Conv2d(const Options& o) {
    filters_ = o.integer("filters");
    if (filters_ < 1) throw ConfigError("filters must be >= 1");
    kernel_ = o.ints("kernel", 2, 3);
    stride_ = o.ints("stride", 2, 1);
    dilation_ = o.ints("dilation", 2, 1);
    for (auto* d : {&kernel_, &stride_, &dilation_})
      for (int64_t v : *d)
        if (v < 1) throw ConfigError("kernel, stride and dilation must be >= 1");
    bias_ = o.boolean("bias", true);
    act_ = Activation::parse(o.text("activation", "linear"));
    kernel_init_ = parse_init(o.text("kernel_initializer", "glorot_uniform"));
    bias_init_ = parse_init(o.text("bias_initializer", "zeros"));
    if (o.has("padding")) {
      const auto& p = o.raw("padding");
      if (p.is_string()) {
        padding_ = p.get<std::string>();
        if (padding_ != "same" && padding_ != "valid")
          throw ConfigError("unknown padding " + p.dump())
              .hint("allowed: valid, same, an integer, [ph, pw] or [top, bottom, left, right]");
      } else if (p.is_array() && p.size() == 4) {
        Dims v = o.ints("padding", 4, 0);
        explicit_pad_ = {v[0], v[2], v[1], v[3]};
        padding_ = "explicit";
      } else {
        Dims v = o.ints("padding", 2, 0);
        explicit_pad_ = {v[0], v[1], v[0], v[1]};
        padding_ = "explicit";
      }
    }
  }

  Dims configure(const Dims& in) override {
    if (in.size() != 3)
      throw ConfigError("conv2d expects 4-D input (batch, channels, height, width), got " + shape_str(in))
          .hint("add reshape: [channels, height, width]");
    channels_ = in[0];
    Dims out{filters_, 0, 0};
    geometry_ = {};
    geometry_.stride = stride_;
    geometry_.dilation = dilation_;
    for (int i = 0; i < 2; ++i) {
      const int64_t size = in[1 + i];
      const int64_t span = (kernel_[i] - 1) * dilation_[i] + 1;
      int64_t lo = 0, hi = 0;
      if (padding_ == "same") {
        const int64_t o = (size + stride_[i] - 1) / stride_[i];
        const int64_t total = std::max<int64_t>((o - 1) * stride_[i] + span - size, 0);
        lo = total / 2;
        hi = total - lo;
      } else if (padding_ == "explicit") {
        lo = explicit_pad_[i];
        hi = explicit_pad_[2 + i];
      }
      if (size + lo + hi < span)
        throw ConfigError("conv2d kernel " + shape_str(kernel_) + " does not fit the input " + shape_str(in))
            .hint("use padding: same or a smaller kernel");
      out[1 + i] = (size + lo + hi - span) / stride_[i] + 1;
      geometry_.pad_l[i] = lo;
      geometry_.pad_r[i] = hi;
    }
    return out;
  }

  void create_params() override {
    const Dims w{filters_, channels_, kernel_[0], kernel_[1]};
    const double area = static_cast<double>(kernel_[0] * kernel_[1]);
    add_param(eng_, "weight", w, dnn::plain(w), {kernel_init_, channels_ * area, filters_ * area}, true);
    if (bias_) add_param(eng_, "bias", {filters_}, dnn::plain({filters_}), {bias_init_, 1, 1}, false);
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

  int64_t filters_ = 0, channels_ = 0;
  Dims kernel_, stride_, dilation_, explicit_pad_;
  std::string padding_ = "valid";
  bool bias_ = true;
  Activation act_;
  InitKind kernel_init_ = InitKind::kGlorotUniform, bias_init_ = InitKind::kZeros;
  dnn::ConvGeometry geometry_;
};

class Conv2dRun : public LayerRun {
 public:
  Conv2dRun(Conv2d& layer, Plan& plan, const Tensor& in) : layer_(layer) {
    const auto& eng = plan.engine();
    const int64_t n = plan.n();
    const Dims src_dims = with_batch(n, layer.in_shape);
    const Dims dst_dims = with_batch(n, {layer.out_shape});
    const Dims w_dims{layer.filters_, layer.channels_, layer.kernel_[0], layer.kernel_[1]};
    dnnl::primitive_attr attr;
    if (layer.act_.fusable()) attr = dnn::eltwise_attr(layer.act_.forward_alg(), layer.act_.alpha, 0);
    const auto bias_md = layer.bias_ ? dnn::plain({layer.filters_}) : dnn::md();
    const auto arriving = in.mem.get_desc();
    pd_ = dnn::conv_forward(eng, plan.has_backward(), dnn::any(src_dims), dnn::any(w_dims), bias_md,
                            dnn::any(dst_dims), layer.geometry_, attr,
                            dnn::dims_of(arriving) == src_dims ? arriving : dnn::md());
    src_ = plan.convert(Plan::kForward, in.mem, pd_.src_desc());
    auto& params = layer.params();
    const auto w = layer.param_as(plan, params[0], pd_.weights_desc());
    dst_ = plan.alloc(pd_.dst_desc());
    Plan::Args args{{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst_}};
    if (layer.bias_) args[DNNL_ARG_BIAS] = layer.param_as(plan, params[1], pd_.bias_desc());
    plan.add(Plan::kForward, dnnl::convolution_forward(pd_), std::move(args));
    const Tensor conv_out{dst_, layer.out_shape};
    if (layer.act_.kind != Activation::kNone) {
      act_ = activation_run(plan, conv_out, layer.act_, layer.act_.fusable());
      out = act_->out;
    } else {
      out = conv_out;
    }
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    const auto& eng = plan.engine();
    Conv2d& l = layer_;
    const dnnl::memory d = act_ && !skip_act_ ? act_->backward(plan, diff, true) : diff;
    auto& params = l.params();
    const Dims w_dims = dnn::dims_of(pd_.weights_desc());
    const Dims dst_dims = dnn::dims_of(pd_.dst_desc());
    if (l.weight_grads(plan)) {
      auto pd = dnn::conv_backward_weights(eng, pd_.src_desc(), dnn::any(w_dims),
                                           l.bias_ ? dnn::any({l.filters_}) : dnn::md(), dnn::any(dst_dims),
                                           l.geometry_, pd_);
      const auto diff_dst = plan.convert(Plan::kBackward, d, pd.diff_dst_desc());
      const auto gw = l.grad_buffer(plan, params[0], pd.diff_weights_desc());
      Plan::Args args{{DNNL_ARG_SRC, src_}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, gw}};
      dnnl::memory gb;
      if (l.bias_) args[DNNL_ARG_DIFF_BIAS] = gb = l.grad_buffer(plan, params[1], pd.diff_bias_desc());
      plan.add(Plan::kBackward, dnnl::convolution_backward_weights(pd), std::move(args));
      l.finish_grad(plan, params[0], gw);
      if (l.bias_) l.finish_grad(plan, params[1], gb);
    }
    if (!need_input_grad) return {};
    auto pd = dnn::conv_backward_data(eng, dnn::any(dnn::dims_of(pd_.src_desc())), dnn::any(w_dims),
                                      dnn::any(dst_dims), l.geometry_, pd_);
    const auto diff_dst = plan.convert(Plan::kBackward, d, pd.diff_dst_desc());
    const auto w = plan.convert(Plan::kBackward, params[0].value, pd.weights_desc());
    const auto diff_src = plan.alloc(pd.diff_src_desc());
    plan.add(Plan::kBackward, dnnl::convolution_backward_data(pd),
             {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, diff_src}});
    return diff_src;
  }

  const Activation* foldable_activation() const override {
    return act_ && layer_.act_.fusable() ? &layer_.act_ : nullptr;
  }
  void skip_activation_backward() override { skip_act_ = true; }

 private:
  Conv2d& layer_;
  dnnl::convolution_forward::primitive_desc pd_;
  dnnl::memory src_, dst_;
  std::unique_ptr<LayerRun> act_;
  bool skip_act_ = false;
};

std::unique_ptr<LayerRun> Conv2d::forward(Plan& plan, const Tensor& in) {
  return std::make_unique<Conv2dRun>(*this, plan, in);
}

}  // namespace

LayerSpec conv2d_layer() {
  return {"conv2d",
          {"conv"},
          "filters",
          {"filters", "kernel", "stride", "padding", "dilation", "bias", "activation", "kernel_initializer",
           "bias_initializer"},
          [](const Options& o) { return std::make_unique<Conv2d>(o); }};
}

}  // namespace pipe::nn
