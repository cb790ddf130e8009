#include "stages/nn/flatten.h"

#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

namespace {

// The input in plain row-major order, seen with the output's dims; the gradient
// goes back the same way (Plan::convert reads it as plain row-major).
class ReshapeRun : public LayerRun {
 public:
  ReshapeRun(Plan& plan, const Tensor& in, const Dims& out_shape) {
    const auto flat = plan.plain(Plan::kForward, in);
    out = {plan.view(flat, dnn::plain(with_batch(plan.n(), out_shape))), out_shape};
  }
  dnnl::memory backward(Plan&, const dnnl::memory& diff, bool need_input_grad) override {
    return need_input_grad ? diff : dnnl::memory();
  }
};

class Flatten : public Layer {
 public:
  Dims configure(const Dims& in) override { return {product(in)}; }
  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override {
    return std::make_unique<ReshapeRun>(plan, in, out_shape);
  }
};

}  // namespace

std::unique_ptr<LayerRun> reshape_run(Plan& plan, const Tensor& in, const Dims& out_shape) {
  return std::make_unique<ReshapeRun>(plan, in, out_shape);
}

LayerSpec flatten_layer() {
  return {"flatten", {}, "", {}, [](const Options&) { return std::make_unique<Flatten>(); }};
}

}  // namespace pipe::nn
