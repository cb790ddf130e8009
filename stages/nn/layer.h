// pipe::nn::Layer — one layer of a Net: its options, shape inference,
// parameters, and the steps it adds to a Plan.
//
// Adding a layer: a file pair with a Layer subclass and a LayerSpec function,
// plus one line in registry.cc.  Every layer takes the key `name:`.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "stages/nn/init.h"
#include "stages/nn/plan.h"
#include "stages/nn/tensor.h"

namespace pipe::nn {

// A learnable tensor (or a running statistic) of a layer.
struct Param {
  std::string name;                       // "weight", "bias", "running_mean", ...
  Dims torch_shape;                       // its shape in PyTorch's layout
  dnnl::memory value;                     // in the layout the layer's forward primitive prefers
  dnnl::memory grad;                      // same desc as value; empty when not trainable
  dnnl::memory::desc torch_md;            // PyTorch's layout over value's dims (the default converters)
  bool trainable = true;                  // false: running statistics, updated by the layer itself
  bool decay = false;                     // weight decay applies (kernels, not biases or norms)
  InitSpec init;                          // how init() fills it
  bool layout_fixed = false;              // a plan uses value's layout: it no longer moves
  uint64_t version = 0;                   // changes whenever value changes (copies made from it can tell)
  std::vector<std::vector<float>> state;  // optimizer slots, in value's layout
};

// A layer's options: the map under its name, a scalar shorthand already turned
// into {shorthand_key: value}.  Getters throw ConfigError naming the key.
class Options {
 public:
  explicit Options(nlohmann::json map) : map_(std::move(map)) {}
  bool has(const std::string& key) const { return map_.contains(key); }
  const nlohmann::json& raw(const std::string& key) const { return map_.at(key); }
  int integer(const std::string& key) const;  // required
  int integer(const std::string& key, int fallback) const;
  double number(const std::string& key, double fallback) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::string text(const std::string& key, const std::string& fallback) const;
  // An integer or a list of `count` integers: "kernel: 3" → {3, 3}.
  Dims ints(const std::string& key, size_t count, int64_t fallback) const;

 private:
  nlohmann::json map_;
};

class Layer;
struct Activation;
using LayerFactory = std::function<std::unique_ptr<Layer>(const Options&)>;

struct LayerSpec {
  std::string type;                  // canonical name, used in default layer names
  std::vector<std::string> aliases;  // other names accepted in YAML
  std::string shorthand;             // the key a scalar value sets ("" = no scalar form)
  std::vector<std::string> keys;     // allowed keys besides `name`
  LayerFactory make;
};

// One layer's primitives for one Plan; the backward pass uses what the forward kept.
class LayerRun {
 public:
  virtual ~LayerRun() = default;
  // Appends the backward steps.  diff: the loss gradient w.r.t. out (any desc with
  // out's number of elements).  Returns the gradient w.r.t. the input, or an empty
  // memory when need_input_grad is false.
  virtual dnnl::memory backward(Plan& plan, const dnnl::memory& diff, bool need_input_grad) = 0;

  // Folding a fused activation's backward into a following max pooling (training plans):
  // max pooling commutes with a monotone activation and picks the same element, so the
  // activation's derivative can be taken on the pooled gradient (4x smaller for 2x2)
  // from the pooled values, and the full-size element-wise backward pass disappears.
  // The producer then receives the gradient w.r.t. its pre-activation output.
  virtual const Activation* foldable_activation() const { return nullptr; }
  virtual void skip_activation_backward() {}
  virtual bool fold_activation(const Activation&) { return false; }

  Tensor out;
  dnnl::memory diff_out;  // the gradient backward() received (kept for Grad-CAM)
};

class Layer {
 public:
  virtual ~Layer() = default;

  const std::string& type() const { return type_; }
  const std::string& name() const { return name_; }
  void set_identity(std::string type, std::string name) {
    type_ = std::move(type);
    name_ = std::move(name);
  }

  // Checks the input shape, returns the output shape; throws ConfigError (the
  // net adds which layer).  Called once, before init().
  virtual Dims configure(const Dims& in) = 0;
  // Creates the parameters (create_params) and fills them, seeded per layer and parameter.
  void init(const dnnl::engine& eng, uint64_t seed);
  // Appends the forward steps for plan; the returned run adds the backward ones.
  virtual std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) = 0;

  // The activation applied last ("softmax", "sigmoid", or ""): for the net's last
  // layer the net calls drop_output_activation() and lets the loss apply it.
  virtual std::string output_activation() const { return ""; }
  virtual void drop_output_activation() {}

  std::vector<Param>& params() { return params_; }
  const std::vector<Param>& params() const { return params_; }
  // Param values between the internal layout and PyTorch's.  The defaults reorder
  // between torch_md and value's desc.
  virtual void export_param(const Param& p, const float* internal, float* torch) const;
  virtual void import_param(const Param& p, const float* torch, float* internal) const;

  Dims in_shape, out_shape;
  bool frozen = false;

  // Helpers for layers and their runs.
  // Adds a parameter stored as torch_md until a plan picks its layout.
  Param& add_param(const dnnl::engine& eng, std::string name, Dims torch_shape,
                   const dnnl::memory::desc& torch_md, InitSpec init, bool decay);
  // p.value in the layout `want`: the first call moves the parameter there for
  // good (unless `want` is an opaque layout, like Winograd's); later calls with another
  // layout reorder it before each forward.
  dnnl::memory param_as(Plan& plan, Param& p, const dnnl::memory::desc& want);
  // Where a primitive writes p's gradient when it produces the desc `have`: p.grad (or
  // the plan's own buffer, see Plan::private_grads), or a buffer that finish_grad()
  // reorders into it.
  dnnl::memory grad_buffer(Plan& plan, Param& p, const dnnl::memory::desc& have);
  void finish_grad(Plan& plan, Param& p, const dnnl::memory& buffer);
  // Where host code or a primitive producing p.grad's desc writes p's gradient.
  dnnl::memory grad_target(Plan& plan, Param& p);
  bool weight_grads(const Plan& plan) const { return plan.learning() && !frozen; }

 protected:
  virtual void create_params() {}
  virtual void post_init() {}  // adjusts initial values (LSTM forget-gate bias)

  dnnl::engine eng_;
  uint64_t seed_ = 0;  // this layer's stream, from the net's seed and the layer name
  std::vector<Param> params_;

 private:
  std::string type_, name_;
};

// The registry of every layer: filled by register_layers() in registry.cc.
const std::vector<LayerSpec>& layer_specs();
// The spec for a YAML name or alias; nullptr when unknown.
const LayerSpec* find_layer_spec(const std::string& name);

}  // namespace pipe::nn
