#include "stages/nn/net.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <map>
#include <set>
#include <unordered_map>

#include "engine/error.h"
#include "stages/nn/activation.h"
#include "stages/nn/dnnl_util.h"
#include "stages/nn/layer.h"
#include "stages/nn/loss.h"
#include "stages/nn/optimizer.h"
#include "stages/nn/parallel.h"
#include "stages/nn/plan.h"
#include "stages/nn/safetensors.h"

namespace pipe::nn {

namespace {

constexpr size_t kPlansPerMode = 3;  // full batch, last partial batch, one spare
// A plan whose buffers exceed this is not kept once a batch needs another plan: the
// epoch's last, partial batch and the validation passes would otherwise double or
// triple a large model's memory, and rebuilding costs milliseconds against the seconds
// of the batches it runs.
constexpr size_t kLargePlanBytes = size_t{16} << 20;
// A batch runs in passes ("micro-batches") whose activations stay in the cache: the
// element-wise, pooling and small convolution primitives are bound by memory traffic.
// Training sums the passes' gradients, which only pays when the parameters are small.
constexpr double kCacheBudget = 4e6;  // bytes of activations (and their gradients) per pass
constexpr int kMinPass = 16;          // smaller passes lose more to per-primitive overhead
constexpr int kMaxInferPass = 256;
// A batch that may be split runs in at least this many passes, grouped in this many
// chunks whatever the thread count: threads take whole chunks, and the results do not
// depend on how many threads there are.
constexpr int kChunks = 4;
constexpr int kMinChunk = 8;  // samples: smaller chunks lose more to per-primitive overhead

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string with_commas(int64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string layer_label(size_t index, const std::string& name) {
  return "layer " + std::to_string(index + 1) + (name.empty() ? "" : " (" + name + ")");
}

std::string allowed_layers() {
  std::vector<std::string> names;
  for (const auto& spec : layer_specs()) names.push_back(spec.type);
  return "allowed: " + join(names);
}

}  // namespace

// One plan with what the net needs around it.
struct Built {
  Mode mode;
  int n = 0;
  int worker = 0;  // the OpenMP thread that runs this single-threaded plan
  std::unique_ptr<Plan> plan;
  std::vector<std::unique_ptr<LayerRun>> runs;
  dnnl::memory input, logits, diff_logits, input_diff;
  uint64_t used = 0;
};

class NetImpl {
 public:
  InputShape in;
  int classes = 0;
  uint64_t seed = 0;
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{eng};
  std::vector<std::unique_ptr<Layer>> layers;
  std::string output_activation;  // dropped from the last layer; the loss applies it
  Loss loss;
  std::unique_ptr<Optimizer> opt;
  int steps_per_epoch = 0;
  RunState state;                 // state.step: forward_backward calls, the dropout stream's counter
  int micro_batch = 0;            // samples per pass: 0 automatic, < 0 never split
  bool last_split = false;        // the last forward_backward ran in several passes
  std::vector<float> input_diff;  // the whole batch's input gradient
  std::vector<std::vector<std::vector<float>>> grad_sums;  // per chunk, per trainable parameter
  int threads = 1;                // OpenMP threads at build time
  std::vector<dnnl::stream> worker_streams;
  uint64_t clock = 0;
  bool input_grad = false;
  bool has_grads = false;
  std::vector<std::unique_ptr<Built>> plans;
  Built* last = nullptr;
  uint64_t batch_start = 0;  // the clock when the running batch began to resolve its plans
  size_t large_plan_bytes = kLargePlanBytes;

  Dims input_dims() const { return {in.channels, in.height, in.width}; }
  int64_t input_size() const { return product(input_dims()); }

  Built& plan_for(Mode mode, int n, int worker);
  int pass_size(Mode mode, int n) const;
  bool keeps_batches_whole() const;
  std::unique_ptr<Built> build_plan(Mode mode, int n, int worker);
  // Runs a batch in passes (see pass_size) on single-threaded plans, chunks of passes
  // on the OpenMP threads side by side.  Training: loss, gradients (summed into the parameters' grad).
  // Inference: probabilities and, with labels, loss and accuracy.
  StepStats run_batch(Mode mode, const float* x, const int32_t* labels, int n, float* probs);
  void clear_plans() {
    plans.clear();
    last = nullptr;
  }
  void forward(Built& b, const float* x, dnnl::stream& s);
  size_t layer_index(const std::string& name) const;
  std::pair<Layer*, Param*> find_param(const std::string& name) const;
  std::vector<float> read(const dnnl::memory& m, const Dims& dims);
  std::vector<Param*> trainable();
  bool trainable_below(size_t i) const;
};

// ---- plans -------------------------------------------------------------------------

bool NetImpl::trainable_below(size_t i) const {
  for (size_t j = 0; j < i; ++j) {
    if (layers[j]->frozen) continue;
    for (const Param& p : layers[j]->params())
      if (p.trainable) return true;
  }
  return false;
}

std::unique_ptr<Built> NetImpl::build_plan(Mode mode, int n, int worker) {
  auto b = std::make_unique<Built>();
  b->mode = mode;
  b->n = n;
  b->worker = worker;
  b->plan = std::make_unique<Plan>(eng, n, mode);
  Plan& plan = *b->plan;
  plan.set_private_grads(true);
  size_t i = 0;
  try {
    Tensor t{plan.alloc(dnn::plain(with_batch(n, input_dims()))), input_dims()};
    b->input = t.mem;
    for (i = 0; i < layers.size(); ++i) {
      plan.set_label(layers[i]->name());
      auto run = layers[i]->forward(plan, t);
      t = run->out;
      b->runs.push_back(std::move(run));
    }
    plan.set_label("logits");
    b->logits = plan.convert(Plan::kForward, t.mem, dnn::plain({n, classes}));
    if (plan.has_backward()) {
      if (mode == Mode::kTrain)
        for (size_t k = 0; k + 1 < layers.size(); ++k)
          if (const Activation* act = b->runs[k]->foldable_activation())
            if (b->runs[k + 1]->fold_activation(*act)) b->runs[k]->skip_activation_backward();
      b->diff_logits = plan.alloc(dnn::plain({n, classes}));
      dnnl::memory d = b->diff_logits;
      for (size_t k = layers.size(); k-- > 0;) {
        i = k;
        const bool need = input_grad || (mode == Mode::kGradient ? k > 0 : trainable_below(k));
        b->runs[k]->diff_out = d;
        plan.set_label(layers[k]->name());
        d = b->runs[k]->backward(plan, d, need);
        if (!need) break;
      }
      plan.set_label("input");
      if (input_grad)
        b->input_diff = plan.convert(Plan::kBackward, d, dnn::plain(with_batch(n, input_dims())));
    }
  } catch (const dnnl::error& e) {
    throw Error("oneDNN cannot build " + layers[i]->type() + " for batch " + std::to_string(n) + ": " +
                e.what())
        .context(layer_label(i, layers[i]->name()));
  }
  return b;
}

int NetImpl::pass_size(Mode mode, int n) const {
  const bool train = mode == Mode::kTrain;
  if (micro_batch > 0) return std::min(micro_batch, n);
  if (micro_batch < 0) return train ? n : std::min(n, kMaxInferPass);
  double floats = static_cast<double>(input_size()), params = 0;
  for (const auto& l : layers) {
    floats += static_cast<double>(product(l->out_shape));
    // batch statistics must see the whole batch
    if (train && l->type() == "batchnorm" && !l->frozen) return n;
    if (!l->frozen)
      for (const Param& p : l->params())
        params += p.trainable ? static_cast<double>(product(p.torch_shape)) : 0;
  }
  const double bytes = floats * sizeof(float) * (train ? 2 : 1);  // per sample
  const int fit = std::max(kMinPass, static_cast<int>(kCacheBudget / bytes));
  if (!train) return std::min({n, fit, kMaxInferPass});
  if (fit >= n) return n;
  // Summing gradients costs a few passes over the parameters per micro-batch: split
  // only when that is small against the activation traffic saved.
  const double passes = std::ceil(static_cast<double>(n) / fit);
  if (params * sizeof(float) * 3 * passes > bytes * n / 4) return n;
  return fit;
}

// Whether training keeps a batch in one pass: batch statistics must see the whole batch.
bool NetImpl::keeps_batches_whole() const {
  if (micro_batch < 0) return true;
  for (const auto& l : layers)
    if (l->type() == "batchnorm" && !l->frozen) return true;
  return false;
}

Built& NetImpl::plan_for(Mode mode, int n, int worker) {
  ++clock;
  Built* oldest = nullptr;
  size_t same_mode = 0;
  for (auto& b : plans) {
    if (b->mode != mode || b->worker != worker) continue;
    if (b->n == n) {
      b->used = clock;
      return *b;
    }
    ++same_mode;
    if (!oldest || b->used < oldest->used) oldest = b.get();
  }
  // Make room: this mode's least recently used plan once it has kPlansPerMode,
  // and any large plan the running batch does not use.
  const Built* evict = same_mode >= kPlansPerMode ? oldest : nullptr;
  plans.erase(std::remove_if(plans.begin(), plans.end(),
                             [&](const std::unique_ptr<Built>& b) {
                               bool drop = b.get() == evict ||
                                           (b->used < batch_start && b->plan->bytes() > large_plan_bytes);
                               if (drop && last == b.get()) last = nullptr;
                               return drop;
                             }),
              plans.end());
  // Every plan runs on one thread (inside a parallel region or with OpenMP set to one
  // thread): create its primitives for one thread, so that they do not depend on the
  // thread count.
  omp_set_num_threads(1);
  try {
    plans.push_back(build_plan(mode, n, worker));
  } catch (...) {
    omp_set_num_threads(threads);
    throw;
  }
  omp_set_num_threads(threads);
  plans.back()->used = clock;
  return *plans.back();
}

StepStats NetImpl::run_batch(Mode mode, const float* x, const int32_t* labels, int n, float* probs) {
  const bool train = mode == Mode::kTrain;
  // The cut depends on the model and n only: kChunks chunks of equal size (fewer for
  // a batch under kChunks * kMinChunk samples; one when the batch must stay whole), each
  // cut into equal passes of at most pass_size.  Equal chunks keep the threads equally
  // busy.
  const int pass_limit = pass_size(mode, n);
  const bool split = micro_batch == 0 && !(train && keeps_batches_whole());
  const int wanted = split ? std::clamp(n / kMinChunk, 1, kChunks) : 1;
  const int chunk_size = (n + wanted - 1) / wanted;
  struct Pass {
    int off, count;
    Built* built;
  };
  std::vector<Pass> passes;
  std::vector<size_t> chunk_begin;
  for (int start = 0; start < n; start += chunk_size) {
    const int size = std::min(chunk_size, n - start);
    const int pieces = (size + pass_limit - 1) / pass_limit;
    const int pass = (size + pieces - 1) / pieces;
    chunk_begin.push_back(passes.size());
    for (int off = start; off < start + size; off += pass)
      passes.push_back({off, std::min(pass, start + size - off), nullptr});
  }
  chunk_begin.push_back(passes.size());
  const int chunks = static_cast<int>(chunk_begin.size()) - 1;
  // The thread count only says which thread runs which chunk.
  const int team = std::min(threads, chunks);
  batch_start = clock + 1;  // passes and their plans are resolved before any thread runs
  for (int c = 0; c < chunks; ++c)
    for (size_t k = chunk_begin[c]; k < chunk_begin[c + 1]; ++k)
      passes[k].built = &plan_for(mode, passes[k].count, c % team);
  while (worker_streams.size() < static_cast<size_t>(team)) worker_streams.emplace_back(eng);

  std::vector<Param*> params;
  std::unordered_map<const Param*, size_t> index;
  if (train) {
    params = trainable();
    for (size_t i = 0; i < params.size(); ++i) index[params[i]] = i;
  }
  if (train && input_grad) input_diff.assign(static_cast<size_t>(n) * input_size(), 0.0f);
  // per chunk: statistics, gradient sums (kept from step to step: no allocation)
  std::vector<StepStats> stats(chunks);
  auto& sums = grad_sums;
  if (sums.size() < static_cast<size_t>(chunks)) sums.resize(chunks);
  for (int c = 0; c < chunks; ++c) {
    sums[c].resize(params.size());
    for (auto& sum : sums[c]) sum.clear();
  }

  auto run_pass = [&](int c, size_t k, bool first, dnnl::stream& s) {
    Built& b = *passes[k].built;
    const int off = passes[k].off, count = passes[k].count;
    b.plan->set_run_state({state.step, off});
    std::memcpy(b.input.get_data_handle(), x + static_cast<size_t>(off) * input_size(),
                sizeof(float) * count * input_size());
    b.plan->run_forward(s);
    const float* logits = static_cast<const float*>(b.logits.get_data_handle());
    if (probs) loss.probabilities(logits, count, classes, probs + static_cast<size_t>(off) * classes);
    if (labels) {
      // training: gradients of the whole batch's mean loss
      float* diff = train ? static_cast<float*>(b.diff_logits.get_data_handle()) : nullptr;
      const StepStats p = loss.compute(logits, labels + off, count, classes, diff, n);
      stats[c].loss_sum += p.loss_sum;
      stats[c].correct += p.correct;
    }
    if (!train) return;
    b.plan->run_backward(s);
    if (input_grad)
      std::memcpy(input_diff.data() + static_cast<size_t>(off) * input_size(), b.input_diff.get_data_handle(),
                  sizeof(float) * count * input_size());
    // the chunk's passes, summed in their order
    for (const auto& [p, g] : b.plan->grads()) {
      const float* v = static_cast<const float*>(g.get_data_handle());
      const size_t size = dnn::floats(g.get_desc());
      auto& sum = sums[c][index.at(p)];
      if (first) {
        sum.assign(v, v + size);
      } else {
        float* __restrict out = sum.data();
#pragma omp simd
        for (size_t j = 0; j < size; ++j) out[j] += v[j];
      }
    }
  };
  auto run_chunk = [&](int c, dnnl::stream& s) {
    for (size_t k = chunk_begin[c]; k < chunk_begin[c + 1]; ++k) run_pass(c, k, k == chunk_begin[c], s);
  };

  if (team > 1) {
    std::vector<std::exception_ptr> failures(team);
#pragma omp parallel num_threads(team)
    {
      const int w = omp_get_thread_num();
      try {
        for (int c = w; c < chunks; c += team) run_chunk(c, worker_streams[w]);
      } catch (...) {
        failures[w] = std::current_exception();
      }
    }
    for (auto& f : failures)
      if (f) std::rethrow_exception(f);
  } else {
    // the plans' primitives were made for one thread: run them on one
    omp_set_num_threads(1);
    try {
      for (int c = 0; c < chunks; ++c) run_chunk(c, worker_streams[0]);
    } catch (...) {
      omp_set_num_threads(threads);
      throw;
    }
    omp_set_num_threads(threads);
  }

  // The parameters' gradients: the chunks' sums, added in chunk order (element by
  // element, so splitting the elements among threads changes nothing).
  for (size_t i = 0; i < params.size(); ++i) {
    if (sums[0][i].empty()) continue;
    float* grad = static_cast<float*>(params[i]->grad.get_data_handle());
    for_ranges(sums[0][i].size(), 32768, [&](size_t begin, size_t end) {
      float* __restrict out = grad;
      std::memcpy(out + begin, sums[0][i].data() + begin, (end - begin) * sizeof(float));
      for (int c = 1; c < chunks; ++c) {
        const float* __restrict part = sums[c][i].data();
#pragma omp simd
        for (size_t j = begin; j < end; ++j) out[j] += part[j];
      }
    });
  }
  StepStats out;
  out.n = n;
  for (const StepStats& st : stats) out.loss_sum += st.loss_sum, out.correct += st.correct;
  last = passes.back().built;
  last_split = passes.size() > 1;
  return out;
}

void NetImpl::forward(Built& b, const float* x, dnnl::stream& s) {
  std::memcpy(b.input.get_data_handle(), x, sizeof(float) * b.n * input_size());
  b.plan->set_run_state({state.step, 0});
  b.plan->run_forward(s);
  last = &b;
}

std::vector<float> NetImpl::read(const dnnl::memory& from, const Dims& dims) {
  std::vector<float> out(product(dims));
  dnnl::memory m = from;
  const auto md = m.get_desc();
  dnnl::memory target(dnn::plain(dims), eng, out.data());
  if (md.dims() == dims) {
    dnn::reorder_now(m, target);
  } else if (dnn::is_plain(md)) {
    std::memcpy(out.data(), m.get_data_handle(), out.size() * sizeof(float));
  } else {
    dnnl::memory flat(dnn::plain(md.dims()), eng, out.data());
    dnn::reorder_now(m, flat);
  }
  stream.wait();
  return out;
}

size_t NetImpl::layer_index(const std::string& name) const {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i]->name() == name) return i;
  std::vector<std::string> names;
  for (const auto& l : layers) names.push_back(l->name());
  throw ConfigError("unknown layer '" + name + "'").hint("layers: " + join(names));
}

std::pair<Layer*, Param*> NetImpl::find_param(const std::string& name) const {
  const size_t dot = name.find('.');
  if (dot != std::string::npos) {
    for (const auto& l : layers) {
      if (l->name() != name.substr(0, dot)) continue;
      for (Param& p : l->params())
        if (p.name == name.substr(dot + 1)) return {l.get(), &p};
    }
  }
  std::vector<std::string> names;
  for (const auto& l : layers)
    for (const Param& p : l->params()) names.push_back(l->name() + "." + p.name);
  throw ConfigError("unknown parameter '" + name + "'").hint("parameters: " + join(names));
}

std::vector<Param*> NetImpl::trainable() {
  std::vector<Param*> out;
  for (auto& l : layers) {
    if (l->frozen) continue;
    for (Param& p : l->params())
      if (p.trainable) out.push_back(&p);
  }
  return out;
}

// ---- building ------------------------------------------------------------------------

Net::Net() : impl_(std::make_unique<NetImpl>()) {}
Net::~Net() = default;

namespace {

// The layers a `layers:` list names, with their options checked and their
// names given, not yet shaped: what can be checked without the data.
std::vector<std::unique_ptr<Layer>> make_layers(const nlohmann::json& layers) {
  if (!layers.is_array() || layers.empty())
    throw ConfigError("layers must be a non-empty list of layers").hint(allowed_layers());
  std::vector<std::unique_ptr<Layer>> out;
  std::map<std::string, int> counts;
  std::set<std::string> names;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& item = layers[i];
    std::string name;
    try {
      std::string type;
      nlohmann::json value = nlohmann::json::object();
      if (item.is_string()) {
        type = item.get<std::string>();
      } else if (item.is_object() && item.size() == 1) {
        type = item.begin().key();
        value = item.begin().value();
      } else {
        throw ConfigError("a layer must be a name or a map with one key (the layer's name), got " +
                          item.dump())
            .hint(allowed_layers());
      }
      const LayerSpec* spec = find_layer_spec(type);
      if (!spec) throw ConfigError("unknown layer '" + type + "'").hint(allowed_layers());
      nlohmann::json opts = nlohmann::json::object();
      if (value.is_object()) {
        opts = value;
      } else if (!value.is_null()) {
        if (spec->shorthand.empty())
          throw ConfigError(spec->type + " takes no value, got " + value.dump())
              .hint("write it as `" + spec->type + "` alone");
        opts[spec->shorthand] = value;
      }
      name = spec->type + "_" + std::to_string(++counts[spec->type]);
      if (opts.contains("name")) {
        if (!opts["name"].is_string() || opts["name"].get<std::string>().empty())
          throw ConfigError("name must be a non-empty string, got " + opts["name"].dump());
        name = opts["name"].get<std::string>();
        if (name.find('.') != std::string::npos)
          throw ConfigError("name must not contain '.', got '" + name + "'");
        opts.erase("name");
      }
      std::vector<std::string> allowed = spec->keys;
      allowed.push_back("name");
      for (const auto& [key, v] : opts.items())
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
          throw ConfigError("unknown key '" + key + "' for " + spec->type).hint("allowed: " + join(allowed));
      if (!names.insert(name).second) throw ConfigError("two layers are named '" + name + "'");
      auto layer = spec->make(Options(opts));
      layer->set_identity(spec->type, name);
      out.push_back(std::move(layer));
    } catch (Error& e) {
      throw e.context(layer_label(i, name));
    }
  }
  return out;
}

}  // namespace

void Net::check_layers(const nlohmann::json& layers) { make_layers(layers); }

std::unique_ptr<Net> Net::build(const nlohmann::json& layers, InputShape in, int classes, uint64_t seed,
                                int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  if (in.channels < 1 || in.height < 1 || in.width < 1)
    throw ConfigError("input shape must be positive, got " + shape_str({in.channels, in.height, in.width}));
  if (classes < 1) throw ConfigError("the data needs at least one class");
  std::vector<std::unique_ptr<Layer>> made = make_layers(layers);
  std::unique_ptr<Net> net(new Net());
  NetImpl& m = *net->impl_;
  m.in = in;
  m.threads = omp_get_max_threads();
  m.classes = classes;
  m.seed = seed;

  Dims shape = m.input_dims();
  for (size_t i = 0; i < made.size(); ++i) {
    auto& layer = made[i];
    try {
      layer->in_shape = shape;
      layer->out_shape = layer->configure(shape);
      shape = layer->out_shape;
    } catch (Error& e) {
      throw e.context(layer_label(i, layer->name()));
    }
    m.layers.push_back(std::move(layer));
  }
  Layer& last = *m.layers.back();
  if (shape != Dims{classes}) {
    const std::string what = shape.size() == 1 ? std::to_string(shape[0]) + " values" : shape_str(shape);
    throw ConfigError("the last layer outputs " + what + ", the data has " + std::to_string(classes) +
                      " classes")
        .hint(shape.size() == 1 ? "end with dense: { units: " + std::to_string(classes) + " }"
                                : "end with flatten and dense: { units: " + std::to_string(classes) + " }")
        .kind(ErrorKind::kConfig)
        .context(layer_label(m.layers.size() - 1, last.name()));
  }
  m.output_activation = last.output_activation();
  last.drop_output_activation();
  for (auto& l : m.layers) l->init(m.eng, seed);
  m.opt = std::make_unique<Optimizer>(nlohmann::json{{"adam", {{"lr", 0.001}}}});
  return net;
}

std::string Net::summary() const {
  const NetImpl& m = *impl_;
  std::string out;
  auto row = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d) {
    char line[160];
    std::snprintf(line, sizeof line, "%-20s %-16s %-14s %12s\n", a.c_str(), b.c_str(), c.c_str(), d.c_str());
    out += line;
  };
  row("layer", "type", "output", "params");
  row("input", "", shape_str(m.input_dims()), "");
  for (const auto& l : m.layers) {
    int64_t count = 0;
    for (const Param& p : l->params()) count += product(p.torch_shape);
    row(l->name(), l->type() + (l->frozen ? " (frozen)" : ""), shape_str(l->out_shape), with_commas(count));
  }
  out +=
      "params: " + with_commas(param_count()) + " (trainable " + with_commas(trainable_param_count()) + ")\n";
  if (!m.output_activation.empty())
    out += "output: " + m.output_activation + " of the last layer, inside the loss\n";
  return out;
}

int64_t Net::param_count() const {
  int64_t n = 0;
  for (const auto& l : impl_->layers)
    for (const Param& p : l->params()) n += product(p.torch_shape);
  return n;
}

int64_t Net::trainable_param_count() const {
  int64_t n = 0;
  for (const auto& l : impl_->layers)
    if (!l->frozen)
      for (const Param& p : l->params())
        if (p.trainable) n += product(p.torch_shape);
  return n;
}

std::vector<std::string> Net::layer_names() const {
  std::vector<std::string> out;
  for (const auto& l : impl_->layers) out.push_back(l->name());
  return out;
}

std::string Net::last_conv_layer() const {
  for (auto it = impl_->layers.rbegin(); it != impl_->layers.rend(); ++it)
    if ((*it)->type() == "conv2d") return (*it)->name();
  return "";
}

InputShape Net::input_shape() const { return impl_->in; }
int Net::classes() const { return impl_->classes; }

// ---- training ------------------------------------------------------------------------

void Net::set_optimizer(const nlohmann::json& cfg) {
  auto opt = std::make_unique<Optimizer>(cfg);
  opt->set_steps_per_epoch(impl_->steps_per_epoch);
  impl_->opt = std::move(opt);
  for (auto& l : impl_->layers)
    for (Param& p : l->params()) p.state.clear();
}

void Net::set_loss(const nlohmann::json& cfg) { impl_->loss = Loss::parse(cfg, impl_->classes); }
double Net::lr() const { return impl_->opt->lr(); }
void Net::set_lr(double lr) { impl_->opt->set_lr(lr); }

void Net::set_steps_per_epoch(int steps) {
  impl_->steps_per_epoch = steps;
  impl_->opt->set_steps_per_epoch(steps);
}

int64_t Net::step_count() const { return impl_->opt->steps(); }

void Net::set_large_plan_bytes(size_t bytes) { impl_->large_plan_bytes = bytes; }

size_t Net::plan_bytes() const {
  size_t total = 0;
  for (const auto& b : impl_->plans) total += b->plan->bytes();
  return total;
}

StepStats Net::train_step(const float* x_nchw, const int32_t* labels, int n) {
  StepStats stats = forward_backward(x_nchw, labels, n);
  apply_optimizer();
  return stats;
}

StepStats Net::forward_backward(const float* x_nchw, const int32_t* labels, int n) {
  NetImpl& m = *impl_;
  if (n < 1 || !x_nchw || !labels) throw Error("forward_backward needs n >= 1 images and their labels");
  StepStats stats = m.run_batch(Mode::kTrain, x_nchw, labels, n, nullptr);
  ++m.state.step;
  m.has_grads = true;
  return stats;
}

void Net::set_micro_batch(int samples) { impl_->micro_batch = samples; }

void Net::apply_optimizer() {
  NetImpl& m = *impl_;
  if (!m.has_grads) throw Error("apply_optimizer needs gradients: call forward_backward first");
  const auto params = m.trainable();
  m.opt->step(params);
  for (Param* p : params) ++p->version;
  m.has_grads = false;
}

StepStats Net::predict(const float* x_nchw, int n, float* probs, const int32_t* labels) {
  if (n < 1) return StepStats{};
  return impl_->run_batch(Mode::kInfer, x_nchw, labels, n, probs);
}

// ---- activations and gradients -------------------------------------------------------------

void Net::activation_and_grad(const float* x_chw, int target_class, const std::string& layer,
                              std::vector<float>* act, std::vector<float>* grad,
                              std::vector<int>* act_shape) {
  NetImpl& m = *impl_;
  if (target_class < 0 || target_class >= m.classes)
    throw Error("class " + std::to_string(target_class) + " is outside the " + std::to_string(m.classes) +
                " classes");
  const size_t i = m.layer_index(layer);
  Built& b = m.plan_for(Mode::kGradient, 1, 0);
  omp_set_num_threads(1);  // the plan's primitives were made for one thread
  try {
    m.forward(b, x_chw, m.stream);
    m.last_split = false;
    float* diff = static_cast<float*>(b.diff_logits.get_data_handle());
    std::fill(diff, diff + m.classes, 0.0f);
    diff[target_class] = 1.0f;  // d(logit of the class)
    b.plan->run_backward(m.stream);
  } catch (...) {
    omp_set_num_threads(m.threads);
    throw;
  }
  omp_set_num_threads(m.threads);
  const Dims dims = with_batch(1, m.layers[i]->out_shape);
  if (act) *act = m.read(b.runs[i]->out.mem, dims);
  if (grad) *grad = m.read(b.runs[i]->diff_out, dims);
  if (act_shape) act_shape->assign(m.layers[i]->out_shape.begin(), m.layers[i]->out_shape.end());
}

std::vector<float> Net::layer_output(const std::string& layer) const {
  NetImpl& m = *impl_;
  const size_t i = m.layer_index(layer);
  if (!m.last) throw Error("layer_output needs a forward pass first");
  if (m.last_split)
    throw Error("the last batch ran in micro-batches and only the last one's outputs are kept")
        .hint("set_micro_batch(-1) keeps batches whole");
  return m.read(m.last->runs[i]->out.mem, with_batch(m.last->n, m.layers[i]->out_shape));
}

std::vector<float> Net::layer_output_grad(const std::string& layer) const {
  NetImpl& m = *impl_;
  const size_t i = m.layer_index(layer);
  if (!m.last || !m.last->runs[i]->diff_out)
    throw Error("layer_output_grad needs a forward_backward that reaches layer " + layer);
  if (m.last_split)
    throw Error("the last batch ran in micro-batches and only the last one's gradients are kept")
        .hint("set_micro_batch(-1) keeps batches whole");
  return m.read(m.last->runs[i]->diff_out, with_batch(m.last->n, m.layers[i]->out_shape));
}

void Net::enable_input_grad(bool on) {
  if (impl_->input_grad == on) return;
  impl_->input_grad = on;
  impl_->clear_plans();
}

std::vector<float> Net::input_grad() const {
  NetImpl& m = *impl_;
  if (!m.last || !m.last->input_diff)
    throw Error("input_grad needs enable_input_grad(true) and a forward_backward");
  return m.input_diff;
}

// ---- parameters ------------------------------------------------------------------------

std::vector<std::string> Net::param_names() const {
  std::vector<std::string> out;
  for (const auto& l : impl_->layers)
    for (const Param& p : l->params()) out.push_back(l->name() + "." + p.name);
  return out;
}

std::vector<int64_t> Net::param_shape(const std::string& name) const {
  return impl_->find_param(name).second->torch_shape;
}

std::vector<float> Net::get_param(const std::string& name) const {
  auto [layer, p] = impl_->find_param(name);
  std::vector<float> out(product(p->torch_shape));
  layer->export_param(*p, static_cast<const float*>(p->value.get_data_handle()), out.data());
  return out;
}

void Net::set_param(const std::string& name, const std::vector<float>& values) {
  auto [layer, p] = impl_->find_param(name);
  if (static_cast<int64_t>(values.size()) != product(p->torch_shape))
    throw Error("parameter " + name + " is " + shape_str(p->torch_shape) + " (" +
                std::to_string(product(p->torch_shape)) + " values), got " + std::to_string(values.size()));
  layer->import_param(*p, values.data(), static_cast<float*>(p->value.get_data_handle()));
  ++p->version;
}

std::vector<float> Net::get_grad(const std::string& name) const {
  auto [layer, p] = impl_->find_param(name);
  if (!p->trainable) throw Error("parameter " + name + " is not trained and has no gradient");
  std::vector<float> out(product(p->torch_shape));
  layer->export_param(*p, static_cast<const float*>(p->grad.get_data_handle()), out.data());
  return out;
}

// ---- checkpoints ------------------------------------------------------------------------

void Net::save(const std::string& file, const nlohmann::json& metadata) const {
  const NetImpl& m = *impl_;
  std::vector<NamedTensor> tensors;
  const auto slots = m.opt->slots();
  for (const auto& l : m.layers) {
    for (const Param& p : l->params()) {
      const std::string name = l->name() + "." + p.name;
      NamedTensor t{name, p.torch_shape, std::vector<float>(product(p.torch_shape))};
      l->export_param(p, static_cast<const float*>(p.value.get_data_handle()), t.data.data());
      tensors.push_back(std::move(t));
      if (p.state.size() != slots.size()) continue;
      for (size_t s = 0; s < slots.size(); ++s) {
        NamedTensor st{"optimizer." + name + "." + slots[s], p.torch_shape,
                       std::vector<float>(product(p.torch_shape))};
        l->export_param(p, p.state[s].data(), st.data.data());
        tensors.push_back(std::move(st));
      }
    }
  }
  const nlohmann::json state{{"optimizer", m.opt->config()},         {"base_lr", m.opt->base_lr()},
                             {"optimizer_steps", m.opt->steps()},    {"train_steps", m.state.step},
                             {"steps_per_epoch", m.steps_per_epoch}, {"seed", m.seed}};
  write_safetensors(
      file, tensors,
      {{"format", "pipe.nn 1"}, {"pipe.state", state.dump()}, {"pipe.metadata", metadata.dump()}});
}

nlohmann::json Net::load(const std::string& file) {
  NetImpl& m = *impl_;
  TensorFile f = read_safetensors(file);
  std::set<std::string> known;
  for (const auto& l : m.layers) {
    for (const Param& p : l->params()) {
      const std::string name = l->name() + "." + p.name;
      known.insert(name);
      auto it = f.tensors.find(name);
      if (it == f.tensors.end())
        throw Error("the checkpoint has no tensor '" + name + "'")
            .at(file)
            .hint("was it saved from another model?");
      if (it->second.shape != p.torch_shape)
        throw Error("tensor '" + name + "' is " + shape_str(it->second.shape) +
                    " in the checkpoint, the model's is " + shape_str(p.torch_shape))
            .at(file);
    }
  }
  for (const auto& [name, t] : f.tensors)
    if (name.rfind("optimizer.", 0) != 0 && !known.count(name))
      throw Error("the checkpoint's tensor '" + name + "' is not in the model")
          .at(file)
          .hint("was it saved from another model?");
  nlohmann::json state = nlohmann::json::object(), user = nlohmann::json::object();
  try {
    if (f.metadata.count("pipe.state")) state = nlohmann::json::parse(f.metadata["pipe.state"]);
    if (f.metadata.count("pipe.metadata")) user = nlohmann::json::parse(f.metadata["pipe.metadata"]);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("the checkpoint's metadata is not JSON: ") + e.what()).at(file);
  }
  for (auto& l : m.layers)
    for (Param& p : l->params()) {
      l->import_param(p, f.tensors[l->name() + "." + p.name].data.data(),
                      static_cast<float*>(p.value.get_data_handle()));
      ++p.version;
    }
  if (state.contains("optimizer")) {
    auto opt = std::make_unique<Optimizer>(state["optimizer"]);
    opt->set_base_lr(state.value("base_lr", opt->base_lr()));
    opt->set_steps(state.value("optimizer_steps", int64_t{0}));
    m.steps_per_epoch = state.value("steps_per_epoch", m.steps_per_epoch);
    opt->set_steps_per_epoch(m.steps_per_epoch);
    m.state.step = state.value("train_steps", uint64_t{0});
    const auto slots = opt->slots();
    m.opt = std::move(opt);
    for (auto& l : m.layers) {
      for (Param& p : l->params()) {
        p.state.clear();
        const std::string name = "optimizer." + l->name() + "." + p.name + ".";
        std::vector<std::vector<float>> loaded;
        for (const auto& slot : slots) {
          auto it = f.tensors.find(name + slot);
          if (it == f.tensors.end() || it->second.shape != p.torch_shape) break;
          loaded.emplace_back(dnn::floats(p.value.get_desc()), 0.0f);
          l->import_param(p, it->second.data.data(), loaded.back().data());
        }
        if (loaded.size() == slots.size() && !slots.empty()) p.state = std::move(loaded);
      }
    }
  }
  m.has_grads = false;
  return user;
}

void Net::load_weights_from(const std::string& file, const std::vector<std::string>& only_layers,
                            bool skip_mismatched) {
  NetImpl& m = *impl_;
  std::set<size_t> wanted;
  for (const auto& name : only_layers) wanted.insert(m.layer_index(name));
  TensorFile f = read_safetensors(file);
  int loaded = 0, expected = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    if (!wanted.empty() && !wanted.count(i)) continue;
    Layer& l = *m.layers[i];
    for (Param& p : l.params()) {
      ++expected;
      const std::string name = l.name() + "." + p.name;
      auto it = f.tensors.find(name);
      if (it == f.tensors.end() || it->second.shape != p.torch_shape) {
        if (skip_mismatched || (wanted.empty() && it == f.tensors.end())) continue;
        if (it == f.tensors.end()) throw Error("the checkpoint has no tensor '" + name + "'").at(file);
        throw Error("tensor '" + name + "' is " + shape_str(it->second.shape) +
                    " in the checkpoint, the model's is " + shape_str(p.torch_shape))
            .at(file)
            .hint("skip_mismatched skips such tensors");
      }
      l.import_param(p, it->second.data.data(), static_cast<float*>(p.value.get_data_handle()));
      ++p.version;
      ++loaded;
    }
  }
  if (expected > 0 && loaded == 0)
    throw Error("no tensor of the checkpoint matches the model's layers").at(file);
}

void Net::freeze(const std::vector<std::string>& layer_names) {
  NetImpl& m = *impl_;
  for (const auto& name : layer_names) m.layers[m.layer_index(name)]->frozen = true;
  m.clear_plans();
}

}  // namespace pipe::nn
