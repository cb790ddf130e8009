#include "stages/nn/dropout.h"

#include <algorithm>

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"
#include "stages/nn/parallel.h"

namespace pipe::nn {

namespace {

class Dropout : public Layer {
 public:
  explicit Dropout(const Options& o) {
    rate_ = o.number("rate", 0.5);
    if (!(rate_ >= 0 && rate_ < 1)) throw ConfigError("rate must be in [0, 1), got " + std::to_string(rate_));
  }
  Dims configure(const Dims& in) override { return in; }
  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override;
  uint64_t seed() const { return seed_; }
  double rate_;
};

class DropoutRun : public LayerRun {
 public:
  DropoutRun(Dropout& layer, Plan& plan, const Tensor& in) {
    if (!plan.learning() || layer.rate_ == 0) {
      out = in;
      return;
    }
    active_ = true;
    const auto md = in.mem.get_desc();
    out = {plan.alloc(md), in.shape};
    const size_t count = dnn::floats(md);
    mask_.assign(count + 1, 0.0f);  // + 1: the loop below fills pairs
    // keep a value when its 32-bit uniform is >= rate; each hash gives two
    const uint32_t threshold = static_cast<uint32_t>(std::min(layer.rate_ * 0x1.0p32, 0x1.0p32 - 1));
    const float scale = static_cast<float>(1.0 / (1.0 - layer.rate_));
    const float* src = static_cast<const float*>(in.mem.get_data_handle());
    float* dst = static_cast<float*>(out.mem.get_data_handle());
    float* mask = mask_.data();
    const uint64_t seed = layer.seed();
    const Plan* p = &plan;
    plan.add(Plan::kForward, [=]() {
      const RunState state = p->run_state();
      const uint64_t base =
          mix64(seed ^ mix64(state.step ^ mix64(static_cast<uint64_t>(state.first_sample))));
      for_ranges((count + 1) / 2, 32768, [&](size_t begin, size_t end) {
#pragma omp simd
        for (size_t j = begin; j < end; ++j) {
          const uint64_t h = mix64(base + j);
          mask[2 * j] = static_cast<uint32_t>(h) >= threshold ? scale : 0.0f;
          mask[2 * j + 1] = static_cast<uint32_t>(h >> 32) >= threshold ? scale : 0.0f;
        }
      });
      for_ranges(count, 65536, [&](size_t begin, size_t end) {
#pragma omp simd
        for (size_t i = begin; i < end; ++i) dst[i] = src[i] * mask[i];
      });
    });
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    if (!need_input_grad) return {};
    if (!active_) return diff;
    const auto md = out.mem.get_desc();
    const auto diff_dst = plan.convert(Plan::kBackward, diff, md);
    const auto diff_src = plan.alloc(md);
    const float* dd = static_cast<const float*>(diff_dst.get_data_handle());
    float* ds = static_cast<float*>(diff_src.get_data_handle());
    const float* mask = mask_.data();
    const size_t count = mask_.size() - 1;
    plan.add(Plan::kBackward, [=]() {
      for_ranges(count, 65536, [&](size_t begin, size_t end) {
#pragma omp simd
        for (size_t i = begin; i < end; ++i) ds[i] = dd[i] * mask[i];
      });
    });
    return diff_src;
  }

 private:
  bool active_ = false;
  std::vector<float> mask_;
};

std::unique_ptr<LayerRun> Dropout::forward(Plan& plan, const Tensor& in) {
  return std::make_unique<DropoutRun>(*this, plan, in);
}

}  // namespace

LayerSpec dropout_layer() {
  return {"dropout", {}, "rate", {"rate"}, [](const Options& o) { return std::make_unique<Dropout>(o); }};
}

}  // namespace pipe::nn
