#include "stages/nn/batchnorm.h"

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

namespace {

using dnnl::normalization_flags;

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(const Options& o) {
    momentum_ = o.number("momentum", 0.99);
    eps_ = o.number("eps", 1e-3);
    if (!(momentum_ >= 0 && momentum_ <= 1)) throw ConfigError("momentum must be in [0, 1]");
    if (!(eps_ > 0)) throw ConfigError("eps must be > 0");
  }

  Dims configure(const Dims& in) override {
    if (in.size() != 3 && in.size() != 1)
      throw ConfigError("batchnorm expects images (C x H x W) or feature vectors, got " + shape_str(in));
    channels_ = in[0];
    return in;
  }

  void create_params() override {
    const Dims c{channels_};
    add_param(eng_, "weight", c, dnn::plain(c), {InitKind::kOnes}, false);
    add_param(eng_, "bias", c, dnn::plain(c), {InitKind::kZeros}, false);
    add_param(eng_, "running_mean", c, dnn::plain(c), {InitKind::kZeros}, false).trainable = false;
    add_param(eng_, "running_var", c, dnn::plain(c), {InitKind::kOnes}, false).trainable = false;
  }

  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override;

  int64_t channels_ = 0;
  double momentum_, eps_;
};

class BatchNormRun : public LayerRun {
 public:
  BatchNormRun(BatchNorm& layer, Plan& plan, const Tensor& in) : layer_(layer) {
    const Dims dims = with_batch(plan.n(), layer.in_shape);
    auto md = in.mem.get_desc();
    if (dnn::dims_of(md) != dims) md = dnn::plain(dims);
    src_ = plan.convert(Plan::kForward, in.mem, md);
    batch_stats_ = plan.learning() && !layer.frozen;
    flags_ = normalization_flags::use_scale | normalization_flags::use_shift;
    if (!batch_stats_) flags_ = flags_ | normalization_flags::use_global_stats;
    const float eps = static_cast<float>(layer.eps_);
    pd_ = dnn::batchnorm_forward(plan.engine(), plan.has_backward(), md, eps, flags_);
    auto& params = layer.params();
    const auto dst = plan.alloc(md);
    Plan::Args args{{DNNL_ARG_SRC, src_},
                    {DNNL_ARG_DST, dst},
                    {DNNL_ARG_SCALE, params[0].value},
                    {DNNL_ARG_SHIFT, params[1].value}};
    if (batch_stats_) {
      mean_ = plan.alloc(pd_.mean_desc());
      var_ = plan.alloc(pd_.variance_desc());
    } else {
      mean_ = params[2].value;
      var_ = params[3].value;
    }
    args[DNNL_ARG_MEAN] = mean_;
    args[DNNL_ARG_VARIANCE] = var_;
    plan.add(Plan::kForward, dnnl::batch_normalization_forward(pd_), std::move(args));
    if (batch_stats_) {
      const float m = static_cast<float>(layer.momentum_);
      const int64_t c = layer.channels_;
      const float* mean = static_cast<const float*>(mean_.get_data_handle());
      const float* var = static_cast<const float*>(var_.get_data_handle());
      float* run_mean = static_cast<float*>(params[2].value.get_data_handle());
      float* run_var = static_cast<float*>(params[3].value.get_data_handle());
      plan.add(Plan::kForward, [=]() {
        for (int64_t i = 0; i < c; ++i) {
          run_mean[i] = m * run_mean[i] + (1 - m) * mean[i];
          run_var[i] = m * run_var[i] + (1 - m) * var[i];
        }
      });
    }
    out = {dst, layer.out_shape};
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    const bool weights = layer_.weight_grads(plan);
    if (!need_input_grad && !weights) return {};
    const auto md = out.mem.get_desc();
    auto pd =
        dnn::batchnorm_backward(plan.engine(), weights, md, md, static_cast<float>(layer_.eps_), flags_, pd_);
    auto& params = layer_.params();
    const auto diff_dst = plan.convert(Plan::kBackward, diff, md);
    const auto diff_src = plan.alloc(md);
    Plan::Args args{{DNNL_ARG_SRC, src_},
                    {DNNL_ARG_MEAN, mean_},
                    {DNNL_ARG_VARIANCE, var_},
                    {DNNL_ARG_DIFF_DST, diff_dst},
                    {DNNL_ARG_SCALE, params[0].value},
                    {DNNL_ARG_SHIFT, params[1].value},
                    {DNNL_ARG_DIFF_SRC, diff_src}};
    if (weights) {
      args[DNNL_ARG_DIFF_SCALE] = layer_.grad_target(plan, params[0]);
      args[DNNL_ARG_DIFF_SHIFT] = layer_.grad_target(plan, params[1]);
    }
    plan.add(Plan::kBackward, dnnl::batch_normalization_backward(pd), std::move(args));
    return need_input_grad ? diff_src : dnnl::memory();
  }

 private:
  BatchNorm& layer_;
  dnnl::batch_normalization_forward::primitive_desc pd_;
  normalization_flags flags_;
  bool batch_stats_ = false;
  dnnl::memory src_, mean_, var_;
};

std::unique_ptr<LayerRun> BatchNorm::forward(Plan& plan, const Tensor& in) {
  return std::make_unique<BatchNormRun>(*this, plan, in);
}

}  // namespace

LayerSpec batchnorm_layer() {
  return {"batchnorm", {"batch_norm", "batch_normalization"}, "", {"momentum", "eps"}, [](const Options& o) {
            return std::make_unique<BatchNorm>(o);
          }};
}

}  // namespace pipe::nn
