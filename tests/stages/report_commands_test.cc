// `pipe compare`, `pipe report` and the run records behind them, end to end
// on fake records in a temporary results folder: runs with split, train and
// evaluate stages as those stages record them, and a test set on disk.
#include "engine/posix.h"  // first: see posix.h

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/paths.h"
#include "engine/store.h"
#include "report/stats.h"
#include "stages/image/dataset.h"
#include "stages/run_records.h"
#include "tests/stages/pipe_cli.h"
#include "tests/temp_folder.h"

using json = nlohmann::json;
namespace fs = std::filesystem;
using pipe::testing::slurp;

namespace {

const std::vector<std::string> kClasses{"Latin", "Greek", "Cyrillic"};
constexpr int kTest = 30;

struct Results {
  fs::path dir;
  std::unique_ptr<pipe::Store> store;
  Results() {
    dir = fs::temp_directory_path() / ("pipe_report_cmd_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    store = std::make_unique<pipe::Store>(dir.string());
  }
  ~Results() {
    store.reset();
    fs::remove_all(dir);
  }
};

// A test set of kTest 8x8 gray images, class i % 3, written as split stage `key`.
void write_split(pipe::Store& store, const std::string& key) {
  pipe::image::Dataset data;
  data.classes = kClasses;
  for (int i = 0; i < kTest; ++i) {
    pipe::image::Sample s;
    s.label = i % 3;
    s.height = s.width = 8;
    s.channels = 1;
    s.path = "test/" + std::to_string(i) + ".png";
    for (int p = 0; p < 64; ++p) s.pixels.push_back(static_cast<uint8_t>((p * 7 + i * 13) % 256));
    data.samples.push_back(s);
  }
  fs::create_directories(store.artifact_dir(key));
  pipe::image::write_dataset(pipe::join_path(store.artifact_dir(key), "test.bin"), data);
  data.samples.resize(12);
  pipe::image::write_dataset(pipe::join_path(store.artifact_dir(key), "train.bin"), data);
}

// A finished run whose model gets the test images in `wrong` wrong (predicting the next class).
pipe::RunRecord add_run(pipe::Store& store, const std::string& name, const std::string& variant, long long seed,
                        const std::string& split_key, const std::vector<int>& wrong, json overrides,
                        json train_params = nullptr) {
  pipe::RunRecord r;
  r.base_name = name;
  r.experiment = "exp";
  r.variant = variant;
  r.seed = seed;
  r.file = "/nonexistent/experiment.yaml";
  r.status = "running";
  r.overrides = std::move(overrides);
  r = store.create_run(r);
  auto stage = [&](const std::string& id, const std::string& kind, const std::string& key, int pos) {
    pipe::StageRunRecord s;
    s.run_id = r.id, s.stage_id = id, s.kind = kind, s.key = key, s.status = "ran", s.position = pos;
    return s;
  };
  store.publish({split_key, "split", json::object(), 0.1}, json::object(), stage("split", "split", split_key, 0));

  std::string train_key = "train-" + r.id;
  pipe::StageRunRecord train = stage("train", "train", train_key, 1);
  train.params = std::move(train_params);
  store.publish({train_key, "train",
                 {{"epochs", 3}, {"best_epoch", 2}, {"seconds", 12.5}, {"params", 1234}, {"images_per_second", 900}},
                 1},
                json::object(), train);
  for (int e = 1; e <= 3; ++e)
    store.put_epoch(train_key, {{"epoch", e}, {"train_loss", 1.0 / e}, {"train_accuracy", 1 - 0.3 / e},
                                {"val_loss", 1.1 / e}, {"val_accuracy", 1 - 0.35 / e}, {"lr", 0.001}, {"seconds", 4}});

  std::vector<int> truth, pred;
  json predictions = json::array();
  for (int i = 0; i < kTest; ++i) {
    bool bad = std::find(wrong.begin(), wrong.end(), i) != wrong.end();
    int t = i % 3, p = bad ? (t + 1) % 3 : t;
    truth.push_back(t), pred.push_back(p);
    predictions.push_back({{"path", "test/" + std::to_string(i) + ".png"}, {"true", kClasses[t]},
                           {"pred", kClasses[p]}, {"p", 0.9},
                           {"top", {{{"class", kClasses[p]}, {"p", 0.9}}, {{"class", kClasses[(p + 1) % 3]}, {"p", 0.1}}}}});
  }
  auto m = pipe::report::confusion_matrix(truth, pred, 3);
  auto cr = pipe::report::classification_report(m, kClasses);
  json per_class = json::array();
  for (const auto& c : cr.classes)
    per_class.push_back({{"class", c.name}, {"precision", c.precision}, {"recall", c.recall}, {"f1", c.f1},
                         {"support", c.support}});
  std::string eval_key = "eval-" + r.id;
  json tables = {{"per_class", per_class},
                 {"confusion", {{"classes", kClasses}, {"matrix", m}}},
                 {"predictions", predictions},
                 {"test_set", {{"key", split_key + ".test"}, {"n", kTest}}}};
  store.publish({eval_key, "evaluate",
                 {{"accuracy", cr.accuracy}, {"loss", 0.3}, {"macro_f1", cr.macro_f1}, {"weighted_f1", cr.weighted_f1},
                  {"top_k_accuracy", 1.0}, {"ece", 0.05}},
                 0.2},
                tables, stage("evaluate", "evaluate", eval_key, 2));
  store.finish_run(r.id, "done", "");
  return store.find_run(r.id);
}

struct Output {
  int code = -1;
  std::string out;
};

Output pipe_cmd(const fs::path& results, const std::string& args) {
  std::string cmd = std::string(PIPE_BIN) + " " + args + " --results " + results.string() + " 2>/dev/null";
  Output o;
  FILE* f = ::popen(cmd.c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) o.out.append(buf, n);
  int status = ::pclose(f);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

}  // namespace

TEST_CASE("pipe compare on two runs of the same test set: deltas and paired tests", "[report]") {
  Results res;
  write_split(*res.store, "splitA");
  // A wrong on 0..7, B wrong on 6..8: b = {8}, c = {0..5}; P(X <= 1 | n = 7) = 8/128, two-sided 16/128.
  auto a = add_run(*res.store, "exp/mlp", "mlp", 800, "splitA", {0, 1, 2, 3, 4, 5, 6, 7}, {{"train.model", "mlp.yaml"}});
  auto b = add_run(*res.store, "exp/cnn", "cnn", 800, "splitA", {6, 7, 8}, {{"train.model", "cnn.yaml"}});

  Output o = pipe_cmd(res.dir, "compare " + a.name + " " + b.id + " --format json");
  REQUIRE(o.code == 0);
  json j = json::parse(o.out);
  REQUIRE(j["runs"].size() == 2);
  CHECK(j["runs"][1]["id"] == b.id);
  CHECK(j["mcnemar"]["b"] == 1);
  CHECK(j["mcnemar"]["c"] == 6);
  CHECK(j["mcnemar"]["p_value"].get<double>() == Approx(16.0 / 128));
  CHECK(j["bootstrap"]["difference"].get<double>() == Approx(5.0 / kTest));
  CHECK(j["bootstrap"]["ci95"].size() == 2);
  CHECK(j["paired_refused"].is_null());
  REQUIRE(j["per_class"].size() == 3);
  CHECK(j["per_class"][0]["delta"][1].is_number());
  // The parameter that differs comes first; the file is gone, so the note says overrides only.
  CHECK(j["parameters"][0]["name"] == "train.model");
  CHECK(j["parameters"][0]["differs"] == true);
  CHECK(j["runs"][0]["note"].get<std::string>().find("overrides only") != std::string::npos);
  for (const auto& m : j["metrics"])
    if (m["name"] == "train_seconds") CHECK(m["values"][0] == 12.5);

  Output text = pipe_cmd(res.dir, "compare " + a.name + " " + b.name);
  CHECK(text.code == 0);
  CHECK(text.out.find("McNemar") != std::string::npos);
  CHECK(text.out.find("\x1b[") == std::string::npos);  // not a terminal: no colour
  Output md = pipe_cmd(res.dir, "compare " + a.name + " " + b.name + " --format md --only-diff");
  CHECK(md.code == 0);
  CHECK(md.out.find("## Metrics") != std::string::npos);
  CHECK(md.out.find("| seed | 800") == std::string::npos);  // same seed: not a difference
  Output csv = pipe_cmd(res.dir, "compare " + a.name + " " + b.name + " --format csv");
  CHECK(csv.out.rfind("section,name,", 0) == 0);
}

TEST_CASE("pipe compare refuses paired tests across test sets and needs two runs", "[report]") {
  Results res;
  write_split(*res.store, "splitA");
  write_split(*res.store, "splitB");
  auto a = add_run(*res.store, "exp/mlp", "mlp", 800, "splitA", {0, 1}, json::object());
  auto c = add_run(*res.store, "exp/cnn", "cnn", 800, "splitB", {0}, json::object());
  Output o = pipe_cmd(res.dir, "compare " + a.name + " " + c.name + " --format json");
  REQUIRE(o.code == 0);
  json j = json::parse(o.out);
  CHECK(j["mcnemar"].is_null());
  CHECK(j["bootstrap"].is_null());
  CHECK(j["paired_refused"].get<std::string>().find("different test sets") != std::string::npos);

  CHECK(pipe_cmd(res.dir, "compare " + a.name).code == 2);
  CHECK(pipe_cmd(res.dir, "compare " + a.name + " nosuchrun").code == 2);
  CHECK(pipe_cmd(res.dir, "compare " + a.name + " " + c.name + " --format xml").code == 2);
}

TEST_CASE("pipe compare hides parameters equal in all runs and at the train stage's defaults", "[report]") {
  Results res;
  write_split(*res.store, "splitA");
  // As the train stage records them: validated, defaults filled, its seed the run's.
  json params = {{"model", "/m/mlp.yaml"}, {"batch", 64},      {"epochs", 10},   {"shuffle", true},
                 {"normalize", "scale"},   {"seed", 800},      {"layers", nullptr},
                 {"optimizer", {{"adam", {{"lr", 0.001}}}}}};
  auto a = add_run(*res.store, "exp/mlp", "mlp", 800, "splitA", {0, 1}, json::object(), params);
  params["model"] = "/m/cnn.yaml";
  auto b = add_run(*res.store, "exp/cnn", "cnn", 800, "splitA", {0}, json::object(), params);
  std::string runs = "compare " + a.name + " " + b.name;

  Output text = pipe_cmd(res.dir, runs);
  REQUIRE(text.code == 0);
  auto params_section = text.out.substr(0, text.out.find("\nMetrics\n"));
  auto row = [&](const std::string& name) { return params_section.find("\n" + name + " "); };
  CHECK(row("train.model") < row("train.batch"));  // the difference first
  CHECK(row("train.batch") != std::string::npos);  // equal, but not the default 32
  CHECK(row("seed") != std::string::npos);         // the run's seed is no stage default
  for (const char* hidden : {"train.epochs", "train.shuffle", "train.normalize", "train.seed", "train.layers",
                             "train.optimizer.adam.lr"})
    CHECK(row(hidden) == std::string::npos);
  const std::string line = "(6 parameters at their defaults and equal in all runs are hidden; --all shows them)";
  CHECK(params_section.find("\n" + line + "\n") != std::string::npos);

  Output all = pipe_cmd(res.dir, runs + " --all");
  REQUIRE(all.code == 0);
  CHECK(all.out.find("train.optimizer.adam.lr") != std::string::npos);
  CHECK(all.out.find("train.epochs") != std::string::npos);
  CHECK(all.out.find("are hidden") == std::string::npos);

  Output only = pipe_cmd(res.dir, runs + " --only-diff --format md");
  REQUIRE(only.code == 0);
  CHECK(only.out.find("train.model") != std::string::npos);
  CHECK(only.out.find("train.batch") == std::string::npos);

  Output csv = pipe_cmd(res.dir, runs + " --format csv");
  CHECK(csv.out.find("parameter,train.batch,64,64") != std::string::npos);
  CHECK(csv.out.find("train.epochs") == std::string::npos);

  Output o = pipe_cmd(res.dir, runs + " --format json");
  REQUIRE(o.code == 0);
  json j = json::parse(o.out);
  REQUIRE(j["parameters"].size() == 9);  // all eight train keys and the run's seed
  CHECK(j["parameters"][0]["name"] == "train.model");
  int at_default = 0;
  for (const auto& p : j["parameters"]) at_default += p["at_default"].get<bool>();
  CHECK(at_default == 6);
}

TEST_CASE("pipe compare shows mean and std over seeds", "[report]") {
  Results res;
  write_split(*res.store, "splitA");
  add_run(*res.store, "exp/cnn/seed1", "cnn", 1, "splitA", {0}, json::object());
  add_run(*res.store, "exp/cnn/seed2", "cnn", 2, "splitA", {0, 1, 2}, json::object());
  Output o = pipe_cmd(res.dir, "compare exp/cnn/seed1 exp/cnn/seed2 --format json");
  REQUIRE(o.code == 0);
  json j = json::parse(o.out);
  REQUIRE(j["seeds"].size() == 1);
  CHECK(j["seeds"][0]["group"] == "exp/cnn");
  CHECK(j["seeds"][0]["metrics"]["accuracy"]["mean"].get<double>() == Approx((29.0 + 27.0) / 2 / kTest));
  // The seed is the parameter that differs.
  CHECK(j["parameters"][0]["name"] == "seed");
}

TEST_CASE("pipe report writes html and md with figures from the stored records", "[report]") {
  Results res;
  write_split(*res.store, "splitA");
  auto a = add_run(*res.store, "exp/mlp", "mlp", 800, "splitA", {0, 1, 2, 4}, json::object());
  fs::path out = res.dir / "my_report";
  Output o = pipe_cmd(res.dir, "report " + a.name + " --out " + out.string());
  REQUIRE(o.code == 0);
  CHECK(o.out.find("report.html") != std::string::npos);
  std::string html = slurp(out / "report.html");
  for (const char* id : {"summary", "stages", "data", "learning-curves", "confusion-matrix", "classification-report",
                         "most-confused", "misclassified", "top-k", "grad-cam"})
    CHECK(html.find(std::string("<section id=\"") + id + "\"") != std::string::npos);
  for (const char* png : {"learning_curves.png", "confusion_counts.png", "confusion_normalized.png", "class_scores.png",
                          "misclassified.png", "top_k.png"})
    CHECK(fs::exists(out / png));
  std::string md = slurp(out / "report.md");
  CHECK(md.find("most confident of") == std::string::npos);  // the gallery shows all four
  CHECK(md.find("](misclassified.png)") != std::string::npos);

  // The data behind it: counts from the split's files, history, gallery.
  auto in = pipe::run_report_input(*res.store, a, {});
  REQUIRE(in.split_names.size() == 2);
  CHECK(in.split_names[0] == "train");
  CHECK(in.split_names[1] == "test");
  CHECK(in.counts[0][1] == kTest / 3);
  CHECK(in.history.epoch.size() == 3);
  CHECK(in.history.best_epoch == 2);
  CHECK(in.misclassified.size() == 4);
  CHECK(in.misclassified_total == 4);
  CHECK(in.topk.size() == 3);  // one per class
  CHECK(in.gradcam.empty());   // the fake train stage has no model files
  CHECK_FALSE(in.gradcam_note.empty());

  // A folder that cannot be made is a wrong --out (exit 2), found before any work.
  auto with_err = [&](const std::string& args) {
    return pipe::testing::run_pipe(res.dir.string(), args + " --results " + res.dir.string());
  };
  pipe::testing::CliResult proc = with_err("report " + a.name + " --out /proc/x");
  CHECK(proc.code == 2);
  CHECK(proc.err == "pipe: error: --out /proc/x: cannot create the folder: No such file or directory\n"
                    "  give --out a folder you can write to\n");
  pipe::testing::CliResult file = with_err("report " + a.name + " --out " + (out / "report.md").string());
  CHECK(file.code == 2);
  CHECK(file.err == "pipe: error: --out " + (out / "report.md").string() +
                        ": is a file, not a folder\n  --out names the folder report.html goes into\n");

  // Default folder: results/reports/<run name>/.
  Output d = pipe_cmd(res.dir, "report " + a.name);
  CHECK(d.code == 0);
  CHECK(fs::exists(res.dir / "reports" / "exp" / "mlp" / "report.html"));
}

TEST_CASE("seed groups and parameters of runs", "[report]") {
  pipe::RunRecord r;
  r.name = r.base_name = "demo/seed7";
  CHECK(pipe::seed_group(r) == "demo");
  r.experiment = "exp", r.variant = "cnn", r.point = 2;
  CHECK(pipe::seed_group(r) == "exp/cnn/p2");
  r.file = "/nonexistent.yaml";
  r.seed = 7;
  r.overrides = {{"train.epochs", 3}};
  std::string note;
  auto params = pipe::file_parameters(r, &note);
  CHECK(params.at("train.epochs") == "3");
  CHECK(params.at("seed") == "7");
  CHECK(note.find("overrides only") != std::string::npos);
}
