#include "stages/nn/activation.h"

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

using dnnl::algorithm;

namespace {

struct Named {
  const char* name;
  Activation::Kind kind;
  float alpha;
};
const Named kActivations[] = {
    {"linear", Activation::kNone, 0},
    {"relu", Activation::kRelu, 0},
    {"leaky_relu", Activation::kLeakyRelu, 0.2f},
    {"elu", Activation::kElu, 1.0f},
    {"tanh", Activation::kTanh, 0},
    {"sigmoid", Activation::kSigmoid, 0},
    {"gelu", Activation::kGelu, 0},
    {"softmax", Activation::kSoftmax, 0},
};

// Softmax's axis in {n} + shape: channels for C×H×W, the last axis otherwise.
int softmax_axis(const Dims& shape) { return shape.size() == 3 ? 1 : static_cast<int>(shape.size()); }

class ActivationRun : public LayerRun {
 public:
  ActivationRun(Plan& plan, const Tensor& in, const Activation& act, bool fused) : act_(act), in_(in) {
    const auto& eng = plan.engine();
    const bool training = plan.has_backward();
    if (act.kind == Activation::kNone) {
      out = in;
      return;
    }
    if (act.kind == Activation::kSoftmax) {
      const auto src = plan.plain(Plan::kForward, in);
      const auto md = src.get_desc();
      const int axis = softmax_axis(in.shape);
      softmax_pd_ = dnn::softmax_forward(eng, training, md, axis);
      out = {plan.alloc(md), in.shape};
      plan.add(Plan::kForward, dnnl::softmax_forward(softmax_pd_),
               {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out.mem}});
      return;
    }
    const auto md = in.mem.get_desc();
    const algorithm bwd_alg = act.backward_alg();
    // The forward pd uses the backward's algorithm: oneDNN pairs them.
    eltwise_pd_ = dnn::eltwise_forward(eng, training, bwd_alg, md, act.alpha, 0.0f);
    if (fused) {
      out = in;
      return;
    }
    out = {plan.alloc(md), in.shape};
    plan.add(Plan::kForward, dnnl::eltwise_forward(eltwise_pd_),
             {{DNNL_ARG_SRC, in.mem}, {DNNL_ARG_DST, out.mem}});
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    if (!need_input_grad) return {};
    if (act_.kind == Activation::kNone) return diff;
    const auto& eng = plan.engine();
    const auto md = out.mem.get_desc();
    const auto diff_dst = plan.convert(Plan::kBackward, diff, md);
    dnnl::memory diff_src = plan.alloc(md);
    if (act_.kind == Activation::kSoftmax) {
      auto pd = dnn::softmax_backward(eng, md, md, softmax_axis(in_.shape), softmax_pd_);
      plan.add(Plan::kBackward, dnnl::softmax_backward(pd),
               {{DNNL_ARG_DST, out.mem}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_SRC, diff_src}});
      return diff_src;
    }
    const algorithm alg = act_.backward_alg();
    auto pd = dnn::eltwise_backward(eng, alg, md, md, act_.alpha, 0.0f, eltwise_pd_);
    const bool from_dst = act_.fusable();
    plan.add(Plan::kBackward, dnnl::eltwise_backward(pd),
             {{from_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, from_dst ? out.mem : in_.mem},
              {DNNL_ARG_DIFF_DST, diff_dst},
              {DNNL_ARG_DIFF_SRC, diff_src}});
    return diff_src;
  }

 private:
  Activation act_;
  Tensor in_;
  dnnl::eltwise_forward::primitive_desc eltwise_pd_;
  dnnl::softmax_forward::primitive_desc softmax_pd_;
};

class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(Activation act) : act_(act) {}
  Dims configure(const Dims& in) override { return in; }
  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override {
    return activation_run(plan, in, act_, false);
  }
  std::string output_activation() const override { return act_.probability_name(); }
  void drop_output_activation() override { act_.drop_if_probability(); }

 private:
  Activation act_;
};

LayerSpec fixed(const std::string& name) {
  return {name, {}, "", {}, [name](const Options&) {
            return std::make_unique<ActivationLayer>(Activation::parse(name));
          }};
}

LayerSpec with_alpha(const std::string& name) {
  return {name, {}, "alpha", {"alpha"}, [name](const Options& o) {
            Activation act = Activation::parse(name);
            act.alpha = static_cast<float>(o.number("alpha", act.alpha));
            if (act.alpha < 0) throw ConfigError("alpha must be >= 0");
            return std::make_unique<ActivationLayer>(act);
          }};
}

}  // namespace

Activation Activation::parse(const std::string& name) {
  for (const Named& n : kActivations)
    if (name == n.name) return Activation{n.kind, n.alpha};
  throw ConfigError("unknown activation '" + name + "'").hint("allowed: " + names());
}

std::string Activation::names() {
  std::string out;
  for (const Named& n : kActivations) out += std::string(out.empty() ? "" : ", ") + n.name;
  return out;
}

std::string Activation::name() const {
  for (const Named& n : kActivations)
    if (kind == n.kind) return n.name;
  return "linear";
}

std::string Activation::probability_name() const {
  return kind == kSoftmax || kind == kSigmoid ? name() : "";
}

bool Activation::fusable() const {
  return kind == kRelu || kind == kLeakyRelu || kind == kElu || kind == kTanh || kind == kSigmoid;
}

algorithm Activation::forward_alg() const {
  switch (kind) {
    case kRelu:
    case kLeakyRelu:
      return algorithm::eltwise_relu;
    case kElu:
      return algorithm::eltwise_elu;
    case kTanh:
      return algorithm::eltwise_tanh;
    case kSigmoid:
      return algorithm::eltwise_logistic;
    case kGelu:
      return algorithm::eltwise_gelu_erf;
    default:
      return algorithm::undef;
  }
}

algorithm Activation::backward_alg() const {
  switch (kind) {
    case kRelu:
    case kLeakyRelu:
      return algorithm::eltwise_relu_use_dst_for_bwd;
    case kElu:
      return algorithm::eltwise_elu_use_dst_for_bwd;
    case kTanh:
      return algorithm::eltwise_tanh_use_dst_for_bwd;
    case kSigmoid:
      return algorithm::eltwise_logistic_use_dst_for_bwd;
    default:
      return forward_alg();
  }
}

std::unique_ptr<LayerRun> activation_run(Plan& plan, const Tensor& in, const Activation& act, bool fused) {
  return std::make_unique<ActivationRun>(plan, in, act, fused);
}

LayerSpec relu_layer() { return fixed("relu"); }
LayerSpec leaky_relu_layer() { return with_alpha("leaky_relu"); }
LayerSpec elu_layer() { return with_alpha("elu"); }
LayerSpec tanh_layer() { return fixed("tanh"); }
LayerSpec sigmoid_layer() { return fixed("sigmoid"); }
LayerSpec gelu_layer() { return fixed("gelu"); }
LayerSpec softmax_layer() { return fixed("softmax"); }

LayerSpec activation_layer() {
  return {"activation", {}, "function", {"function", "alpha"}, [](const Options& o) {
            Activation act = Activation::parse(o.text("function", "linear"));
            act.alpha = static_cast<float>(o.number("alpha", act.alpha));
            return std::make_unique<ActivationLayer>(act);
          }};
}

}  // namespace pipe::nn
