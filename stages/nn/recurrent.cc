#include "stages/nn/recurrent.h"

#include <cstring>

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

namespace {

using dnn::Cell;
using dnnl::memory;
using tag = dnnl::memory::format_tag;

class Recurrent : public Layer {
 public:
  Recurrent(const Options& o, Cell cell, const char* type) : cell_(cell), type_name_(type) {
    units_ = o.integer("units");
    if (units_ < 1) throw ConfigError("units must be >= 1");
    return_sequences_ = o.boolean("return_sequences", false);
    kernel_init_ = parse_init(o.text("kernel_initializer", "glorot_uniform"));
    recurrent_init_ = parse_init(o.text("recurrent_initializer", "orthogonal"));
    bias_init_ = parse_init(o.text("bias_initializer", "zeros"));
    const std::string act = o.text("activation", "tanh");
    if (act == "tanh")
      activation_ = dnnl::algorithm::eltwise_tanh;
    else if (act == "relu")
      activation_ = dnnl::algorithm::eltwise_relu;
    else if (act == "sigmoid")
      activation_ = dnnl::algorithm::eltwise_logistic;
    else
      throw ConfigError("unknown activation '" + act + "'").hint("allowed: tanh, relu, sigmoid");
    gates_ = cell == Cell::kVanilla ? 1 : cell == Cell::kLstm ? 4 : 3;
  }

  Dims configure(const Dims& in) override {
    if (in.size() == 3) {
      steps_ = in[1];
      features_ = in[0] * in[2];
    } else if (in.size() == 2) {
      steps_ = in[0];
      features_ = in[1];
    } else {
      throw ConfigError(type_name_ +
                        " expects a sequence (steps x features) or an image "
                        "(channels x height x width), got " +
                        shape_str(in))
          .hint("add reshape: [steps, features]");
    }
    if (return_sequences_) return {steps_, units_};
    return {units_};
  }

  void create_params() override {
    const int64_t gu = gates_ * units_;
    auto weights = [&](const char* name, int64_t in, InitKind kind) {
      Param& p = add_param(eng_, name, {gu, in}, dnn::plain({gu, in}),
                           {kind, static_cast<double>(in), static_cast<double>(gu)}, true);
      // oneDNN's ldigo layout, fixed for good.
      const auto md = dnn::tagged({1, 1, in, gates_, units_}, tag::ldigo);
      p.value = memory(md, eng_);
      p.grad = memory(md, eng_);
      std::memset(p.grad.get_data_handle(), 0, md.get_size());
      p.layout_fixed = true;
    };
    weights("weight_ih", features_, kernel_init_);
    weights("weight_hh", units_, recurrent_init_);
    add_param(eng_, "bias_ih", {gu}, dnn::plain({gu}), {bias_init_}, false).layout_fixed = true;
    add_param(eng_, "bias_hh", {gu}, dnn::plain({gu}), {bias_init_}, false).layout_fixed = true;
  }

  void post_init() override {
    if (cell_ != Cell::kLstm) return;
    float* b = static_cast<float*>(params_[2].value.get_data_handle());
    for (int64_t u = 0; u < units_; ++u) b[units_ + u] += 1.0f;  // forget gate
  }

  // The PyTorch gate of oneDNN's gate g.
  int64_t torch_gate(int64_t g) const {
    if (cell_ == Cell::kGru) return g == 0 ? 1 : g == 1 ? 0 : 2;  // u=z, r, o=n
    return g;  // vanilla: one gate; lstm: i, f, c~=g, o in both
  }

  void export_param(const Param& p, const float* internal, float* torch) const override {
    if (p.name.rfind("weight", 0) != 0) return Layer::export_param(p, internal, torch);
    const int64_t in = p.torch_shape[1];
    for (int64_t i = 0; i < in; ++i)
      for (int64_t g = 0; g < gates_; ++g)
        for (int64_t u = 0; u < units_; ++u)
          torch[(torch_gate(g) * units_ + u) * in + i] = internal[(i * gates_ + g) * units_ + u];
  }

  void import_param(const Param& p, const float* torch, float* internal) const override {
    if (p.name.rfind("weight", 0) != 0) return Layer::import_param(p, torch, internal);
    const int64_t in = p.torch_shape[1];
    for (int64_t i = 0; i < in; ++i)
      for (int64_t g = 0; g < gates_; ++g)
        for (int64_t u = 0; u < units_; ++u)
          internal[(i * gates_ + g) * units_ + u] = torch[(torch_gate(g) * units_ + u) * in + i];
  }

  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override;

  Cell cell_;
  std::string type_name_;
  int64_t units_ = 0, gates_ = 1, steps_ = 0, features_ = 0;
  bool return_sequences_ = false;
  dnnl::algorithm activation_;
  InitKind kernel_init_, recurrent_init_, bias_init_;
};

// A sequence activation {n, T, F} stored time-major (T, n, F), as the RNN primitives
// want it.
memory::desc time_major(int64_t n, int64_t t, int64_t f) { return dnn::strided({n, t, f}, {f, n * f, 1}); }

class RecurrentRun : public LayerRun {
 public:
  RecurrentRun(Recurrent& layer, Plan& plan, const Tensor& in) : layer_(layer) {
    const int64_t n = plan.n(), T = layer.steps_, F = layer.features_, U = layer.units_;
    const int64_t G = layer.gates_;
    const int64_t bias_gates = layer.cell_ == Cell::kGru ? 4 : G;
    image_input_ = layer.in_shape.size() == 3;
    // Input → (T, n, F).
    if (image_input_) {
      const int64_t C = layer.in_shape[0], H = layer.in_shape[1], W = layer.in_shape[2];
      const auto x = plan.plain(Plan::kForward, in);
      const auto rows = plan.view(x, dnn::strided({H, n, C, W}, {W, C * H * W, H * W, 1}));
      const auto seq = plan.alloc(dnn::plain({H, n, C, W}));
      plan.add(Plan::kForward, dnn::reorder(rows, seq), {{DNNL_ARG_FROM, rows}, {DNNL_ARG_TO, seq}});
      src_layer_ = plan.view(seq, dnn::tagged({T, n, F}, tag::tnc));
    } else {
      const auto seq = plan.convert(Plan::kForward, in.mem, time_major(n, T, F));
      src_layer_ = plan.view(seq, dnn::tagged({T, n, F}, tag::tnc));
    }
    dnn::RnnDescs f;
    f.src_layer = src_layer_.get_desc();
    f.weights_layer = layer.params()[0].value.get_desc();
    f.weights_iter = layer.params()[1].value.get_desc();
    f.bias = dnn::tagged({1, 1, bias_gates, U}, tag::ldgo);
    f.dst_layer = dnn::tagged({T, n, U}, tag::tnc);
    // An explicit zero initial state: oneDNN 2.6's reference backward reads garbage for
    // the initial state's weight gradient when src_iter is left out.
    f.src_iter = dnn::tagged({1, 1, n, U}, tag::ldnc);
    if (layer.cell_ == Cell::kLstm) f.src_iter_c = f.src_iter;
    if (!layer.return_sequences_) {
      f.dst_iter = dnn::tagged({1, 1, n, U}, tag::ldnc);
      if (layer.cell_ == Cell::kLstm) f.dst_iter_c = f.dst_iter;
    }
    dnn::RnnDescs b = f;  // gradients in the same layouts
    prims_ = dnn::rnn(plan.engine(), layer.cell_, layer.activation_, plan.has_backward(), plan.has_backward(),
                      f, b);
    descs_ = f;

    // oneDNN's bias from bias_ih + bias_hh, before each forward.
    bias_ = plan.alloc(f.bias);
    {
      const float* bih = static_cast<const float*>(layer.params()[2].value.get_data_handle());
      const float* bhh = static_cast<const float*>(layer.params()[3].value.get_data_handle());
      float* bias = static_cast<float*>(bias_.get_data_handle());
      const bool gru = layer.cell_ == Cell::kGru;
      Recurrent* l = &layer;
      plan.add(Plan::kForward, [=]() {
        for (int64_t g = 0; g < G; ++g) {
          const int64_t tg = l->torch_gate(g) * U;
          for (int64_t u = 0; u < U; ++u)
            bias[g * U + u] = (gru && g == 2) ? bih[tg + u] : bih[tg + u] + bhh[tg + u];
        }
        if (gru)
          for (int64_t u = 0; u < U; ++u) bias[3 * U + u] = bhh[2 * U + u];
      });
    }

    dst_layer_ = plan.alloc(f.dst_layer);
    Plan::Args args{{DNNL_ARG_SRC_LAYER, src_layer_},
                    {DNNL_ARG_SRC_ITER, plan.alloc(f.src_iter)},
                    {DNNL_ARG_WEIGHTS_LAYER, layer.params()[0].value},
                    {DNNL_ARG_WEIGHTS_ITER, layer.params()[1].value},
                    {DNNL_ARG_BIAS, bias_},
                    {DNNL_ARG_DST_LAYER, dst_layer_}};
    if (layer.cell_ == Cell::kLstm) args[DNNL_ARG_SRC_ITER_C] = plan.alloc(f.src_iter_c);
    if (!layer.return_sequences_) {
      dst_iter_ = plan.alloc(f.dst_iter);
      args[DNNL_ARG_DST_ITER] = dst_iter_;
      if (layer.cell_ == Cell::kLstm) args[DNNL_ARG_DST_ITER_C] = dst_iter_c_ = plan.alloc(f.dst_iter_c);
    }
    if (plan.has_backward()) {
      workspace_ = plan.alloc(prims_.forward_pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WORKSPACE));
      args[DNNL_ARG_WORKSPACE] = workspace_;
    }
    forward_args_ = args;
    plan.add(Plan::kForward, prims_.forward, std::move(args));

    if (layer.return_sequences_)
      out = {plan.view(dst_layer_, time_major(n, T, U)), layer.out_shape};
    else
      out = {plan.view(dst_iter_, dnn::plain({n, U})), layer.out_shape};
  }

  dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) override {
    Recurrent& l = layer_;
    const int64_t n = plan.n(), T = l.steps_, F = l.features_, U = l.units_, G = l.gates_;
    auto& params = l.params();
    const bool weights = l.weight_grads(plan);
    Plan::Args args = forward_args_;
    const auto bwd_md = [&](int arg) { return prims_.backward_pd.query_md(dnnl::query::exec_arg_md, arg); };
    args[DNNL_ARG_WEIGHTS_LAYER] =
        plan.convert(Plan::kBackward, params[0].value, bwd_md(DNNL_ARG_WEIGHTS_LAYER));
    args[DNNL_ARG_WEIGHTS_ITER] =
        plan.convert(Plan::kBackward, params[1].value, bwd_md(DNNL_ARG_WEIGHTS_ITER));
    // Gradients w.r.t. the outputs: the unused one stays zero.
    if (l.return_sequences_) {
      const auto d = plan.convert(Plan::kBackward, diff, time_major(n, T, U));
      args[DNNL_ARG_DIFF_DST_LAYER] = plan.view(d, descs_.dst_layer);
    } else {
      args[DNNL_ARG_DIFF_DST_LAYER] = plan.alloc(descs_.dst_layer);
      const auto d = plan.convert(Plan::kBackward, diff, dnn::plain({n, U}));
      args[DNNL_ARG_DIFF_DST_ITER] = plan.view(d, descs_.dst_iter);
      if (l.cell_ == Cell::kLstm) args[DNNL_ARG_DIFF_DST_ITER_C] = plan.alloc(descs_.dst_iter_c);
    }
    const auto diff_src_layer = plan.alloc(descs_.src_layer);
    args[DNNL_ARG_DIFF_SRC_LAYER] = diff_src_layer;
    args[DNNL_ARG_DIFF_SRC_ITER] = plan.alloc(descs_.src_iter);
    if (l.cell_ == Cell::kLstm) args[DNNL_ARG_DIFF_SRC_ITER_C] = plan.alloc(descs_.src_iter_c);
    // oneDNN adds into the weight gradients: zero them first.
    const auto gw_layer = weights ? l.grad_target(plan, params[0]) : plan.alloc(descs_.weights_layer);
    const auto gw_iter = weights ? l.grad_target(plan, params[1]) : plan.alloc(descs_.weights_iter);
    const auto gbias = plan.alloc(descs_.bias);
    args[DNNL_ARG_DIFF_WEIGHTS_LAYER] = gw_layer;
    args[DNNL_ARG_DIFF_WEIGHTS_ITER] = gw_iter;
    args[DNNL_ARG_DIFF_BIAS] = gbias;
    plan.add(Plan::kBackward, [=]() {
      for (const auto& m : {gw_layer, gw_iter, gbias})
        std::memset(m.get_data_handle(), 0, m.get_desc().get_size());
    });
    plan.add(Plan::kBackward, prims_.backward, std::move(args));
    if (weights) {
      const float* gb = static_cast<const float*>(gbias.get_data_handle());
      float* gih = static_cast<float*>(l.grad_target(plan, params[2]).get_data_handle());
      float* ghh = static_cast<float*>(l.grad_target(plan, params[3]).get_data_handle());
      const bool gru = l.cell_ == Cell::kGru;
      Recurrent* lp = &l;
      plan.add(Plan::kBackward, [=]() {
        for (int64_t g = 0; g < G; ++g) {
          const int64_t tg = lp->torch_gate(g) * U;
          for (int64_t u = 0; u < U; ++u) {
            gih[tg + u] = gb[g * U + u];
            ghh[tg + u] = (gru && g == 2) ? gb[3 * U + u] : gb[g * U + u];
          }
        }
      });
    }
    if (!need_input_grad) return {};
    if (!image_input_) return plan.view(diff_src_layer, time_major(n, T, F));
    // (H, n, C, W) back to n×C×H×W.
    const int64_t C = l.in_shape[0], H = l.in_shape[1], W = l.in_shape[2];
    const auto rows = plan.view(diff_src_layer, dnn::plain({H, n, C, W}));
    const auto image = plan.alloc(dnn::plain({n, C, H, W}));
    const auto image_rows = plan.view(image, dnn::strided({H, n, C, W}, {W, C * H * W, H * W, 1}));
    plan.add(Plan::kBackward, dnn::reorder(rows, image_rows),
             {{DNNL_ARG_FROM, rows}, {DNNL_ARG_TO, image_rows}});
    return image;
  }

 private:
  Recurrent& layer_;
  bool image_input_ = false;
  dnn::RnnPrimitives prims_;
  dnn::RnnDescs descs_;
  Plan::Args forward_args_;
  dnnl::memory src_layer_, bias_, dst_layer_, dst_iter_, dst_iter_c_, workspace_;
};

std::unique_ptr<LayerRun> Recurrent::forward(Plan& plan, const Tensor& in) {
  return std::make_unique<RecurrentRun>(*this, plan, in);
}

const std::vector<std::string> kKeys{"units", "return_sequences", "kernel_initializer",
                                     "recurrent_initializer", "bias_initializer"};

}  // namespace

LayerSpec simple_rnn_layer() {
  auto keys = kKeys;
  keys.push_back("activation");
  return {"simple_rnn", {"rnn"}, "units", keys, [](const Options& o) {
            return std::make_unique<Recurrent>(o, Cell::kVanilla, "simple_rnn");
          }};
}

LayerSpec lstm_layer() {
  return {"lstm", {}, "units", kKeys, [](const Options& o) {
            return std::make_unique<Recurrent>(o, Cell::kLstm, "lstm");
          }};
}

LayerSpec gru_layer() {
  return {"gru", {}, "units", kKeys, [](const Options& o) {
            return std::make_unique<Recurrent>(o, Cell::kGru, "gru");
          }};
}

}  // namespace pipe::nn
