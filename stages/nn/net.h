// pipe::nn::Net — a sequential stack of layers on oneDNN, built from a
// Keras-like layer list, with its loss, optimizer and checkpoints.
//
// Model YAML (the parsed `layers:` list is what build() takes):
//   layers:
//     - conv: { filters: 32, kernel: 3, padding: same, activation: elu }
//     - maxpool: 2
//     - flatten
//     - dense: { units: 6, activation: softmax }
// An item is a layer name (a string) or a one-key map {name: options}; the options
// are a map or a scalar shorthand (maxpool: 2, dropout: 0.2, dense: 64 ...).  Each
// layer's header documents its keys; every layer also takes `name:`.  Default layer
// names are `<type>_<k>` (conv2d_1, dense_2), k counting layers of that type.
// A softmax activation on the last layer means "these are logits": the loss works on
// them with log-softmax, predict() returns softmax probabilities.  Likewise sigmoid
// with binary cross-entropy.  The last layer must output `classes` values.
//
// Execution follows oneDNN's cnn_training_f32 example: for each batch size and mode
// (train, inference) every primitive and memory is built once, on first use, and a
// step only executes them (the last few batch sizes per mode stay cached; memory does
// not grow from step to step).  Primitives choose their layouts; reorders happen at the
// edges (input, flatten, a weight layout a second batch size prefers).  On top:
//   - micro-batches: a batch runs in passes whose activations fit the cache, gradients
//     summed over them (set_micro_batch; batchnorm in training keeps batches whole);
//   - threads: a batch is cut into 4 equal chunks (fewer, of 8 samples or more, when
//     it has fewer than 32), each chunk into passes; each OpenMP thread takes whole
//     chunks and runs them through plans of its own whose primitives are made for one thread (one
//     synchronization per batch).  Each chunk sums its passes' gradients in order, and
//     the chunks' sums are added in chunk order.  The cut depends on the model and the
//     batch size only, never on the thread count, and no primitive splits its work
//     among threads, so training and inference give the same bytes with any number of
//     threads.  The price: a batch that runs in one pass (batchnorm in training,
//     set_micro_batch(-1), fewer than 16 samples) uses one thread, and more than 4
//     threads do not help;
//   - a conv2d/dense activation followed by max pooling has its derivative taken on the
//     pooled gradient (training), so layer_output_grad of such a layer is the gradient
//     w.r.t. its pre-activation output;
//   - convolutions may use Winograd's algorithm (rounding differs slightly): in inference
//     wherever oneDNN has it, in training where it measured faster (dnnl_util.cc).
// Threads: OpenMP's count at build time (build() sets it when threads > 0); no other
// threads are started.  PIPE_NN_PROFILE=1 prints per-primitive times to stderr.
//
// Parameters are named "<layer>.<param>" and seen from outside in PyTorch's layout
// (get_param / set_param / get_grad, checkpoints):
//   conv2d     weight [O, I, kH, kW]            bias [O]
//   dense      weight [out, in] (in flattened in C,H,W order)   bias [out]
//   batchnorm  weight (gamma) [C], bias (beta) [C], running_mean [C], running_var [C]
//   simple_rnn weight_ih [H, in], weight_hh [H, H], bias_ih [H], bias_hh [H]
//   lstm       weight_ih [4H, in], weight_hh [4H, H], bias_ih [4H], bias_hh [4H]; gates i, f, g, o
//   gru        weight_ih [3H, in], weight_hh [3H, H], bias_ih [3H], bias_hh [3H]; gates r, z, n
//              (PyTorch's GRU = oneDNN's linear-before-reset GRU = Keras reset_after=True)
// Internally weights live in the layout the forward primitive prefers.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pipe::nn {

struct InputShape {
  int channels = 1, height = 1, width = 1;
};

// Sums over one batch: mean loss = loss_sum / n, accuracy = correct / n.
struct StepStats {
  double loss_sum = 0;
  int correct = 0;
  int n = 0;
};

class NetImpl;

class Net {
 public:
  // layers: the parsed `layers:` list.  seed drives initialization and dropout.
  // Throws pipe::ConfigError naming the layer (index and name) and the shapes.
  static std::unique_ptr<Net> build(const nlohmann::json& layers, InputShape in, int classes, uint64_t seed,
                                    int threads = 0);
  // What build() checks without the data's shape: the layer types, their
  // options and names.  Throws the same ConfigErrors.
  static void check_layers(const nlohmann::json& layers);
  ~Net();

  // A table: layer, type, output shape, params; then totals.
  std::string summary() const;
  int64_t param_count() const;            // every parameter, running statistics included
  int64_t trainable_param_count() const;  // those an optimizer updates (frozen layers excluded)
  std::vector<std::string> layer_names() const;
  std::string last_conv_layer() const;  // "" when there is none
  InputShape input_shape() const;
  int classes() const;

  // {"adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7}} | {"adamw": {..., "weight_decay"}}
  // | {"sgd": {"lr", "momentum", "nesterov"}} | {"rmsprop": {"lr", "rho", "eps", "momentum"}}.
  // Every optimizer also takes weight_decay (L2 on weights, decoupled for adamw),
  // clip_norm (global gradient norm), warmup (epochs) and schedule:
  // {"step": {"every": E, "gamma": g}} | {"cosine": {"epochs": E, "alpha": a}} (see optimizer.h).
  // Default: adam with lr 0.001.
  void set_optimizer(const nlohmann::json& cfg);
  // {"cross_entropy": {"label_smoothing": 0.1, "class_weights": [..]}} | "cross_entropy"
  // | {"binary_cross_entropy": {...}}; a plain map {"label_smoothing": ..} means cross_entropy.
  void set_loss(const nlohmann::json& cfg);
  // Learning rate of the next step (schedule included).  set_lr rescales the base so the
  // next step uses `lr` (reduce-on-plateau: set_lr(lr() * factor)).
  double lr() const;
  void set_lr(double lr);
  // Schedules count in epochs: tell the net how many steps make one.
  void set_steps_per_epoch(int steps);
  int64_t step_count() const;  // optimizer steps taken

  // A batch runs in passes of at most this many samples whose activations stay in the
  // cache (gradients summed over the passes; batchnorm in training keeps batches whole).
  // 0: chosen from the model's sizes (default); < 0: never split a training batch.
  void set_micro_batch(int samples);

  // Built plans (primitives and buffers for one batch size and mode) are kept for
  // reuse, except that one whose buffers exceed `bytes` (default 16 MB) is dropped
  // as soon as a batch needs another plan, and rebuilt when needed again.
  void set_large_plan_bytes(size_t bytes);
  size_t plan_bytes() const;  // buffers of the plans kept now

  // One optimizer step on a batch of n samples (x: n×C×H×W floats, labels in [0, classes)).
  StepStats train_step(const float* x_nchw, const int32_t* labels, int n);
  // Forward and backward (training mode): gradients without a step.  apply_optimizer() then steps.
  StepStats forward_backward(const float* x_nchw, const int32_t* labels, int n);
  void apply_optimizer();
  // Inference (dropout off, batchnorm running statistics): n×classes probabilities into probs
  // (may be nullptr); loss and accuracy when labels != nullptr.
  StepStats predict(const float* x_nchw, int n, float* probs, const int32_t* labels = nullptr);

  // Grad-CAM: activations of `layer` for one image (C×H×W) and the gradient of the target
  // class's logit with respect to them (inference statistics, dropout off).
  void activation_and_grad(const float* x_chw, int target_class, const std::string& layer,
                           std::vector<float>* act, std::vector<float>* grad, std::vector<int>* act_shape);
  // After the last forward_backward / train_step / predict: a layer's output (n × its
  // output shape, row-major) and, after forward_backward, the loss gradient w.r.t. it.
  // Only when that batch ran in one pass (set_micro_batch(-1) makes sure).
  std::vector<float> layer_output(const std::string& layer) const;
  std::vector<float> layer_output_grad(const std::string& layer) const;
  // The loss gradient w.r.t. the input (n×C×H×W) of the last forward_backward; only
  // computed after enable_input_grad(true) (the first layer skips it otherwise).
  void enable_input_grad(bool on);
  std::vector<float> input_grad() const;

  // Parameters in PyTorch's layout (see the table above).
  std::vector<std::string> param_names() const;  // "<layer>.<param>", in layer order
  std::vector<int64_t> param_shape(const std::string& name) const;
  std::vector<float> get_param(const std::string& name) const;
  void set_param(const std::string& name, const std::vector<float>& values);
  std::vector<float> get_grad(const std::string& name) const;  // of the last forward_backward

  // Checkpoints: one safetensors file with the parameters ("<layer>.<param>"), the optimizer
  // state ("optimizer.<layer>.<param>.<slot>") and, in __metadata__, the step counters,
  // learning rate, RNG state and the caller's `metadata` (written tmp + rename).
  void save(const std::string& file, const nlohmann::json& metadata) const;
  // Restores everything save() wrote; checks names and shapes; returns the caller's metadata.
  nlohmann::json load(const std::string& file);
  // Transfer learning: copies the parameters of the named layers (all when empty) from a
  // checkpoint; skip_mismatched skips tensors whose shape differs instead of failing.
  void load_weights_from(const std::string& file, const std::vector<std::string>& only_layers,
                         bool skip_mismatched);
  // Frozen layers keep their parameters (no gradient, no update); batchnorm uses its
  // running statistics.
  void freeze(const std::vector<std::string>& layer_names);

 private:
  Net();
  std::unique_ptr<NetImpl> impl_;
};

}  // namespace pipe::nn
