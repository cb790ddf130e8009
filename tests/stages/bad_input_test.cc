// Damaged images and decompression bombs in the data stages and in
// `pipe evaluate` / `pipe predict`: skipped, counted and named, never the end
// of the run; nothing but pipe's own lines on stderr.
#include "engine/posix.h"  // first: see posix.h (zlib.h)

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "stages/clean.h"
#include "stages/image/dataset.h"
#include "stages/ingest.h"
#include "tests/image/helpers.h"
#include "tests/stages/data_fixture.h"
#include "tests/stages/pipe_cli.h"

using namespace pipe;
using namespace pipe::data_testing;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write_text(const std::string& file, const std::string& text) { std::ofstream(file, std::ios::binary) << text; }

// src/a: 5 dark-on-white PNGs, src/b: 5 JPEGs; then the damaged files of
// the report: a JPEG whose header declares 44096 × 64 pixels, a JPEG cut
// short inside its image data, and a 30000 × 30000 PNG of under 1 MB.
void make_damaged_folder(const Folder& f, const std::string& root) {
  for (int i = 0; i < 5; ++i) {
    cv::imwrite(f.at(root + "/a/" + std::to_string(i) + ".png"), glyph(40, 3, 0, 255, i));
    cv::imwrite(f.at(root + "/b/" + std::to_string(i) + ".jpg"), glyph(40, 3, 255, 0, i + 7));
  }
  std::string jpg = image::testing::small_jpeg(64, 48);
  write_text(f.at(root + "/b/wide.jpg"), image::testing::jpeg_declaring(jpg, 44096, 64));
  size_t sos = image::testing::jpeg_marker(jpg, 0xDA);
  write_text(f.at(root + "/b/cut.jpg"), jpg.substr(0, sos + (jpg.size() - sos) / 2) + "\xFF\xD9");
  write_text(f.at(root + "/a/bomb.png"), image::testing::bomb_png(30000));
}

const json kDamagedSkipped = json::parse(R"json([
  {"path": "a/bomb.png", "reason": "image too large (30000 × 30000 pixels; max_pixels is 100000000)"},
  {"path": "b/cut.jpg", "reason": "corrupt JPEG data: premature end of data segment"},
  {"path": "b/wide.jpg", "reason": "corrupt JPEG data: premature end of data segment"}])json");

}  // namespace

TEST_CASE("ingest skips damaged files and bombs, lists them, and goes on", "[data][ingest][bad]") {
  Folder f;
  make_damaged_folder(f, "src");
  StageRun s(ingest_stage_kind(),
             "source: { path: " + f.path() + "/src }\ndecode: gray\nmax_side: 128\nmax_bad_fraction: 0.5", f.dir("out"));
  s.run();
  CHECK(s.metrics["images"] == 10);
  CHECK(s.metrics["skipped"] == 3);
  CHECK(s.tables["skipped"] == kDamagedSkipped);
  CHECK(s.logs == std::vector<std::string>{
                      "skipped a/bomb.png: image too large (30000 × 30000 pixels; max_pixels is 100000000)",
                      "skipped b/cut.jpg: corrupt JPEG data: premature end of data segment",
                      "skipped b/wide.jpg: corrupt JPEG data: premature end of data segment",
                      "3 of 13 files skipped", "10 images, 2 classes"});
  CHECK(image::DatasetView::open(f.path() + "/out/" + image::dataset_file_name("")).size() == 10);
}

TEST_CASE("ingest's max_pixels: smaller limits skip more; it must be at least 1", "[data][ingest][bad]") {
  Folder f;
  make_damaged_folder(f, "src");
  StageRun s(ingest_stage_kind(), "source: { path: " + f.path() + "/src }\nmax_pixels: 1599\nmax_bad_fraction: 1",
             f.dir("out"));
  CHECK_THROWS_WITH(s.run(), Catch::Contains("no images found"));
  CHECK(s.tables["skipped"][0] == json({{"path", "a/0.png"}, {"reason", "image too large (40 × 40 pixels; max_pixels is 1599)"}}));
  Folder g;
  try {
    StageRun bad(ingest_stage_kind(), "source: { path: " + f.path() + "/src }\nmax_pixels: 0", g.dir("out"));
    FAIL("max_pixels: 0 was accepted");
  } catch (const Error& e) {
    CHECK(e.line() == "stage.yaml:2:13: max_pixels: must be at least 1");
    CHECK(e.hint_text() == "the default, 100000000, admits 100-megapixel images");
  }
}

TEST_CASE("clean skips an image its chain fails on and lists it", "[data][clean][bad]") {
  Folder f;
  image::Dataset d;
  d.classes = {"a"};
  for (int i = 0; i < 4; ++i) {
    cv::Mat g = glyph(20, 2, 0, 255, i);
    d.samples.push_back({0, 20, 20, 1, "a/" + std::to_string(i) + ".png", "", {g.data, g.data + g.total()}, ""});
  }
  // Two channels: no colour conversion takes them (a packed dataset may hold any count).
  d.samples.push_back({0, 3, 3, 2, "a/odd.png", "", std::vector<uint8_t>(18, 9), ""});
  fs::create_directories(f.path() + "/in");
  image::write_dataset(f.path() + "/in/" + image::dataset_file_name(""), d);
  StageRun s(clean_stage_kind(), "input: ingest\ncrop: content\nsize: 16", f.dir("clean"));
  s.bind("input", f.path() + "/in");
  s.run();
  CHECK(s.metrics["images"] == 4);
  CHECK(s.metrics["skipped"] == 1);
  REQUIRE(s.tables["skipped"].size() == 1);
  CHECK(s.tables["skipped"][0]["path"] == "a/odd.png");
  CHECK(s.tables["skipped"][0]["reason"] ==
        "OpenCV: Invalid number of channels in input image: 'VScn::contains(scn)' where 'scn' is 2 in CvtHelper");
  CHECK(s.tables["classes"][0]["images"] == 5);
}

namespace {

const char* kTinyPipeline = R"(name: tiny
seed: 3
stages:
  - id: ingest
    kind: ingest
    source: { path: data }
    decode: gray
  - id: clean
    kind: clean
    input: ingest
    size: [8, 8]
  - id: split
    kind: split
    input: clean
    fractions: { train: 0.8, val: 0.2 }
  - id: train
    kind: train
    input: split.train
    val: split.val
    layers: [flatten, { dense: { units: 2, activation: softmax } }]
    epochs: 1
    batch: 4
)";

}  // namespace

TEST_CASE("pipe evaluate and predict skip damaged files and bombs with one warning each", "[cli][bad]") {
  if (!fs::exists(PIPE_BIN)) {
    WARN("pipe binary not built: " << PIPE_BIN);
    return;
  }
  Folder f;
  const std::string root = f.path();
  for (int i = 0; i < 5; ++i) {
    cv::imwrite(f.at("data/a/" + std::to_string(i) + ".png"), glyph(40, 3, 0, 255, i));
    cv::imwrite(f.at("data/b/" + std::to_string(i) + ".png"), glyph(40, 3, 0, 255, i + 7));
  }
  write_text(root + "/tiny.yaml", kTinyPipeline);
  auto run = testing::run_pipe(root, "run tiny.yaml --threads 1");
  INFO(run.err);
  REQUIRE(run.code == 0);

  make_damaged_folder(f, "new");
  auto ev = testing::run_pipe(root, "evaluate tiny new --format json");
  INFO(ev.err);
  REQUIRE(ev.code == 0);
  json e = json::parse(ev.out);
  CHECK(e["n"] == 10);
  CHECK(e["skipped"] == 3);
  CHECK(ev.err ==
        "pipe: warning: a/bomb.png: image too large (30000 × 30000 pixels; max_pixels is 100000000)\n"
        "pipe: warning: b/cut.jpg: corrupt JPEG data: premature end of data segment\n"
        "pipe: warning: b/wide.jpg: corrupt JPEG data: premature end of data segment\n");

  auto small = testing::run_pipe(root, "evaluate tiny new --format json --max-pixels 1600");
  CHECK(small.code == 0);
  CHECK(json::parse(small.out)["skipped"] == 3);
  auto tiny = testing::run_pipe(root, "predict tiny new/b --max-pixels 1599");
  CHECK(tiny.err.rfind("pipe: warning: new/b/0.jpg: image too large (40 × 40 pixels; max_pixels is 1599)\n", 0) == 0);

  auto pred = testing::run_pipe(root, "predict tiny new --format json");
  INFO(pred.err);
  CHECK(pred.code == 0);
  CHECK(json::parse(pred.out).size() == 10);
  CHECK(pred.err ==
        "pipe: warning: new/a/bomb.png: image too large (30000 × 30000 pixels; max_pixels is 100000000)\n"
        "pipe: warning: new/b/cut.jpg: corrupt JPEG data: premature end of data segment\n"
        "pipe: warning: new/b/wide.jpg: corrupt JPEG data: premature end of data segment\n");

  auto bad = testing::run_pipe(root, "evaluate tiny new --max-pixels 0");
  CHECK(bad.code == 2);
  CHECK(bad.err ==
        "pipe: error: --max-pixels: expected a whole number of pixels, at least 1, got '0'\n"
        "  images whose header declares more pixels are skipped; the default is 100000000\n");
}
