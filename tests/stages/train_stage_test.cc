// The train and evaluate stages run directly on tiny synthetic datasets, one
// thread: learning, normalisation statistics from the training data only,
// callbacks acting at the right epoch, divergence errors, transfer with
// frozen layers, and a killed training resuming bit-exactly.
#include "engine/posix.h"  // first: see posix.h

#include <spawn.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/error.h"
#include "stages/evaluate.h"
#include "stages/model_io.h"
#include "stages/train.h"
#include "tests/stages/train_fixture.h"

extern char** environ;

using namespace pipe;
using namespace pipe::testing;
using json = nlohmann::json;

namespace {

const std::string kDense = R"(
input: data
layers:
  - flatten
  - dense: { units: 8, activation: relu, name: hidden }
  - dense: { units: 2, activation: softmax, name: head }
batch: 16
)";

json read_json(const std::string& file) {
  std::ifstream in(file);
  return json::parse(in);
}

void run_stage(const StageKind& kind, StageContext& ctx) { kind.create()->run(ctx); }

// Every parameter of a trained model, by name.
std::map<std::string, std::vector<float>> weights_of(const std::string& dir) {
  auto m = TrainedModel::load(dir, 1);
  std::map<std::string, std::vector<float>> out;
  for (const auto& name : m->net().param_names()) out[name] = m->net().get_param(name);
  return out;
}

// The resume test's training, shared by the parent and the killed child:
// online augmentation, dropout, standardisation, a hold-out, LR reductions and
// a best checkpoint, so every piece of state the checkpoint carries matters.
const std::string kResumeYaml = R"(
input: data
val_fraction: 0.25
layers:
  - conv: { filters: 4, kernel: 3, padding: same, activation: relu }
  - maxpool: 2
  - flatten
  - dropout: 0.3
  - dense: { units: 2, activation: softmax }
normalize: standardize
epochs: 5
batch: 8
optimizer: { adam: { lr: 0.01 } }
reduce_lr_on_plateau: { monitor: train_loss, patience: 1, factor: 0.5, min_delta: 0.5 }
checkpoint: { monitor: val_accuracy }
)";

// Trains the resume configuration in root/{data,out,work}; with kill_after > 0
// the process SIGKILLs itself once that epoch's checkpoint is written.
TestContext& resume_training(const std::string& root, int kill_after, std::unique_ptr<TestContext>* holder) {
  std::filesystem::create_directories(root + "/data");
  std::filesystem::create_directories(root + "/out");
  std::filesystem::create_directories(root + "/work");
  if (!std::filesystem::exists(root + "/data/dataset.bin")) {
    write_set(root + "/data", blobs(24, 6, 6, 7));
    std::ofstream(root + "/data/augment.json")
        << R"({"version": 1, "online": true, "seed": 3, "ops": [{"rotate": 15}, {"shift": 0.1}, {"noise": 0.05}]})";
  }
  *holder = std::make_unique<TestContext>(train_stage_kind(), kResumeYaml, root + "/out", root + "/work");
  TestContext& ctx = **holder;
  ctx.bind("input", root + "/data");
  if (kill_after > 0)
    ctx.on_log = [kill_after](const std::string& line) {
      if (line.rfind("epoch " + std::to_string(kill_after) + "/", 0) == 0) ::kill(::getpid(), SIGKILL);
    };
  run_stage(train_stage_kind(), ctx);
  return ctx;
}

}  // namespace

TEST_CASE("train learns separable images and evaluate scores the kept model") {
  TempDir t;
  write_set(t.dir("data"), blobs(40, 8, 8, 1));
  write_set(t.dir("split"), blobs(10, 8, 8, 2), "val");
  TestContext ctx(train_stage_kind(), kDense + "val: split.val\nepochs: 6\noptimizer: {adam: {lr: 0.01}}\n",
                  t.dir("out"), t.dir("work"));
  ctx.bind("input", t.path() + "/data");
  ctx.bind("val", t.path() + "/split", "val");
  run_stage(train_stage_kind(), ctx);

  CHECK(ctx.epochs.size() == 6);
  CHECK(ctx.metrics["epochs"] == 6);
  CHECK(ctx.metrics["val_accuracy"].get<double>() > 0.9);
  CHECK(ctx.metrics["params"] == 64 * 8 + 8 + 8 * 2 + 2);
  json row = ctx.epochs["3"];
  for (const char* k : {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
                        "images_per_second"})
    CHECK(row[k].is_number());
  json model = read_json(t.path() + "/out/model.json");
  CHECK(model["classes"] == json({"left", "right"}));
  CHECK(model["input"] == json({{"channels", 1}, {"height", 8}, {"width", 8}}));
  CHECK(model["normalize"]["mode"] == "scale");
  CHECK(std::filesystem::exists(t.path() + "/out/summary.txt"));

  TestContext ev(evaluate_stage_kind(), "model: train\ninput: split.val\n", t.dir("eval"), t.dir("ework"), 800,
                 "evaluate");
  ev.bind("model", t.path() + "/out", "", "train", "trainkey");
  ev.bind("input", t.path() + "/split", "val", "split", "splitkey");
  run_stage(evaluate_stage_kind(), ev);
  // Same weights, same images: evaluate sees what the last validation saw.
  CHECK(ev.metrics["accuracy"].get<double>() == Approx(ctx.metrics["val_accuracy"].get<double>()));
  CHECK(ev.metrics["loss"].get<double>() == Approx(ctx.metrics["val_loss"].get<double>()).epsilon(1e-4));
  CHECK(ev.tables["per_class"].size() == 2);
  CHECK(ev.tables["confusion"]["matrix"].size() == 2);
  REQUIRE(ev.tables["predictions"].size() == 20);
  json p = ev.tables["predictions"][3];
  CHECK(p["path"] == "right/3.png");
  CHECK(p["true"] == "right");
  CHECK(p["top"].size() == 2);
  CHECK(ev.tables["test_set"] == json({{"key", "splitkey.val"}, {"n", 20}}));
}

TEST_CASE("standardisation statistics come from the training data only") {
  TempDir t;
  image::Dataset train = blobs(10, 4, 4, 3);
  write_set(t.dir("data"), train);
  write_set(t.dir("split"), blobs(10, 4, 4, 4, 90), "val");  // much brighter
  TestContext ctx(train_stage_kind(), kDense + "val: split.val\nepochs: 1\nnormalize: standardize\n", t.dir("out"),
                  t.dir("work"));
  ctx.bind("input", t.path() + "/data");
  ctx.bind("val", t.path() + "/split", "val");
  run_stage(train_stage_kind(), ctx);
  double sum = 0, sum2 = 0, n = 0;
  for (const auto& s : train.samples)
    for (uint8_t v : s.pixels) {
      sum += v / 255.0;
      sum2 += (v / 255.0) * (v / 255.0);
      ++n;
    }
  double mean = sum / n, std = std::sqrt(sum2 / n - mean * mean);
  json norm = read_json(t.path() + "/out/model.json")["normalize"];
  CHECK(norm["mode"] == "standardize");
  CHECK(norm["mean"][0].get<double>() == Approx(mean).epsilon(1e-9));
  CHECK(norm["std"][0].get<double>() == Approx(std).epsilon(1e-9));
}

TEST_CASE("early stopping stops patience epochs after the last improvement") {
  TempDir t;
  write_set(t.dir("data"), blobs(8, 4, 4, 5));
  // A learning rate of 0 keeps the loss constant: epoch 1 is the only improvement.
  TestContext ctx(train_stage_kind(),
                  kDense + "val_fraction: 0.25\nepochs: 10\noptimizer: {sgd: {lr: 0.0}}\n"
                           "early_stopping: {monitor: val_loss, patience: 2}\n",
                  t.dir("out"), t.dir("work"));
  ctx.bind("input", t.path() + "/data");
  run_stage(train_stage_kind(), ctx);
  CHECK(ctx.metrics["epochs"] == 3);
  CHECK(ctx.metrics["best_epoch"] == 1);
  CHECK(ctx.epochs.size() == 3);
}

TEST_CASE("reduce-LR-on-plateau lowers the learning rate the net uses") {
  TempDir t;
  write_set(t.dir("data"), blobs(8, 4, 4, 5));
  TestContext ctx(train_stage_kind(),
                  kDense + "epochs: 4\noptimizer: {sgd: {lr: 1.0e-9}}\n"
                           "reduce_lr_on_plateau: {monitor: train_loss, patience: 1, factor: 0.5}\n",
                  t.dir("out"), t.dir("work"));
  ctx.bind("input", t.path() + "/data");
  run_stage(train_stage_kind(), ctx);
  // Epoch 1 sets the best; 2 and 3 do not improve by min_delta: reduced after each.
  CHECK(ctx.epochs["1"]["lr"].get<double>() == Approx(1e-9));
  CHECK(ctx.epochs["2"]["lr"].get<double>() == Approx(1e-9));
  CHECK(ctx.epochs["3"]["lr"].get<double>() == Approx(5e-10));
  CHECK(ctx.epochs["4"]["lr"].get<double>() == Approx(2.5e-10));
}

// The configuration error (line, then hint) of train parameters, checked
// when they are read: nothing has run yet.
std::string train_params_error(const std::string& yaml) {
  TempDir t;
  try {
    TestContext ctx(train_stage_kind(), yaml, t.dir("out"), t.dir("work"));
  } catch (const Error& e) {
    return (e.kind() == ErrorKind::kConfig ? "" : "not a config error: ") + e.line() + "\n  " + e.hint_text();
  }
  return "";
}

TEST_CASE("train parameters are checked when they are read before anything runs") {
  CHECK(train_params_error(kDense) == "");
  CHECK(train_params_error(kDense + "epochs: -3\n") ==
        "test.yaml:8:9: epochs: must be at least 1 (got -3)\n  allowed: an integer ≥ 1");
  CHECK(train_params_error("input: data\nlayers: [flatten]\nbatch: 0\n") ==
        "test.yaml:3:8: batch: must be at least 1 (got 0)\n  allowed: an integer ≥ 1");
  CHECK(train_params_error(kDense + "val_fraction: 1.5\n") ==
        "test.yaml:8:15: val_fraction: must be between 0 and 1, both excluded (got 1.5)\n"
        "  allowed: a number > 0 and < 1");
  CHECK(train_params_error(kDense + "val_fraction: 0.2\nreduce_lr_on_plateau: {monitor: train_loss, factor: 2}\n") ==
        "test.yaml:9:53: reduce_lr_on_plateau.factor: must be between 0 and 1, both excluded (got 2)\n"
        "  allowed: a number > 0 and < 1");
  CHECK(train_params_error(kDense + "early_stopping: {patience: -1}\n") ==
        "test.yaml:8:28: early_stopping.patience: must be at least 0 (got -1)\n  allowed: an integer ≥ 0");
  CHECK(train_params_error(kDense + "loss: {label_smoothing: 1}\n") ==
        "test.yaml:8:25: loss.label_smoothing: must be between 0 and 1, 1 excluded (got 1)\n"
        "  allowed: a number ≥ 0 and < 1");
  // Rules between keys.
  CHECK(train_params_error("input: data\nepochs: 2\n") ==
        "test.yaml:1:1: no model: give `model:` (a model file or inline layers) or `layers:`\n"
        "  layers: [ flatten, {dense: {units: 10}} ] or model: models/cnn.yaml");
  CHECK(train_params_error(kDense + "model: [flatten]\n") ==
        "test.yaml:4:3: layers: give either `model:` or `layers:`, not both\n  keep one of them");
  CHECK(train_params_error(kDense + "val: split.val\nval_fraction: 0.1\n") ==
        "test.yaml:9:15: val_fraction: give either `val:` or `val_fraction:`, not both\n  keep one of them");
  CHECK(train_params_error("input: split.test\nlayers: [flatten]\n") ==
        "test.yaml:1:8: input: train must not see the test split\n  train on split.train");
  CHECK(train_params_error(kDense + "val: split.test\n") ==
        "test.yaml:8:6: val: validation must not use the test split\n"
        "  use split.val, or val_fraction: to hold out part of the training set");
  CHECK(train_params_error(kDense + "early_stopping: {monitor: val_accuracy}\n") ==
        "test.yaml:8:27: early_stopping.monitor: cannot monitor val_accuracy without a validation set\n"
        "  add `val: split.val` or `val_fraction: 0.1`, or monitor train_loss");
  CHECK(train_params_error(kDense + "checkpoint: {monitor: val_acc}\n") ==
        "test.yaml:8:23: cannot monitor 'val_acc'\n"
        "  monitor one of: val_loss, val_accuracy, train_loss, train_accuracy");
  CHECK(train_params_error(kDense + "optimizer: {adamm: {lr: 0.1}}\n") ==
        "test.yaml:8:12: unknown optimizer 'adamm'\n  allowed: sgd, adam, adamw, rmsprop");
  CHECK(train_params_error(kDense + "loss: {class_weights: [1, -2]}\n") ==
        "test.yaml:8:23: loss.class_weights: expected auto, a list of numbers ≥ 0 or a {class: weight} map\n"
        "  class_weights: auto | [1.0, 2.5, ...] (one per class) | {cat: 2.0}");
  CHECK(train_params_error("input: data\nlayers: {conv: 3}\n") ==
        "test.yaml:2:9: a model is a list of layers\n  layers: [ {conv: {filters: 32, kernel: 3}}, ... ]");
  // Each layer's kind, options and name, before the data's shape is known.
  CHECK(train_params_error("input: data\nlayers: [flatten, {dense: {units: 2, activaton: relu}}]\n") ==
        "test.yaml:2:9: layer 2 (dense_1): unknown key 'activaton' for dense\n  allowed: units, bias, activation, "
        "kernel_initializer, bias_initializer, name");
  CHECK(train_params_error("input: data\nlayers: [flaten]\n") == "test.yaml:2:9: layer 1: unknown layer 'flaten'\n  allowed: conv2d, maxpool, avgpool, global_avgpool, dense, "
        "flatten, reshape, dropout, batchnorm, relu, leaky_relu, elu, tanh, sigmoid, gelu, softmax, activation, "
        "simple_rnn, lstm, gru");
  CHECK(train_params_error("input: data\nlayers: [{conv: {filters: 0}}]\n") ==
        "test.yaml:2:9: layer 1 (conv2d_1): filters must be >= 1\n  ");
}

TEST_CASE("a diverging loss stops training with the epoch and batch") {
  TempDir t;
  write_set(t.dir("data"), blobs(16, 4, 4, 5));
  // Huge class weights and learning rate: the weights overflow within the first epoch.
  TestContext ctx(train_stage_kind(),
                  kDense + "epochs: 3\nloss: {class_weights: [1.0e+38, 1.0e+38]}\noptimizer: {sgd: {lr: 1000}}\n",
                  t.dir("out"), t.dir("work"));
  ctx.bind("input", t.path() + "/data");
  try {
    run_stage(train_stage_kind(), ctx);
    FAIL("no error");
  } catch (const Error& e) {
    std::string m = e.message();
    INFO(m);
    CHECK(m.find("training diverged") != std::string::npos);
    CHECK(m.find("at epoch 1, batch ") != std::string::npos);
    CHECK(e.hint_text().find("learning rate") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(t.path() + "/out/model.json"));
}

TEST_CASE("init_from copies another model's layers and freeze keeps them fixed") {
  TempDir t;
  write_set(t.dir("data"), blobs(16, 4, 4, 5));
  TestContext a(train_stage_kind(), kDense + "epochs: 2\n", t.dir("a"), t.dir("awork"));
  a.bind("input", t.path() + "/data");
  run_stage(train_stage_kind(), a);
  auto wa = weights_of(t.path() + "/a");

  TestContext b(train_stage_kind(), kDense + "epochs: 2\ninit_from: first\nfreeze: hidden\nseed: 5\n", t.dir("b"),
                t.dir("bwork"));
  b.bind("input", t.path() + "/data");
  b.add_run("first", t.path() + "/a");
  run_stage(train_stage_kind(), b);
  auto wb = weights_of(t.path() + "/b");
  CHECK(wb["hidden.weight"] == wa["hidden.weight"]);
  CHECK(wb["hidden.bias"] == wa["hidden.bias"]);
  CHECK(wb["head.weight"] != wa["head.weight"]);  // copied, then trained on
  CHECK(read_json(t.path() + "/b/model.json")["init_from"]["run"] == "first");

  // A checkpoint file works too.
  TestContext c(train_stage_kind(),
                kDense + "epochs: 1\ninit_from: " + t.path() + "/a/model.safetensors\nfreeze: [hidden, head]\n",
                t.dir("c"), t.dir("cwork"));
  c.bind("input", t.path() + "/data");
  run_stage(train_stage_kind(), c);
  CHECK(weights_of(t.path() + "/c") == wa);
}

// Run by the resume test in a child process (hidden from normal runs).
TEST_CASE("train resume child", "[.resume-child]") {
  const char* root = std::getenv("PIPE_TRAIN_RESUME_ROOT");
  REQUIRE(root);
  std::unique_ptr<TestContext> ctx;
  resume_training(root, std::atoi(std::getenv("PIPE_TRAIN_RESUME_KILL")), &ctx);
}

TEST_CASE("a killed training resumes from its last epoch and ends bit-exactly where an uninterrupted one does") {
  TempDir straight, killed;
  std::unique_ptr<TestContext> a;
  resume_training(straight.path(), 0, &a);

  // The same training in a child process that kills itself after epoch 2.
  std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string env_root = "PIPE_TRAIN_RESUME_ROOT=" + killed.path();
  std::string env_kill = "PIPE_TRAIN_RESUME_KILL=2";
  std::vector<char*> env = {env_root.data(), env_kill.data(), const_cast<char*>("OMP_NUM_THREADS=1"), nullptr};
  std::string name = "train resume child";
  std::vector<char*> argv = {exe.data(), name.data(), nullptr};
  pid_t pid;
  REQUIRE(posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv.data(), env.data()) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  REQUIRE(std::filesystem::exists(killed.path() + "/work/state.json"));
  CHECK(read_json(killed.path() + "/work/state.json")["epoch"] == 2);

  std::unique_ptr<TestContext> b;
  resume_training(killed.path(), 0, &b);
  bool said = false, augmented = false;
  for (const auto& l : b->logs) {
    said |= l == "resuming train from epoch 3";
    augmented |= l.find("online augmentation") != std::string::npos;
  }
  CHECK(said);
  CHECK(augmented);
  CHECK(weights_of(straight.path() + "/out") == weights_of(killed.path() + "/out"));
  REQUIRE(b->epochs.size() == 5);
  for (int e = 1; e <= 5; ++e)
    for (const char* k : {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"})
      CHECK(a->epochs[std::to_string(e)][k] == b->epochs[std::to_string(e)][k]);
  CHECK(a->metrics["best_epoch"] == b->metrics["best_epoch"]);
}
