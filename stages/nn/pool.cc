#include "stages/nn/pool.h"

#include <algorithm>

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

namespace {

class Pool : public Layer {
 public:
  Pool(const Options& o, bool max) : max_(max) {
    size_ = o.ints("size", 2, 2);
    stride_ = o.has("stride") ? o.ints("stride", 2, 1) : size_;
    for (auto* d : {&size_, &stride_})
      for (int64_t v : *d)
        if (v < 1) throw ConfigError("size and stride must be >= 1");
    padding_ = o.text("padding", "valid");
    if (padding_ != "valid" && padding_ != "same")
      throw ConfigError("unknown padding '" + padding_ + "'").hint("allowed: valid, same");
  }

  Dims configure(const Dims& in) override {
    const char* what = max_ ? "maxpool" : "avgpool";
    if (in.size() != 3)
      throw ConfigError(std::string(what) +
                        " expects 4-D input (batch, channels, height, width), got " + shape_str(in))
          .hint("add reshape: [channels, height, width]");
    geometry_.kernel = size_;
    geometry_.stride = stride_;
    Dims out{in[0], 0, 0};
    for (int i = 0; i < 2; ++i) {
      const int64_t size = in[1 + i];
      int64_t lo = 0, hi = 0, o = 0;
      if (padding_ == "same") {
        o = (size + stride_[i] - 1) / stride_[i];
        const int64_t total = std::max<int64_t>((o - 1) * stride_[i] + size_[i] - size, 0);
        lo = total / 2;
        hi = total - lo;
      } else {
        if (size < size_[i])
          throw ConfigError(std::string(what) + " window " + shape_str(size_) +
                            " does not fit the input " + shape_str(in))
              .hint("use padding: same or a smaller size");
        o = (size - size_[i]) / stride_[i] + 1;
      }
      out[1 + i] = o;
      geometry_.pad_l[i] = lo;
      geometry_.pad_r[i] = hi;
    }
    return out;
  }

  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override;

  bool max_;
  Dims size_, stride_;
  std::string padding_;
  dnn::PoolGeometry geometry_;
};

class PoolRun : public LayerRun {
 public:
  PoolRun(Pool& layer, Plan& plan, const Tensor& in) : layer_(layer) {
    const int64_t n = plan.n();
    alg_ = layer.max_ ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
    // Pooling takes its input's layout.
    const Dims src_dims = with_batch(n, layer.in_shape);
    auto src_md = in.mem.get_desc();
    if (dnn::dims_of(src_md) != src_dims) src_md = dnn::plain(src_dims);
    const auto src = plan.convert(Plan::kForward, in.mem, src_md);
    pd_ = dnn::pool_forward(plan.engine(), plan.has_backward(), alg_, src_md,
                            dnn::any(with_batch(n, layer.out_shape)), layer.geometry_);
    const auto dst = plan.alloc(pd_.dst_desc());
    Plan::Args args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
    if (layer.max_ && plan.has_backward()) {
      workspace_ = plan.alloc(pd_.workspace_desc());
      args[DNNL_ARG_WORKSPACE] = workspace_;
    }
    plan.add(Plan::kForward, dnnl::pooling_v2_forward(pd_), std::move(args));
    out = {dst, layer.out_shape};
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    if (!need_input_grad) return {};
    auto pd = dnn::pool_backward(plan.engine(), alg_, dnn::any(dnn::dims_of(pd_.src_desc())),
                                 pd_.dst_desc(), layer_.geometry_, pd_);
    const auto diff_dst = plan.convert(Plan::kBackward, diff, pd.diff_dst_desc());
    const auto diff_src = plan.alloc(pd.diff_src_desc());
    Plan::Args args{{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_SRC, diff_src}};
    if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
    plan.add(Plan::kBackward, dnnl::pooling_v2_backward(pd), std::move(args));
    return diff_src;
  }

 private:
  Pool& layer_;
  dnnl::algorithm alg_;
  dnnl::pooling_v2_forward::primitive_desc pd_;
  dnnl::memory workspace_;
};

std::unique_ptr<LayerRun> Pool::forward(Plan& plan, const Tensor& in) {
  return std::make_unique<PoolRun>(*this, plan, in);
}

}  // namespace

LayerSpec maxpool_layer() {
  return {"maxpool", {"max_pool", "maxpool2d"}, "size", {"size", "stride", "padding"},
          [](const Options& o) { return std::make_unique<Pool>(o, true); }};
}

LayerSpec avgpool_layer() {
  return {"avgpool", {"avg_pool", "avgpool2d"}, "size", {"size", "stride", "padding"},
          [](const Options& o) { return std::make_unique<Pool>(o, false); }};
}

}  // namespace pipe::nn
