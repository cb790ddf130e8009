#include "stages/train.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>

#include "engine/config.h"
#include "engine/paths.h"
#include "engine/progress.h"
#include "stages/callbacks.h"
#include "stages/image/dataset.h"
#include "stages/loader.h"
#include "stages/model_io.h"
#include "stages/nn/net.h"
#include "stages/nn/optimizer.h"
#include "stages/preprocess.h"

namespace fs = std::filesystem;

namespace pipe {

using json = nlohmann::json;

namespace {

// Independent random streams of one training run, all derived from its seed.
enum Stream : uint64_t { kShuffle = 2, kAugment = 3, kHoldOut = 5 };

double elapsed(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Fisher-Yates with our own draws, so the order depends on the seed alone.
void shuffle(std::vector<uint32_t>& v, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

// Stratified hold-out: per class, a seeded `fraction` of its samples goes to
// val (at least one when the class has two or more), the rest to train.
void hold_out(const image::DatasetView& data, double fraction, uint64_t seed, std::vector<uint32_t>* train,
              std::vector<uint32_t>* val) {
  std::vector<std::vector<uint32_t>> by_class(data.classes().size());
  for (size_t i = 0; i < data.size(); ++i) by_class.at(data.label(i)).push_back(static_cast<uint32_t>(i));
  for (size_t c = 0; c < by_class.size(); ++c) {
    auto& members = by_class[c];
    shuffle(members, derive_seed(seed, kHoldOut, c));
    size_t k = static_cast<size_t>(std::lround(fraction * members.size()));
    if (k == 0 && members.size() >= 2) k = 1;
    if (k >= members.size()) k = members.size() - (members.size() >= 2 ? 1 : 0);
    val->insert(val->end(), members.begin(), members.begin() + k);
    train->insert(train->end(), members.begin() + k, members.end());
  }
  std::sort(train->begin(), train->end());
  std::sort(val->begin(), val->end());
}

json layers_of(const json& model, const std::string& where) {
  if (model.is_array()) return model;
  if (model.is_object() && model.contains("layers")) {
    for (auto it = model.begin(); it != model.end(); ++it)
      if (it.key() != "layers")
        throw ConfigError("unknown key '" + it.key() + "' in the model").at(where).hint("a model has `layers:`");
    if (model["layers"].is_array()) return model["layers"];
  }
  throw ConfigError("a model is a list of layers").at(where).hint("layers: [ {conv: {filters: 32, kernel: 3}}, ... ]");
}

// The layer list of `model:` (a file or inline) or `layers:`; which one is
// given was checked with the schema.
json model_layers(const Param& p) {
  const Param model = p["model"];
  const Param layers = p["layers"];
  if (!layers->is_null()) return layers_of(*layers, layers.mark().str());
  if (model->is_string()) {
    std::string file = model->get<std::string>();
    return layers_of(to_json(load_yaml_file(file), nullptr, ""), display_path(file));
  }
  return layers_of(*model, model.mark().str());
}

// Class weights for the loss: null (none), "auto" (n / (classes * n_c) on the
// training samples), a list, or a {class: weight} map (others 1).
std::vector<double> class_weights(const json& spec, const image::DatasetView& data,
                                  const std::vector<uint32_t>& train, const std::string& where) {
  const auto& classes = data.classes();
  const size_t k = classes.size();
  std::vector<double> w;
  if (spec.is_null()) return w;
  if (spec.is_string() && (spec == "auto" || spec == "balanced")) {
    std::vector<double> count(k, 0);
    for (uint32_t i : train) ++count[data.label(i)];
    for (size_t c = 0; c < k; ++c) w.push_back(count[c] > 0 ? train.size() / (k * count[c]) : 1.0);
    return w;
  }
  if (spec.is_array()) {
    if (spec.size() != k)
      throw ConfigError("class_weights has " + std::to_string(spec.size()) + " values for " + std::to_string(k) +
                        " classes").at(where);
    for (const auto& v : spec) {
      if (!v.is_number()) throw ConfigError("class_weights: expected numbers").at(where);
      w.push_back(v.get<double>());
    }
    return w;
  }
  if (spec.is_object()) {
    w.assign(k, 1.0);
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      auto pos = std::find(classes.begin(), classes.end(), it.key());
      if (pos == classes.end())
        throw ConfigError("class_weights: no class '" + it.key() + "'").at(where).hint("classes: " + join(classes));
      if (!it.value().is_number()) throw ConfigError("class_weights: expected numbers").at(where);
      w[pos - classes.begin()] = it.value().get<double>();
    }
    return w;
  }
  throw ConfigError("class_weights: expected auto, a list of numbers or a {class: weight} map").at(where);
}

std::optional<Monitor> monitor_of(const Param& p, const char* key) {
  const json& c = *p[key];
  if (c.is_null()) return std::nullopt;
  try {
    return Monitor::make(c["monitor"].get<std::string>(), c["mode"].get<std::string>(), c.value("min_delta", 0.0));
  } catch (Error& e) {
    throw e.at(p[key]["monitor"].mark());
  }
}

// `input` or `val` naming a split's test output ("split.test").
bool names_test_split(const json& ref) {
  if (!ref.is_string()) return false;
  const std::string r = ref.get<std::string>();
  return r.size() > 5 && r.compare(r.size() - 5, 5, ".test") == 0;
}

// The rules between keys, checked when the pipeline is read: nothing about
// the parameters is left to fail once the stages upstream have run.
void check_train(const Param& p) {
  const bool has_model = !p["model"]->is_null(), has_layers = !p["layers"]->is_null();
  if (!has_model && !has_layers)
    throw p.error("no model: give `model:` (a model file or inline layers) or `layers:`")
        .hint("layers: [ flatten, {dense: {units: 10}} ] or model: models/cnn.yaml");
  if (has_model && has_layers)
    throw p["layers"].error("give either `model:` or `layers:`, not both").hint("keep one of them");
  // The layers' kinds, options and names; their shapes are checked against
  // the data's when the stage runs.
  const json layers = model_layers(p);
  try {
    nn::Net::check_layers(layers);
  } catch (Error& e) {
    throw e.at(p[has_layers ? "layers" : "model"].mark());
  }
  if (names_test_split(*p["input"]))
    throw p["input"].error("train must not see the test split").hint("train on split.train");
  if (names_test_split(*p["val"]))
    throw p["val"].error("validation must not use the test split")
        .hint("use split.val, or val_fraction: to hold out part of the training set");
  const bool has_val = !p["val"]->is_null();
  if (has_val && !p["val_fraction"]->is_null())
    throw p["val_fraction"].error("give either `val:` or `val_fraction:`, not both").hint("keep one of them");
  try {
    nn::Optimizer optimizer(*p["optimizer"]);
  } catch (Error& e) {
    throw e.at(p["optimizer"].mark());
  }
  const json& weights = *p["loss"]["class_weights"];
  bool weights_ok = weights.is_null() || weights == "auto" || weights == "balanced";
  if (weights.is_array() || weights.is_object()) {
    weights_ok = true;
    for (const auto& w : weights) weights_ok &= w.is_number() && w.get<double>() >= 0;
  }
  if (!weights_ok)
    throw p["loss"]["class_weights"].error("expected auto, a list of numbers ≥ 0 or a {class: weight} map")
        .hint("class_weights: auto | [1.0, 2.5, ...] (one per class) | {cat: 2.0}");
  const bool can_validate = has_val || !p["val_fraction"]->is_null();
  for (const char* key : {"early_stopping", "reduce_lr_on_plateau", "checkpoint"}) {
    auto m = monitor_of(p, key);
    if (m && !can_validate && m->metric.rfind("val_", 0) == 0)
      throw p[key]["monitor"].error("cannot monitor " + m->metric + " without a validation set")
          .hint("add `val: split.val` or `val_fraction: 0.1`, or monitor train_loss");
  }
}

std::string num(double v, int decimals = 4) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

json or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

class Train : public Stage {
 public:
  void run(StageContext& ctx) override;

 private:
  void open_data(StageContext& ctx);
  void build_net(StageContext& ctx);
  void save_checkpoint(StageContext& ctx, int epoch);
  bool resume(StageContext& ctx);
  void finish(StageContext& ctx);

  json params_;
  uint64_t seed_ = 0;
  int threads_ = 1;
  InputRef train_ref_;
  std::optional<image::DatasetView> train_data_, val_data_;
  std::vector<uint32_t> train_idx_, val_idx_;
  const image::DatasetView* val_view_ = nullptr;
  int height_ = 0, width_ = 0, channels_ = 0;
  Normalization norm_;
  json layers_;
  std::unique_ptr<nn::Net> net_;
  json init_info_;

  std::optional<EarlyStopping> early_;
  std::optional<ReduceLROnPlateau> plateau_;
  std::optional<BestEpoch> best_;  // whose weights the stage keeps
  std::string best_file_;          // in the work folder, "" before the first best
  json history_ = json::array();
  double train_seconds_ = 0;       // whole epochs (validation included), over all attempts
  double step_seconds_ = 0;        // the training passes alone
  double total_images_ = 0;
  int last_epoch_ = 0;
  bool stopped_ = false;
};

void Train::open_data(StageContext& ctx) {
  train_ref_ = ctx.input("input");
  train_data_ = image::DatasetView::open(join_path(train_ref_.dir, image::dataset_file_name(train_ref_.output)));
  const auto& data = *train_data_;
  if (data.size() == 0) throw Error("the training set is empty").at(ctx.mark("/input"));
  data.common_shape(&height_, &width_, &channels_);
  if (height_ == 0)
    throw Error("the training images differ in size").at(ctx.mark("/input"))
        .hint("give the clean stage `size: [height, width]`");

  bool has_val = ctx.has_input("val");
  const json& fraction = params_["val_fraction"];
  if (has_val) {
    InputRef v = ctx.input("val");
    val_data_ = image::DatasetView::open(join_path(v.dir, image::dataset_file_name(v.output)));
    if (val_data_->classes() != data.classes())
      throw Error("the validation set's classes differ from the training set's").at(ctx.mark("/val"));
    int h, w, c;
    val_data_->common_shape(&h, &w, &c);
    if (val_data_->size() && (h != height_ || w != width_ || c != channels_))
      throw Error("validation images are " + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) +
                  ", training images " + std::to_string(height_) + "x" + std::to_string(width_) + "x" +
                  std::to_string(channels_)).at(ctx.mark("/val"));
    for (size_t i = 0; i < val_data_->size(); ++i) val_idx_.push_back(static_cast<uint32_t>(i));
    for (size_t i = 0; i < data.size(); ++i) train_idx_.push_back(static_cast<uint32_t>(i));
    val_view_ = &*val_data_;
  } else if (!fraction.is_null()) {
    hold_out(data, fraction.get<double>(), seed_, &train_idx_, &val_idx_);
    val_view_ = &data;
  } else {
    for (size_t i = 0; i < data.size(); ++i) train_idx_.push_back(static_cast<uint32_t>(i));
  }
  if (train_idx_.empty()) throw Error("no training samples left after the validation hold-out");

  std::string mode = params_["normalize"].get<std::string>();
  if (mode == "standardize")  // from the training samples only, never validation or test
    norm_ = standardize_stats(DatasetViewSource(data), train_idx_, height_, width_, channels_);
  else
    norm_ = Normalization(mode, {}, {});
}

void Train::build_net(StageContext& ctx) {
  layers_ = model_layers(Param(params_, [&ctx](const std::string& pointer) { return ctx.mark(pointer); }));
  const auto& classes = train_data_->classes();
  try {
    net_ = nn::Net::build(layers_, nn::InputShape{channels_, height_, width_}, static_cast<int>(classes.size()),
                          seed_, threads_);
  } catch (Error& e) {
    throw e.at(ctx.mark(params_["layers"].is_null() ? "/model" : "/layers"));
  }
  try {
    net_->set_optimizer(params_["optimizer"]);
  } catch (Error& e) {
    throw e.at(ctx.mark("/optimizer"));
  }
  json loss = json::object();
  const json& l = params_["loss"];
  if (!l.is_null()) {
    loss["label_smoothing"] = l["label_smoothing"];
    auto w = class_weights(l["class_weights"], *train_data_, train_idx_, ctx.mark("/loss/class_weights").str());
    if (!w.empty()) loss["class_weights"] = w;
  }
  try {
    net_->set_loss({{"cross_entropy", loss}});
  } catch (Error& e) {
    throw e.at(ctx.mark("/loss"));
  }
  int batch = params_["batch"].get<int>();
  net_->set_steps_per_epoch(static_cast<int>((train_idx_.size() + batch - 1) / batch));

  // Transfer: copy matching layers from another run's model or a checkpoint file.
  if (params_["init_from"].is_string()) {
    // A file or a run, as the schema resolved it (and as the cache key counts it).
    std::string src = params_["init_from"].get<std::string>();
    Mark m = ctx.mark("/init_from");
    std::string file;
    if (names_file(src)) {
      file = src;
      init_info_ = {{"file", file}};
    } else {
      InputRef other;
      try {
        other = ctx.run_artifact(src, "train");
      } catch (Error& e) {
        throw e.at(m).hint("init_from takes a run (id, prefix or name) or a .safetensors file");
      }
      file = join_path(other.dir, "model.safetensors");
      init_info_ = {{"run", src}, {"key", other.key}};
    }
    auto only = params_["init_layers"].get<std::vector<std::string>>();
    try {
      net_->load_weights_from(file, only, only.empty());
    } catch (Error& e) {
      throw e.at(m);
    }
    ctx.log("initialised from " + (init_info_.contains("run") ? "run " + src : display_path(file)));
  }
  auto frozen = params_["freeze"].get<std::vector<std::string>>();
  if (!frozen.empty()) {
    try {
      net_->freeze(frozen);
    } catch (Error& e) {
      throw e.at(ctx.mark("/freeze"));
    }
  }
}

// After epoch `epoch`: the weights, optimizer and RNG state (epoch-<k>.safetensors),
// then state.json, which names the files and is the commit point.
void Train::save_checkpoint(StageContext& ctx, int epoch) {
  std::string work = ctx.work_dir();
  std::string weights = "epoch-" + std::to_string(epoch) + ".safetensors";
  net_->save(join_path(work, weights), {{"epoch", epoch}});
  json state = {{"version", 1},
                {"epoch", epoch},
                {"weights", weights},
                {"best_weights", best_file_},
                {"history", history_},
                {"train_seconds", train_seconds_},
                {"step_seconds", step_seconds_},
                {"images", total_images_},
                {"stopped", stopped_}};
  if (early_) state["early_stopping"] = early_->state();
  if (plateau_) state["reduce_lr_on_plateau"] = plateau_->state();
  if (best_) state["best"] = best_->state();
  ctx.disk().write_file(join_path(work, "state.json"), state.dump());
  // Older files are garbage once state.json no longer names them.
  for (const auto& e : fs::directory_iterator(work)) {
    std::string name = e.path().filename().string();
    bool ours = name.rfind("epoch-", 0) == 0 || name.rfind("best-", 0) == 0;
    if (ours && name != weights && name != best_file_) fs::remove(e.path());
  }
}

bool Train::resume(StageContext& ctx) {
  std::string file = join_path(ctx.work_dir(), "state.json");
  if (!fs::exists(file)) return false;
  json state;
  try {
    state = json::parse(ctx.disk().read_file(file));
    if (state.at("version") != 1) return false;
  } catch (const json::exception&) {
    return false;  // unreadable: start over
  }
  net_->load(join_path(ctx.work_dir(), state.at("weights").get<std::string>()));
  last_epoch_ = state.at("epoch").get<int>();
  best_file_ = state.at("best_weights").get<std::string>();
  history_ = state.at("history");
  train_seconds_ = state.at("train_seconds").get<double>();
  step_seconds_ = state.at("step_seconds").get<double>();
  total_images_ = state.at("images").get<double>();
  stopped_ = state.at("stopped").get<bool>();
  if (early_) early_->restore(state.at("early_stopping"));
  if (plateau_) plateau_->restore(state.at("reduce_lr_on_plateau"));
  if (best_) best_->restore(state.at("best"));
  for (const auto& row : history_) ctx.epoch(row);  // idempotent: rows are keyed by epoch
  ctx.log("resuming train from epoch " + std::to_string(last_epoch_ + 1));
  return true;
}

void Train::run(StageContext& ctx) {
  params_ = ctx.params();
  seed_ = static_cast<uint64_t>(ctx.seed());
  threads_ = std::max(1, ctx.threads());
  omp_set_num_threads(threads_);  // OpenMP's count is per thread: set it on the stage's own

  // The parameters were checked with the schema (check_train) when the pipeline was read.
  const int epochs = params_["epochs"].get<int>();
  const int batch = params_["batch"].get<int>();
  const Param param(params_, [&ctx](const std::string& pointer) { return ctx.mark(pointer); });

  early_.reset();
  if (auto m = monitor_of(param, "early_stopping")) {
    const json& c = params_["early_stopping"];
    early_.emplace(*m, c["patience"].get<int>(), c["restore_best"].get<bool>());
  }
  if (auto m = monitor_of(param, "reduce_lr_on_plateau")) {
    const json& c = params_["reduce_lr_on_plateau"];
    plateau_.emplace(*m, c["factor"].get<double>(), c["patience"].get<int>(), c["cooldown"].get<int>(),
                     c["min_lr"].get<double>());
  }
  if (auto m = monitor_of(param, "checkpoint")) best_.emplace(*m);
  else if (early_ && early_->restore_best()) best_.emplace(early_->monitor());

  open_data(ctx);
  bool has_val = val_view_ != nullptr;

  build_net(ctx);
  ctx.disk().write_file(ctx.output_path("summary.txt"), net_->summary());

  OnlineAugmentation augment = online_augmentation(train_ref_.dir);
  if (augment.transform) ctx.log("online augmentation from " + train_ref_.stage);
  DatasetViewSource train_source(*train_data_);
  BatchLoader loader(train_source, height_, width_, channels_, norm_, batch, augment.transform);
  const uint64_t augment_seed = derive_seed(seed_, kAugment, augment.seed);
  std::optional<DatasetViewSource> val_source;
  std::unique_ptr<BatchLoader> val_loader;
  if (has_val) {
    val_source.emplace(*val_view_);
    val_loader = std::make_unique<BatchLoader>(*val_source, height_, width_, channels_, norm_, batch);
  }

  resume(ctx);
  Progress& progress = ctx.progress();
  const int batches = static_cast<int>((train_idx_.size() + batch - 1) / batch);
  std::vector<uint32_t> order;
  for (int epoch = last_epoch_ + 1; epoch <= epochs && !stopped_; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    order = train_idx_;
    if (params_["shuffle"].get<bool>()) shuffle(order, derive_seed(seed_, kShuffle, epoch));
    loader.start(order, derive_seed(augment_seed, kAugment, epoch));
    const double lr = net_->lr();
    const std::string label = ctx.stage_id() + " epoch " + std::to_string(epoch) + "/" + std::to_string(epochs);
    double loss_sum = 0;
    long correct = 0, seen = 0;
    Batch b;
    while (loader.next(&b)) {
      nn::StepStats s = net_->train_step(b.x, b.labels, b.n);
      if (!std::isfinite(s.loss_sum))
        throw Error("training diverged: the loss is " + std::string(std::isnan(s.loss_sum) ? "nan" : "inf") +
                    " at epoch " + std::to_string(epoch) + ", batch " + std::to_string(b.index + 1) + " of " +
                    std::to_string(batches))
            .hint("lower the learning rate or set clip_norm in the optimizer; the checkpoint of epoch " +
                  std::to_string(epoch - 1) + " is kept");
      loss_sum += s.loss_sum;
      correct += s.correct;
      seen += s.n;
      if (progress.is_tty() && b.index + 1 < batches) {
        double t = elapsed(t0);
        progress.bar(label, b.index + 1, batches, "batches",
                     "loss " + num(loss_sum / seen) + " acc " + num(static_cast<double>(correct) / seen) + " " +
                         num(t > 0 ? seen / t : 0, 0) + " img/s");
      }
    }
    const double train_time = elapsed(t0);
    EpochMetrics m = {{"train_loss", loss_sum / seen}, {"train_accuracy", static_cast<double>(correct) / seen}};
    if (has_val) {
      val_loader->start(val_idx_, 0);
      double vloss = 0;
      long vcorrect = 0, vseen = 0;
      while (val_loader->next(&b)) {
        nn::StepStats s = net_->predict(b.x, b.n, nullptr, b.labels);
        vloss += s.loss_sum;
        vcorrect += s.correct;
        vseen += s.n;
      }
      if (vseen) {
        m["val_loss"] = vloss / vseen;
        m["val_accuracy"] = static_cast<double>(vcorrect) / vseen;
      }
    }
    const double seconds = elapsed(t0);
    train_seconds_ += seconds;
    step_seconds_ += train_time;
    total_images_ += seen;
    auto get = [&](const char* k) { return m.count(k) ? m[k] : NAN; };
    json row = {{"epoch", epoch},
                {"train_loss", or_null(get("train_loss"))},
                {"train_accuracy", or_null(get("train_accuracy"))},
                {"val_loss", or_null(get("val_loss"))},
                {"val_accuracy", or_null(get("val_accuracy"))},
                {"lr", lr},
                {"seconds", seconds},
                {"images_per_second", train_time > 0 ? seen / train_time : 0.0}};
    history_.push_back(row);
    ctx.epoch(row);

    if (best_ && best_->update(epoch, m)) {
      best_file_ = "best-" + std::to_string(epoch) + ".safetensors";
      net_->save(join_path(ctx.work_dir(), best_file_), {{"epoch", epoch}});
    }
    if (early_ && early_->update(epoch, m)) stopped_ = true;
    std::string note;
    if (plateau_) {
      double factor = plateau_->update(m, net_->lr());
      if (factor < 1) {
        net_->set_lr(net_->lr() * factor);
        note = "  lr → " + num(net_->lr(), 6);
      }
    }
    last_epoch_ = epoch;
    save_checkpoint(ctx, epoch);

    std::string summary = "loss " + num(get("train_loss")) + "  acc " + num(get("train_accuracy"));
    if (has_val) summary += "  val_loss " + num(get("val_loss")) + "  val_acc " + num(get("val_accuracy"));
    summary += "  lr " + num(lr, 6) + note;
    if (stopped_) summary += "  (early stop: best epoch " + std::to_string(early_->best_epoch()) + ")";
    // One line per epoch: on a terminal the finished bar, else a plain line.
    if (progress.is_tty())
      progress.bar(label, batches, batches, "batches", summary);
    else
      ctx.log("epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + "  " + summary + "  " +
              format_seconds(seconds) + "  " + num(row["images_per_second"], 0) + " img/s");
  }
  finish(ctx);
}

void Train::finish(StageContext& ctx) {
  // The kept weights: the best epoch's when a best is tracked, else the last.
  int kept = last_epoch_;
  if (best_ && best_->best_epoch() > 0 && !best_file_.empty() && best_->best_epoch() != last_epoch_) {
    net_->load(join_path(ctx.work_dir(), best_file_));
    kept = best_->best_epoch();
    ctx.log("keeping the weights of epoch " + std::to_string(kept) + " (best " + best_->monitor().metric + ")");
  }
  ModelInfo info;
  info.layers = layers_;
  info.input = nn::InputShape{channels_, height_, width_};
  info.classes = train_data_->classes();
  info.normalization = norm_;
  info.preprocess = upstream_preprocess(train_ref_.dir);
  info.last_conv_layer = net_->last_conv_layer();
  info.extra = {{"params", net_->param_count()},
                {"seed", seed_},
                {"epochs", last_epoch_},
                {"best_epoch", kept},
                {"train_samples", train_idx_.size()},
                {"val_samples", val_idx_.size()}};
  if (!init_info_.is_null()) info.extra["init_from"] = init_info_;
  net_->save(ctx.output_path("model.safetensors"), {{"epoch", kept}});
  ctx.disk().write_file(ctx.output_path("model.json"), info.to_json().dump(2));

  const json& row = history_.at(kept - 1);
  auto value = [&](const char* k) { return row[k].is_number() ? row[k].get<double>() : NAN; };
  ctx.metric("epochs", last_epoch_);
  ctx.metric("best_epoch", kept);
  ctx.metric("seconds", train_seconds_);
  ctx.metric("params", static_cast<double>(net_->param_count()));
  ctx.metric("images_per_second", step_seconds_ > 0 ? total_images_ / step_seconds_ : 0);
  ctx.metric("train_loss", value("train_loss"));
  ctx.metric("train_accuracy", value("train_accuracy"));
  ctx.metric("val_loss", value("val_loss"));
  ctx.metric("val_accuracy", value("val_accuracy"));
  ctx.table("summary", net_->summary());
}

}  // namespace

StageKind train_stage_kind() {
  auto monitor_keys = [](const char* default_metric) {
    return std::vector<Field>{
        string_field("monitor", default_metric, "val_loss | val_accuracy | train_loss | train_accuracy"),
        one_of("mode", {"auto", "min", "max"}, "auto", "auto: max for accuracy, min for loss")};
  };
  Schema early{monitor_keys("val_loss")};
  early.fields.push_back(at_least(integer("patience", 0, "epochs without improvement before stopping"), 0));
  early.fields.push_back(at_least(number("min_delta", 0.0, "smallest change that counts as an improvement"), 0));
  early.fields.push_back(boolean("restore_best", true, "keep the best epoch's weights"));
  Schema plateau{monitor_keys("val_loss")};
  plateau.fields.push_back(strictly_between(number("factor", 0.1, "multiply the learning rate by this"), 0, 1));
  plateau.fields.push_back(at_least(integer("patience", 10, "epochs without improvement before reducing"), 0));
  plateau.fields.push_back(at_least(number("min_delta", 1e-4, "smallest change that counts as an improvement"), 0));
  plateau.fields.push_back(at_least(integer("cooldown", 0, "epochs to wait after a reduction"), 0));
  plateau.fields.push_back(at_least(number("min_lr", 0.0, "never below this"), 0));
  Schema best{monitor_keys("val_loss")};
  Schema loss{{below(number("label_smoothing", 0.0, "share of the target spread over the other classes"), 0, 1),
               any("class_weights", nullptr, "auto | [w per class] | {class: w}")}};
  Field freeze = list_of("freeze", string_field("freeze", nullptr, "layer name"), json::array(),
                         "layer names whose weights stay fixed");
  freeze.scalar_as_list = true;
  Field init_layers = list_of("init_layers", string_field("init_layers", nullptr, "layer name"), json::array(),
                              "layers copied by init_from (default: every matching one)");
  init_layers.scalar_as_list = true;
  Schema schema{{
      required(input("input", "the training set, e.g. split.train or an augment stage")),
      input("val", "a validation set, e.g. split.val (never the test split)"),
      strictly_between(
          number("val_fraction", nullptr, "hold out this fraction of the training set (stratified) for validation"),
          0, 1),
      file_or_any("model", "a model file with `layers:` (relative to this YAML file) or inline layers"),
      any("layers", nullptr, "an inline layer list (instead of model:)"),
      one_of("normalize", {"scale", "standardize", "none"}, "scale",
             "scale: x/255; standardize: mean/std per channel of the training data; none"),
      at_least(integer("epochs", 10, "passes over the training set"), 1),
      at_least(integer("batch", 32, "samples per optimizer step"), 1),
      boolean("shuffle", true, "a seeded new order every epoch"),
      any("optimizer", json{{"adam", {{"lr", 0.001}}}}, "{adam: {lr: 0.001}} | {sgd: {...}} | ... (stages/nn/net.h)"),
      mapping("loss", loss, "label_smoothing, class_weights"),
      mapping("early_stopping", early, "stop when the monitored metric stops improving"),
      mapping("reduce_lr_on_plateau", plateau, "lower the learning rate when the monitored metric stalls"),
      mapping("checkpoint", best, "keep the weights of the best epoch by a monitored metric"),
      file_or_run("init_from", "train", "a run (id, prefix or name) or a .safetensors file to start from"),
      init_layers,
      freeze,
      integer("seed", nullptr, "default: the pipeline's seed"),
  }};
  schema.check = check_train;
  return {"train", 2, "trains a network on a dataset", schema, {}, true, [] { return std::make_unique<Train>(); }};
}

}  // namespace pipe

