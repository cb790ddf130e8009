// The pipe binary end to end on a tiny image folder: ingest → clean → split →
// train → evaluate, then `pipe evaluate` and `pipe predict` on new image files
// through the run's stored preprocessing.  Skipped when the binary is absent.
#include "engine/posix.h"  // first: see posix.h

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/stages/pipe_cli.h"
#include "tests/stages/train_fixture.h"

using json = nlohmann::json;
using pipe::testing::TempDir;

namespace {

using Result = pipe::testing::CliResult;
using pipe::testing::run_pipe;

// Dark ink on a light ground, 20×20: "left" has a bar on the left, "right" on
// the right.  The clean stage inverts and shrinks them.
void write_images(const std::string& dir, const std::string& cls, int n, uint64_t seed) {
  std::filesystem::create_directories(dir + "/" + cls);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < n; ++i) {
    cv::Mat img(20, 20, CV_8UC1, cv::Scalar(230));
    int x0 = (cls == "left" ? 2 : 12) + static_cast<int>(rng() % 3);
    cv::rectangle(img, cv::Rect(x0, 3 + static_cast<int>(rng() % 3), 4, 12), cv::Scalar(20), cv::FILLED);
    cv::imwrite(dir + "/" + cls + "/" + std::to_string(i) + ".png", img);
  }
}

const char* kPipeline = R"(name: tiny
seed: 3
stages:
  - id: ingest
    kind: ingest
    source: { path: data }
  - id: clean
    kind: clean
    input: ingest
    invert: auto
    size: [8, 8]
  - id: split
    kind: split
    input: clean
    fractions: { train: 0.6, val: 0.2, test: 0.2 }
  - id: train
    kind: train
    input: split.train
    val: split.val
    layers: [flatten, { dense: { units: 2, activation: softmax } }]
    normalize: standardize
    epochs: 4
    batch: 8
    optimizer: { adam: { lr: 0.05 } }
  - id: evaluate
    kind: evaluate
    model: train
    input: split.test
)";

}  // namespace

TEST_CASE("pipe evaluate and pipe predict score new image files through the run's preprocessing") {
  if (!std::filesystem::exists(PIPE_BIN)) {
    WARN("pipe binary not built: " << PIPE_BIN);
    return;
  }
  TempDir t;
  const std::string root = t.path();
  write_images(root + "/data", "left", 20, 1);
  write_images(root + "/data", "right", 20, 2);
  std::ofstream(root + "/tiny.yaml") << kPipeline;

  Result run = run_pipe(root, "run tiny.yaml --threads 1");
  INFO(run.err);
  REQUIRE(run.code == 0);
  Result show = run_pipe(root, "show tiny --format json");
  REQUIRE(show.code == 0);
  json detail = json::parse(show.out);
  CHECK(detail["epochs"].size() == 4);

  // New images: the same two kinds, drawn differently, plus a file that is no image.
  write_images(root + "/new", "left", 6, 11);
  write_images(root + "/new", "right", 4, 12);
  std::ofstream(root + "/new/right/broken.png") << "not a png";
  Result ev = run_pipe(root, "evaluate tiny new --format json");
  INFO(ev.err);
  REQUIRE(ev.code == 0);
  json e = json::parse(ev.out);
  std::vector<std::string> keys;
  for (auto it = e.begin(); it != e.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"accuracy", "confusion", "loss", "macro_f1", "n", "per_class", "run",
                                         "skipped"});
  CHECK(e["n"] == 10);
  CHECK(e["skipped"] == 1);
  CHECK(e["accuracy"].get<double>() >= 0.9);
  CHECK(e["confusion"]["classes"] == json({"left", "right"}));
  CHECK(e["per_class"][1]["support"] == 4);
  CHECK(ev.err.find("broken.png") != std::string::npos);

  // A class the model was trained on may be missing from the new data.
  std::filesystem::remove_all(root + "/new/right");
  Result only_left = run_pipe(root, "evaluate tiny new --format json");
  REQUIRE(only_left.code == 0);
  CHECK(json::parse(only_left.out)["per_class"][1]["support"] == 0);

  // A class it never saw is a clear error.
  write_images(root + "/new", "up", 2, 13);
  Result unknown = run_pipe(root, "evaluate tiny new");
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("class 'up'") != std::string::npos);

  Result pred = run_pipe(root, "predict tiny new/left --format json --top-k 1");
  INFO(pred.err);
  REQUIRE(pred.code == 0);
  json p = json::parse(pred.out);
  REQUIRE(p.size() == 6);
  CHECK(p[0]["path"] == "new/left/0.png");
  REQUIRE(p[0]["top"].size() == 1);
  int left = 0;
  for (const auto& row : p) left += row["top"][0]["class"] == "left";
  CHECK(left >= 5);
  std::ofstream(root + "/new/left/zz-broken.jpg") << "no jpeg";
  Result pred2 = run_pipe(root, "predict tiny new/left");
  CHECK(pred2.code == 0);
  CHECK(pred2.err.find("zz-broken.jpg") != std::string::npos);
  CHECK(pred2.out.rfind("path,rank,class,p\n", 0) == 0);
}

TEST_CASE("wrong arguments to pipe evaluate and pipe predict are usage errors that name the problem") {
  if (!std::filesystem::exists(PIPE_BIN)) {
    WARN("pipe binary not built: " << PIPE_BIN);
    return;
  }
  TempDir t;
  const std::string root = t.path();
  write_images(root + "/data", "left", 20, 1);
  write_images(root + "/data", "right", 20, 2);
  std::ofstream(root + "/tiny.yaml") << kPipeline;
  REQUIRE(run_pipe(root, "run tiny.yaml --threads 1").code == 0);
  std::filesystem::create_directories(root + "/empty");
  Result failed = run_pipe(root, "run tiny.yaml --threads 1 --set ingest.source.path=empty");
  REQUIRE(failed.code == 1);

  // A run whose training never finished.
  Result ev = run_pipe(root, "evaluate tiny+ingest.source.path=empty data");
  CHECK(ev.code == 2);
  CHECK(ev.err ==
        "pipe: error: run 'tiny+ingest.source.path=empty' has no finished train stage\n"
        "  run 'tiny+ingest.source.path=empty' failed; give a run whose training finished (`pipe runs` lists "
        "them with their status)\n");
  // Loose files where class folders belong: the hint names what the command takes, not YAML keys.
  write_images(root + "/flat", "", 2, 3);
  Result flat = run_pipe(root, "evaluate tiny flat");
  CHECK(flat.code == 2);
  CHECK(flat.err == "pipe: error: " + root + "/flat: no class folders in the dataset folder\n"
                    "  pipe evaluate takes a folder DIR/<class>/<file>, a CSV manifest (path,label) or an IDX "
                    "images file with its labels file beside it (x-labels-idx1-ubyte.gz)\n");
  // A file that is no image.
  std::ofstream(root + "/bad.png") << "hi";
  Result bad = run_pipe(root, "predict tiny bad.png");
  CHECK(bad.code == 2);
  CHECK(bad.err == "pipe: warning: bad.png: not an image (unknown file format)\n"
                   "pipe: error: bad.png: no image could be read (1 skipped, see the warnings above)\n"
                   "  give an image file, a folder of images or a CSV manifest with a `path` column\n");
}
