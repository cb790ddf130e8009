#include "stages/nn/global_avgpool.h"

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

namespace {

class GlobalAvgPool : public Layer {
 public:
  Dims configure(const Dims& in) override {
    if (in.size() != 3)
      throw ConfigError("global_avgpool expects 4-D input (batch, channels, height, width), got " +
                        shape_str(in));
    geometry_.kernel = {in[1], in[2]};
    geometry_.stride = {1, 1};
    return {in[0]};
  }
  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override;
  dnn::PoolGeometry geometry_;
};

class GlobalAvgPoolRun : public LayerRun {
 public:
  GlobalAvgPoolRun(GlobalAvgPool& layer, Plan& plan, const Tensor& in) : layer_(layer) {
    const int64_t n = plan.n();
    const Dims src_dims = with_batch(n, layer.in_shape);
    auto src_md = in.mem.get_desc();
    if (dnn::dims_of(src_md) != src_dims) src_md = dnn::plain(src_dims);
    const auto src = plan.convert(Plan::kForward, in.mem, src_md);
    pd_ = dnn::pool_forward(plan.engine(), plan.has_backward(), dnnl::algorithm::pooling_avg_exclude_padding,
                            src_md, dnn::any({n, layer.out_shape[0], 1, 1}), layer.geometry_);
    const auto dst = plan.alloc(pd_.dst_desc());
    plan.add(Plan::kForward, dnnl::pooling_v2_forward(pd_), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    out = {dst, layer.out_shape};  // n×C×1×1 seen as n×C
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    if (!need_input_grad) return {};
    auto pd =
        dnn::pool_backward(plan.engine(), dnnl::algorithm::pooling_avg_exclude_padding,
                           dnn::any(dnn::dims_of(pd_.src_desc())), pd_.dst_desc(), layer_.geometry_, pd_);
    const auto diff_dst = plan.convert(Plan::kBackward, diff, pd.diff_dst_desc());
    const auto diff_src = plan.alloc(pd.diff_src_desc());
    plan.add(Plan::kBackward, dnnl::pooling_v2_backward(pd),
             {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_SRC, diff_src}});
    return diff_src;
  }

 private:
  GlobalAvgPool& layer_;
  dnnl::pooling_v2_forward::primitive_desc pd_;
};

std::unique_ptr<LayerRun> GlobalAvgPool::forward(Plan& plan, const Tensor& in) {
  return std::make_unique<GlobalAvgPoolRun>(*this, plan, in);
}

}  // namespace

LayerSpec global_avgpool_layer() {
  return {"global_avgpool", {"global_avg_pool", "global_average_pooling"}, "", {}, [](const Options&) {
            return std::make_unique<GlobalAvgPool>();
          }};
}

}  // namespace pipe::nn
