// pipe::nn::Plan — everything one net needs to run one batch size in one mode:
// primitives, memories and argument maps, built once (oneDNN's cnn_training_f32
// pattern) and then only executed.
//
// Layers append their steps while the net builds the plan: forward steps in
// layer order, then backward steps in reverse layer order.  A step is a
// primitive with its arguments or a small host function (loss, dropout masks).
#pragma once

#include <functional>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "stages/nn/tensor.h"

namespace pipe::nn {

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

class Plan {
 public:
  enum Phase { kForward, kBackward };
  using Args = std::unordered_map<int, dnnl::memory>;

  Plan(const dnnl::engine& eng, int n, Mode mode) : eng_(eng), n_(n), mode_(mode) {}

  const dnnl::engine& engine() const { return eng_; }
  int n() const { return n_; }
  Mode mode() const { return mode_; }
  // forward_training primitives (with a backward pass)
  bool has_backward() const { return mode_ != Mode::kInfer; }
  // batch statistics, dropout on, weight gradients
  bool learning() const { return mode_ == Mode::kTrain; }

  // The net's count of training steps, read when a step runs (dropout masks).
  void set_step_counter(const uint64_t* counter) { counter_ = counter; }
  uint64_t step_counter() const { return counter_ ? *counter_ : 0; }

  // A new zero-filled buffer owned by the plan.
  dnnl::memory alloc(const dnnl::memory::desc& d);
  // A view of another memory's buffer with a different desc of the same size.
  dnnl::memory view(const dnnl::memory& m, const dnnl::memory::desc& d);

  void add(Phase phase, dnnl::primitive p, Args args);
  void add(Phase phase, std::function<void()> host);

  // m as `want`: m itself when the descs match, else a reorder into a new buffer.
  // When the dims differ (same number of elements) m is read as plain row-major.
  dnnl::memory convert(Phase phase, const dnnl::memory& m, const dnnl::memory::desc& want);
  // t as plain row-major {n} + shape.
  dnnl::memory plain(Phase phase, const Tensor& t);

  void run_forward(dnnl::stream& s) { run(forward_, s); }
  void run_backward(dnnl::stream& s) { run(backward_, s); }

 private:
  struct Step {
    dnnl::primitive prim;
    Args args;
    std::function<void()> host;
  };
  static void run(std::vector<Step>& steps, dnnl::stream& s);

  dnnl::engine eng_;
  int n_;
  Mode mode_;
  const uint64_t* counter_ = nullptr;
  std::vector<Step> forward_, backward_;
  std::vector<dnnl::memory> owned_;
};

}  // namespace pipe::nn
