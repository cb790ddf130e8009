// pipe::nn::Plan — everything one net needs to run one batch size in one mode:
// primitives, memories and argument maps, built once (oneDNN's cnn_training_f32
// pattern) and then only executed.
//
// Layers append their steps while the net builds the plan: forward steps in
// layer order, then backward steps in reverse layer order.  A step is a
// primitive with its arguments or a small host function (loss, dropout masks).
#pragma once

#include <functional>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "stages/nn/tensor.h"

namespace pipe::nn {

struct Param;

enum class Mode {
  kTrain,     // forward_training, batch statistics, dropout on; backward with weight gradients
  kInfer,     // forward_inference, running statistics, dropout off; no backward
  kGradient,  // forward_training primitives with inference behaviour; backward without
              // weight gradients (gradients w.r.t. activations, for Grad-CAM)
};

// An activation between layers.  mem's dims start with the batch; its layout is
// whatever the producing primitive chose, and its rank may differ from shape's + 1
// (flatten is free): reading mem as plain row-major of its own dims gives the
// activation in row-major order of {n} + shape.
struct Tensor {
  dnnl::memory mem;
  Dims shape;
};

// What changes between runs of a plan: the training step and the first sample of the
// micro-batch within the step's batch (dropout masks depend on both).
struct RunState {
  uint64_t step = 0;
  int64_t first_sample = 0;
};

class Plan {
 public:
  enum Phase { kForward, kBackward };
  using Args = std::unordered_map<int, dnnl::memory>;

  Plan(const dnnl::engine& eng, int n, Mode mode);

  const dnnl::engine& engine() const { return eng_; }
  int n() const { return n_; }
  Mode mode() const { return mode_; }
  // forward_training primitives (with a backward pass)
  bool has_backward() const { return mode_ != Mode::kInfer; }
  // batch statistics, dropout on, weight gradients
  bool learning() const { return mode_ == Mode::kTrain; }

  // Set by the net before each run, read by the steps.
  void set_run_state(RunState state) { state_ = state; }
  RunState run_state() const { return state_; }

  // A plan that runs beside others (one per OpenMP thread) writes the weight gradients
  // into buffers of its own, which the net sums; else straight into the parameters'.
  void set_private_grads(bool on) { private_grads_ = on; }
  bool private_grads() const { return private_grads_; }
  void add_grad(Param* p, const dnnl::memory& buffer) { grads_.emplace_back(p, buffer); }
  const std::vector<std::pair<Param*, dnnl::memory>>& grads() const { return grads_; }

  // A new zero-filled buffer owned by the plan.
  dnnl::memory alloc(const dnnl::memory::desc& d);
  // Bytes of the buffers alloc() made and of the scratchpad.
  size_t bytes() const { return allocated_ + scratchpad_size_; }
  // A view of another memory's buffer with a different desc of the same size.
  dnnl::memory view(const dnnl::memory& m, const dnnl::memory::desc& d);

  void add(Phase phase, dnnl::primitive p, Args args);
  void add(Phase phase, std::function<void()> host);
  // A primitive that runs only when `needed()` says so (a weight reorder whose source
  // has not changed since the last run is skipped).
  void add_if(Phase phase, dnnl::primitive p, Args args, std::function<bool()> needed);

  // m as `want`: m itself when the descs match, else a reorder into a new buffer.
  // When the dims differ (same number of elements) m is read as plain row-major.
  dnnl::memory convert(Phase phase, const dnnl::memory& m, const dnnl::memory::desc& want);
  // t as plain row-major {n} + shape.
  dnnl::memory plain(Phase phase, const Tensor& t);

  // Steps added from now on belong to `label` (a layer), for the profile.
  void set_label(std::string label) { label_ = std::move(label); }

  void run_forward(dnnl::stream& s) { run(forward_, s); }
  void run_backward(dnnl::stream& s) { run(backward_, s); }

  // With PIPE_NN_PROFILE=1 in the environment each step's time (CPU time with one thread,
  // else wall time) is summed; the table
  // (label, primitive, milliseconds per run) goes to stderr when the plan is dropped.
  ~Plan();

 private:
  struct Step {
    dnnl::primitive prim;
    Args args;
    std::function<void()> host;
    std::string label;
    std::function<bool()> needed;
    double seconds = 0;
    int64_t runs = 0;
  };
  void run(std::vector<Step>& steps, dnnl::stream& s);
  void attach_scratchpad();

  dnnl::engine eng_;
  int n_;
  Mode mode_;
  RunState state_;
  bool private_grads_ = false;
  std::vector<std::pair<Param*, dnnl::memory>> grads_;
  std::string label_;
  bool profile_ = false;
  std::vector<Step> forward_, backward_;
  std::vector<dnnl::memory> owned_;
  size_t allocated_ = 0;
  size_t scratchpad_size_ = 0;
  std::vector<std::pair<Phase, size_t>> scratchpad_users_;  // steps still without one
  dnnl::memory scratchpad_;
};

}  // namespace pipe::nn
