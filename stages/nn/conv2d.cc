#include "stages/nn/conv2d.h"

#include <algorithm>

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"
#include "stages/nn/weighted.h"

namespace pipe::nn {

namespace {

class Conv2d : public WeightedLayer {
 public:
  explicit Conv2d(const Options& o) : WeightedLayer(o) {
    filters_ = o.integer("filters");
    if (filters_ < 1) throw ConfigError("filters must be >= 1");
    kernel_ = o.ints("kernel", 2, 3);
    stride_ = o.ints("stride", 2, 1);
    dilation_ = o.ints("dilation", 2, 1);
    for (auto* d : {&kernel_, &stride_, &dilation_})
      for (int64_t v : *d)
        if (v < 1) throw ConfigError("kernel, stride and dilation must be >= 1");
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
    const double area = static_cast<double>(kernel_[0] * kernel_[1]);
    add_weight_and_bias({filters_, channels_, kernel_[0], kernel_[1]}, channels_ * area, filters_ * area);
  }

  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override;

  int64_t filters_ = 0, channels_ = 0;
  Dims kernel_, stride_, dilation_, explicit_pad_;
  std::string padding_ = "valid";
  dnn::ConvGeometry geometry_;
};

class Conv2dRun : public WeightedRun<Conv2d, dnnl::convolution_forward, dnnl::convolution_backward_data,
                                     dnnl::convolution_backward_weights> {
 public:
  Conv2dRun(Conv2d& layer, Plan& plan, const Tensor& in) : WeightedRun(layer) {
    const int64_t n = plan.n();
    const Dims src_dims = with_batch(n, layer.in_shape);
    const Dims w_dims{layer.filters_, layer.channels_, layer.kernel_[0], layer.kernel_[1]};
    const auto arriving = in.mem.get_desc();
    pd_ = dnn::conv_forward(plan.engine(), plan.has_backward(), dnn::any(src_dims), dnn::any(w_dims),
                            layer.bias_ ? dnn::plain({layer.filters_}) : dnn::md(),
                            dnn::any(with_batch(n, {layer.out_shape})), layer.geometry_,
                            fused_activation_attr(layer.act_),
                            dnn::dims_of(arriving) == src_dims ? arriving : dnn::md());
    add_forward(plan, in.mem);
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    const auto& eng = plan.engine();
    const Conv2d& l = layer_;
    const dnnl::memory d = activation_backward(plan, diff);
    const Dims w_dims = dnn::dims_of(pd_.weights_desc());
    const Dims dst_dims = dnn::dims_of(pd_.dst_desc());
    if (l.weight_grads(plan))
      add_weight_grads(plan,
                       dnn::conv_backward_weights(eng, pd_.src_desc(), dnn::any(w_dims),
                                                  l.bias_ ? dnn::any({l.filters_}) : dnn::md(), dnn::any(dst_dims),
                                                  l.geometry_, pd_),
                       d);
    if (!need_input_grad) return {};
    return add_data_grad(plan,
                         dnn::conv_backward_data(eng, dnn::any(dnn::dims_of(pd_.src_desc())), dnn::any(w_dims),
                                                 dnn::any(dst_dims), l.geometry_, pd_),
                         d);
  }
};

std::unique_ptr<LayerRun> Conv2d::forward(Plan& plan, const Tensor& in) {
  return std::make_unique<Conv2dRun>(*this, plan, in);
}

std::vector<std::string> conv2d_keys() {
  std::vector<std::string> keys{"filters", "kernel", "stride", "padding", "dilation"};
  for (auto& k : weighted_keys()) keys.push_back(k);
  return keys;
}

}  // namespace

LayerSpec conv2d_layer() {
  return {"conv2d",
          {"conv"},
          "filters",
          conv2d_keys(),
          [](const Options& o) { return std::make_unique<Conv2d>(o); }};
}

}  // namespace pipe::nn
