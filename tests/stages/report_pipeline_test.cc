// The pipe binary from image files to a report: ingest → clean → split →
// train (a tiny CNN) → evaluate → report on synthetic images, then the report
// files and figures, the copy an unchanged re-run gets, and `pipe compare`
// reading each run's parameters from the store after the YAML file changed.
// Skipped when the binary is absent.
#include "engine/posix.h"  // first: see posix.h

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "engine/store.h"
#include "stages/run_records.h"
#include "tests/stages/data_fixture.h"
#include "tests/stages/pipe_cli.h"
#include "tests/temp_folder.h"

namespace fs = std::filesystem;
using pipe::testing::slurp;
using json = nlohmann::json;
using pipe::data_testing::Folder;

namespace {

using Result = pipe::testing::CliResult;

Result pipe_cmd(const Folder& f, const std::string& args) {
  return pipe::testing::run_pipe(f.path(), args + " --results results");
}

// Three classes of 16×16 gray images, dark ink on light paper: a bar on the
// left, a bar on the right, a bar along the top; positions jitter.
void write_images(const Folder& f, int per_class) {
  std::mt19937_64 rng(5);
  for (const std::string cls : {"left", "right", "top"})
    for (int i = 0; i < per_class; ++i) {
      cv::Mat img(16, 16, CV_8UC1, cv::Scalar(225 + static_cast<int>(rng() % 20)));
      int j = static_cast<int>(rng() % 3);
      cv::Rect bar = cls == "left" ? cv::Rect(1 + j, 3, 4, 10) : cls == "right" ? cv::Rect(11 - j, 3, 4, 10)
                                                                                 : cv::Rect(3, 1 + j, 10, 4);
      cv::rectangle(img, bar, cv::Scalar(20 + static_cast<int>(rng() % 30)), cv::FILLED);
      cv::imwrite(f.at("data/" + cls + "/" + std::to_string(i) + ".png"), img);
    }
}

std::string pipeline(int epochs, int gallery) {
  return "name: tiny\n"
         "seed: 11\n"
         "stages:\n"
         "  - { id: ingest, kind: ingest, source: { path: data } }\n"
         "  - { id: clean, kind: clean, input: ingest, invert: auto, size: [12, 12] }\n"
         "  - id: split\n"
         "    kind: split\n"
         "    input: clean\n"
         "    fractions: { train: 0.5, val: 0.2, test: 0.3 }\n"
         "  - id: train\n"
         "    kind: train\n"
         "    input: split.train\n"
         "    val: split.val\n"
         "    layers:\n"
         "      - conv: { filters: 4, kernel: 3, padding: same, activation: relu }\n"
         "      - maxpool: 2\n"
         "      - flatten\n"
         "      - dense: { units: 3, activation: softmax }\n"
         "    epochs: " + std::to_string(epochs) + "\n"
         "    batch: 8\n"
         "    optimizer: { adam: { lr: 0.02 } }\n"
         "  - { id: evaluate, kind: evaluate, model: train, input: split.test }\n"
         "  - { id: report, kind: report, input: evaluate, samples: 3, gallery: " + std::to_string(gallery) + " }\n";
}

// The PNG files report.md links to, in order.
std::vector<std::string> linked_pngs(const std::string& md) {
  std::vector<std::string> out;
  std::regex link(R"(\]\(([a-z_0-9]+\.png)\))");
  for (auto it = std::sregex_iterator(md.begin(), md.end(), link); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

}  // namespace

TEST_CASE("a tiny CNN run through the whole pipeline gets a full report; a cached re-run gets a copy",
          "[report][cli]") {
  if (!fs::exists(PIPE_BIN)) {
    WARN("pipe binary not built: " << PIPE_BIN);
    return;
  }
  Folder f;
  write_images(f, 14);
  std::ofstream(f.at("tiny.yaml")) << pipeline(2, 24);

  Result first = pipe_cmd(f, "run tiny.yaml --threads 1");
  INFO(first.err);
  REQUIRE(first.code == 0);
  CHECK(first.out.find(" tiny done") != std::string::npos);
  const fs::path reports = fs::path(f.path()) / "results" / "reports";
  const fs::path dir = reports / "tiny";
  REQUIRE(fs::exists(dir / "report.html"));

  std::string html = slurp(dir / "report.html");
  for (const char* id : {"summary", "stages", "parameters", "data", "environment", "learning-curves",
                         "confusion-matrix", "classification-report", "most-confused", "misclassified", "top-k",
                         "grad-cam"}) {
    INFO(id);
    CHECK(html.find(std::string("<section id=\"") + id + "\"") != std::string::npos);
  }
  CHECK(html.find("<svg") != std::string::npos);  // figures inline
  for (const char* cls : {"left", "right", "top"}) CHECK(html.find(cls) != std::string::npos);
  CHECK(html.find("class=\"note\"") == std::string::npos);  // its own report: no note

  std::string md = slurp(dir / "report.md");
  for (const char* title : {"## Summary", "## Parameters", "## Learning curves", "## Confusion matrix",
                            "## Classification report", "## Grad-CAM"})
    CHECK(md.find(title) != std::string::npos);
  CHECK(md.find("**train.epochs**: 2") != std::string::npos);  // parameters as the store recorded them

  // Every figure is a real picture: it decodes as PNG and is not one flat colour.
  std::vector<std::string> pngs = linked_pngs(md);
  std::set<std::string> names(pngs.begin(), pngs.end());
  for (const char* must : {"learning_curves.png", "confusion_counts.png", "confusion_normalized.png",
                           "class_scores.png", "top_k.png", "grad_cam.png"})
    CHECK(names.count(must) == 1);
  for (const auto& png : pngs) {
    INFO(png);
    std::string bytes = slurp(dir / png);
    REQUIRE(bytes.size() > 8);
    CHECK(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    cv::Mat img = cv::imread((dir / png).string(), cv::IMREAD_GRAYSCALE);
    REQUIRE_FALSE(img.empty());
    CHECK(img.cols >= 100);
    CHECK(img.rows >= 60);
    cv::Scalar mean, stddev;
    cv::meanStdDev(img, mean, stddev);
    CHECK(stddev[0] > 5.0);
  }

  // An unchanged re-run takes every stage from the cache and still gets its report.
  Result second = pipe_cmd(f, "run tiny.yaml --threads 1");
  INFO(second.err);
  REQUIRE(second.code == 0);
  CHECK(second.out.find(" tiny#2 done") != std::string::npos);
  Result show = pipe_cmd(f, "show 'tiny#2' --format json");
  REQUIRE(show.code == 0);
  json shown = json::parse(show.out);
  for (const auto& s : shown["stages"]) CHECK(s["status"] == "cached");
  const fs::path copy = reports / "tiny#2";
  REQUIRE(fs::exists(copy / "report.html"));
  std::string copied = slurp(copy / "report.html");
  // The copy says whose report it is, and is otherwise the same.
  CHECK(copied.find("<p class=\"note\">Copied for run tiny#2 (") != std::string::npos);
  CHECK(copied.find("it was written by run tiny (") != std::string::npos);
  CHECK(copied.size() > html.size());
  CHECK(copied.find(html.substr(html.find("<section id=\"summary\""))) != std::string::npos);
  CHECK(slurp(copy / "report.md").find("> **Note:** Copied for run tiny#2 (") != std::string::npos);
  for (const auto& png : pngs) CHECK(slurp(copy / png) == slurp(dir / png));
  CHECK(second.err.find("copied from tiny") != std::string::npos);

  // `pipe report` writes the run's own report over the copy.
  Result own = pipe_cmd(f, "report 'tiny#2'");
  INFO(own.err);
  REQUIRE(own.code == 0);
  std::string rewritten = slurp(copy / "report.html");
  CHECK(rewritten.find("class=\"note\"") == std::string::npos);
  CHECK(rewritten.find(shown["id"].get<std::string>()) != std::string::npos);

  // After the YAML changes, compare shows what each run ran with, not what the file says now.
  std::ofstream(f.at("tiny.yaml")) << pipeline(1, 5);
  Result third = pipe_cmd(f, "run tiny.yaml --threads 1");
  INFO(third.err);
  REQUIRE(third.code == 0);
  std::ofstream(f.at("tiny.yaml")) << pipeline(3, 7);  // and once more, never run
  Result cmp = pipe_cmd(f, "compare tiny#1 tiny#3 --format json");
  INFO(cmp.err);
  REQUIRE(cmp.code == 0);
  json c = json::parse(cmp.out);
  std::map<std::string, json> params;
  for (const auto& p : c["parameters"]) params[p["name"]] = p;
  REQUIRE(params.count("train.epochs") == 1);
  CHECK(params["train.epochs"]["values"] == json({"2", "1"}));
  CHECK(params["train.epochs"]["differs"] == true);
  CHECK(params["report.gallery"]["values"] == json({"24", "5"}));
  CHECK(params["train.optimizer.adam.lr"]["values"] == json({"0.02", "0.02"}));
  CHECK(params["train.optimizer.adam.lr"]["differs"] == false);
  CHECK(c["parameters"][0]["differs"] == true);  // differences first
  for (const auto& r : c["runs"]) CHECK(r["note"].is_null());  // parameters recorded: nothing to say
  CHECK(c["paired_refused"].is_null());  // the same test split: paired tests apply
}

TEST_CASE("malformed inputs to report, compare and predict give clear errors", "[report][cli]") {
  if (!fs::exists(PIPE_BIN)) {
    WARN("pipe binary not built: " << PIPE_BIN);
    return;
  }
  Folder f;
  write_images(f, 8);
  std::ofstream(f.at("tiny.yaml")) << pipeline(1, 4);
  Result run = pipe_cmd(f, "run tiny.yaml --threads 1");
  INFO(run.err);
  REQUIRE(run.code == 0);
  auto expect = [&](const std::string& args, int code, const std::string& message) {
    Result r = pipe_cmd(f, args);
    INFO(args << "\n" << r.err);
    CHECK(r.code == code);
    CHECK(r.err.find(message) != std::string::npos);
    CHECK(r.err.find("pipe: error: ") != std::string::npos);
  };
  expect("report nosuch", 2, "no run 'nosuch'");
  expect("compare tiny tiny#1", 2, "compare needs at least two runs, got 1");
  std::ofstream(f.at("other.yaml")) << "name: other\nstages:\n  - { id: ingest, kind: ingest, source: { path: data } }\n";
  expect("compare tiny other.yaml", 2, "no run of this file has been recorded");
  REQUIRE(pipe_cmd(f, "run tiny.yaml --threads 1").code == 0);
  expect("compare tiny#1 tiny#2 --resamples 10", 2, "--resamples must be at least 100");
  expect("compare tiny#1 tiny#2 --format xml", 2, "--format");
  expect("predict tiny nowhere", 2, "nowhere: no such file or folder");
  std::ofstream(f.at("list.csv")) << "file,label\ndata/left/0.png,left\n";
  expect("predict tiny list.csv", 2, "the manifest header has no `path` column");
  std::ofstream(f.at("broken/a.png")) << "not a png";
  expect("predict tiny broken", 2, "no image could be read (1 skipped, see the warnings above)");
  expect("predict tiny data/left --top-k 0", 2, "--top-k: must be at least 1");

  // A report stage fed by something other than an evaluation fails at its key.
  std::string wrong = pipeline(1, 4);
  wrong.replace(wrong.find("input: evaluate,"), 16, "input: train,");
  std::ofstream(f.at("wrong.yaml")) << wrong;
  Result bad = pipe_cmd(f, "run wrong.yaml --threads 1");
  CHECK(bad.code == 1);
  CHECK(bad.err.find("tiny.yaml") == std::string::npos);
  CHECK(bad.err.find("wrong.yaml:23:") != std::string::npos);
  CHECK(bad.err.find("input: expected an evaluate stage, got a train stage") != std::string::npos);
}

TEST_CASE("run parameters come from the store, flattened as --set names them", "[report]") {
  Folder f;
  std::ofstream(f.at("p.yaml")) << "name: p\nstages:\n  - { id: clean, kind: clean, input: x, size: [9, 9] }\n";
  auto store = std::make_unique<pipe::Store>(f.path() + "/results");
  pipe::RunRecord r;
  r.base_name = "p";
  r.file = f.path() + "/p.yaml";
  r.status = "done";
  r.seed = 4;
  r = store->create_run(r);
  pipe::StageRunRecord s;
  s.run_id = r.id, s.stage_id = "clean", s.kind = "clean", s.key = "k", s.status = "ran";
  s.params = {{"size", {12, 12}}, {"invert", "auto"}, {"prefix", ""}, {"none", nullptr},
              {"optimizer", {{"adam", {{"lr", 0.001}}}}}, {"layers", {"flatten", {{"dense", {{"units", 3}}}}}}};
  store->put_stage_run(s);
  std::string note = "unset";
  auto params = pipe::run_parameters(*store, r, &note);
  CHECK(note.empty());
  CHECK(params.at("clean.size") == "[12, 12]");  // what it ran with, not the file's [9, 9]
  CHECK(params.at("clean.invert") == "auto");
  CHECK(params.at("clean.prefix") == "\"\"");
  CHECK(params.at("clean.none") == "null");
  CHECK(params.at("clean.optimizer.adam.lr") == "0.001");
  CHECK(params.at("clean.layers") == "[flatten, {dense: {units: 3}}]");
  CHECK(params.at("seed") == "4");

  // A run recorded before the store kept parameters: the file, read again, and a note that says so.
  s.params = nullptr;
  store->put_stage_run(s);
  params = pipe::run_parameters(*store, r, &note);
  CHECK(note.find("read again from") != std::string::npos);
  CHECK(params.count("clean.size") == 1);
}
