// The data stages through the pipe binary: a pipeline over the vendored
// runes, the cache, `pipe samples`, and re-running when a source file changes.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

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

std::map<std::string, std::string> statuses(const Folder& f, const std::string& run) {
  Result r = pipe_cmd(f, "show " + run + " --format json");
  INFO(r.err);
  REQUIRE(r.code == 0);
  std::map<std::string, std::string> out;
  json shown = json::parse(r.out);  // named: a temporary would die before the loop runs
  for (const auto& s : shown["stages"]) out[s["id"].get<std::string>()] = s["status"].get<std::string>();
  REQUIRE_FALSE(out.empty());
  return out;
}

const std::string kExample = std::string(PIPE_SOURCE_DIR) + "/tests/stages/data_example.yaml";

}  // namespace

TEST_CASE("the example pipeline runs, comes from the cache, and shows its samples", "[data][cli]") {
  Folder f;
  Result first = pipe_cmd(f, "run " + kExample + " --threads 2");
  INFO(first.err);
  REQUIRE(first.code == 0);
  CHECK(first.out.find("data_example done") != std::string::npos);
  for (const auto& [id, status] : statuses(f, "data_example")) CHECK(status == "ran");
  REQUIRE(pipe_cmd(f, "run " + kExample + " --threads 2").code == 0);
  for (const auto& [id, status] : statuses(f, "data_example")) CHECK(status == "cached");

  Result sheet = pipe_cmd(f, "samples data_example --per-class 4 --out " + f.path() + "/clean.png");
  INFO(sheet.err);
  REQUIRE(sheet.code == 0);
  CHECK(sheet.out == f.path() + "/clean.png\n");
  cv::Mat png = cv::imread(f.path() + "/clean.png");
  CHECK(png.rows > 16 * 48);  // 16 classes, one row each
  CHECK(png.cols > 4 * 48);

  Result from_yaml = pipe_cmd(f, "samples " + kExample + " --stage split.test --out " + f.path() + "/test.png");
  INFO(from_yaml.err);
  CHECK(from_yaml.code == 0);
  CHECK(fs::exists(f.path() + "/test.png"));
  Result from_file = pipe_cmd(f, "samples " + f.path() + "/nothing.bin --out " + f.path() + "/x.png");
  CHECK(from_file.code == 2);

  // Without --out: ./samples[-STAGE].png, then -2, -3: a second sheet never replaces the first.
  Result one = pipe_cmd(f, "samples data_example --stage clean --per-class 1");
  CHECK(one.out == "samples-clean.png\n");
  Result two = pipe_cmd(f, "samples data_example --stage clean --per-class 1");
  CHECK(two.out == "samples-clean-2.png\n");
  CHECK(fs::exists(f.path() + "/samples-clean.png"));
  CHECK(fs::exists(f.path() + "/samples-clean-2.png"));
  // --out mistakes are found before any work.
  Result folder = pipe_cmd(f, "samples data_example --out " + f.path());
  CHECK(folder.code == 2);
  CHECK(folder.err == "pipe: error: --out " + f.path() + ": is a folder\n  give a file name, e.g. --out " +
                          f.path() + "/samples.png\n");
  Result jpg = pipe_cmd(f, "samples data_example --out sheet.jpg");
  CHECK(jpg.code == 2);
  CHECK(jpg.err == "pipe: error: --out sheet.jpg: the sheet is written as PNG, not .jpg\n"
                   "  name the file .png, e.g. --out sheet.png\n");
  CHECK_FALSE(fs::exists(f.path() + "/sheet.jpg"));
  Result nowhere = pipe_cmd(f, "samples data_example --out no/such/sheet.png");
  CHECK(nowhere.code == 2);
  CHECK(nowhere.err == "pipe: error: --out no/such/sheet.png: no folder no/such\n"
                       "  create it first, or write the sheet elsewhere\n");

  Result wrong = pipe_cmd(f, "samples data_example --stage nope");
  CHECK(wrong.code == 2);
  CHECK(wrong.err.find("augment") != std::string::npos);  // lists the run's stages
}

TEST_CASE("pipe samples FILE before anything ran points to pipe run --until", "[data][cli]") {
  Folder f;
  Result early = pipe_cmd(f, "samples " + kExample + " --stage clean --out " + f.path() + "/clean.png");
  CHECK(early.code == 2);
  CHECK(early.err.find("stage 'clean' has not run with the current settings of") != std::string::npos);
  CHECK(early.err.find("--until clean` first") != std::string::npos);
  Result data_only = pipe_cmd(f, "run " + kExample + " --until clean");
  INFO(data_only.err);
  REQUIRE(data_only.code == 0);
  std::map<std::string, std::string> ran = statuses(f, "data_example");
  CHECK(ran == std::map<std::string, std::string>{{"ingest", "ran"}, {"clean", "ran"}});
  Result sheet = pipe_cmd(f, "samples " + kExample + " --stage clean --out " + f.path() + "/clean.png");
  INFO(sheet.err);
  CHECK(sheet.code == 0);
  CHECK(fs::exists(f.path() + "/clean.png"));
}

TEST_CASE("a changed source file re-runs ingest and the stages after it", "[data][cli]") {
  Folder f;
  for (const char* rune : {"ar", "fe", "ur"}) {
    int k = 0;
    for (const auto& e : fs::directory_iterator(std::string(PIPE_SOURCE_DIR) + "/data/runes/" + rune))
      if (k++ < 6) fs::copy_file(e.path(), f.at(std::string("runes/") + rune + "/" + e.path().filename().string()));
  }
  std::ofstream(f.at("p.yaml")) << "name: small\nstages:\n"
                                   "  - { id: ingest, kind: ingest, source: { path: runes } }\n"
                                   "  - { id: clean, kind: clean, input: ingest, crop: content, size: 16 }\n"
                                   "  - { id: split, kind: split, input: clean, fractions: { train: 0.5, test: 0.5 } }\n";
  REQUIRE(pipe_cmd(f, "run " + f.path() + "/p.yaml").code == 0);
  REQUIRE(pipe_cmd(f, "run " + f.path() + "/p.yaml").code == 0);
  CHECK(statuses(f, "small")["ingest"] == "cached");
  // Same size, new content: the content hash decides.
  std::string victim;
  for (const auto& e : fs::directory_iterator(f.path() + "/runes/fe")) victim = e.path().string();
  cv::Mat img = cv::imread(victim, cv::IMREAD_GRAYSCALE);
  cv::bitwise_not(img, img);
  cv::imwrite(victim, img);
  REQUIRE(pipe_cmd(f, "run " + f.path() + "/p.yaml").code == 0);
  auto after = statuses(f, "small");
  CHECK(after["ingest"] == "ran");
  CHECK(after["clean"] == "ran");
}

namespace {

// A few runes of each of three classes copied into `dir`.
void copy_runes(const Folder& f, const std::string& dir, int per_class) {
  for (const char* rune : {"ar", "fe", "ur"}) {
    int k = 0;
    for (const auto& e : fs::directory_iterator(std::string(PIPE_SOURCE_DIR) + "/data/runes/" + rune))
      if (k++ < per_class)
        fs::copy_file(e.path(), f.at(dir + "/" + rune + "/" + e.path().filename().string()));
  }
}

}  // namespace

TEST_CASE("errors in nested keys give their line and column, and nothing runs", "[data][cli]") {
  Folder f;
  copy_runes(f, "runes", 2);
  auto run_with = [&](const std::string& stages) {
    std::ofstream(f.at("p.yaml")) << "name: nested\nstages:\n"
                                     "  - id: ingest\n"
                                     "    kind: ingest\n" + stages;
    return pipe_cmd(f, "run " + f.path() + "/p.yaml");
  };
  const std::string where = "pipe: error: " + f.path() + "/p.yaml:";
  Result layout = run_with("    source: { path: runes, layout: manfest }\n");
  CHECK(layout.code == 2);
  CHECK(layout.err == where + "5:36: stage 'ingest': source.layout: 'manfest' is not allowed\n"
                              "  allowed: auto | folder | manifest | idx\n");
  Result key = run_with("    sources:\n      - { path: runes }\n      - { path: runes, prefx: r_ }\n");
  CHECK(key.code == 2);
  CHECK(key.err == where + "7:24: stage 'ingest': sources[1]: unknown key 'prefx' (did you mean 'prefix'?)\n"
                           "  known keys in sources[1]: path, layout, manifest, images, labels, class_names, label, "
                           "prefix, classes, limit_per_class, label_from_filename, label_map, group_from_filename, "
                           "split\n");
  Result missing = run_with("    source: { path: ../nope, layout: manifest }\n");
  CHECK(missing.code == 2);
  CHECK(missing.err.rfind(where + "5:21: stage 'ingest': source.path: no such file or folder: ", 0) == 0);
  Result op = run_with("    source: { path: runes }\n"
                       "  - { id: augment, kind: augment, input: ingest, ops: [ {rotate: 10}, {zoom: 2} ] }\n");
  CHECK(op.code == 2);
  CHECK(op.err == where + "6:78: stage 'augment': ops[1].zoom: must be below 1 (scale 1 ± zoom)\n");
  Result clean = run_with("    source: { path: runes }\n"
                          "  - { id: clean, kind: clean, input: ingest, size: [28, 0] }\n");
  CHECK(clean.code == 2);
  CHECK(clean.err == where + "6:57: stage 'clean': size[1]: expected a positive whole number of pixels, got 0\n");
  // None of these ran anything.
  Result runs = pipe_cmd(f, "runs --format json");
  CHECK(json::parse(runs.out).empty());
}

TEST_CASE("every source of an ingest enters its cache key", "[data][cli]") {
  Folder f;
  copy_runes(f, "one", 3);
  copy_runes(f, "two", 3);
  std::ofstream(f.at("p.yaml")) << "name: two_sources\nstages:\n"
                                   "  - id: ingest\n"
                                   "    kind: ingest\n"
                                   "    sources: [ { path: one, prefix: a_ }, { path: two, prefix: b_ } ]\n";
  REQUIRE(pipe_cmd(f, "run " + f.path() + "/p.yaml").code == 0);
  REQUIRE(pipe_cmd(f, "run " + f.path() + "/p.yaml").code == 0);
  CHECK(statuses(f, "two_sources")["ingest"] == "cached");
  // A file of the first source changes (same size): ingest runs again.
  std::string victim;
  for (const auto& e : fs::directory_iterator(f.path() + "/one/fe")) victim = e.path().string();
  cv::Mat img = cv::imread(victim, cv::IMREAD_GRAYSCALE);
  cv::bitwise_not(img, img);
  cv::imwrite(victim, img);
  REQUIRE(pipe_cmd(f, "run " + f.path() + "/p.yaml").code == 0);
  CHECK(statuses(f, "two_sources")["ingest"] == "ran");
}

TEST_CASE("an augment stage without ops costs no copy of the data", "[data][cli]") {
  Folder f;
  copy_runes(f, "runes", 4);
  std::ofstream(f.at("p.yaml")) << "name: no_ops\nstages:\n"
                                   "  - { id: ingest, kind: ingest, source: { path: runes } }\n"
                                   "  - { id: augment, kind: augment, input: ingest, online: false, ops: [] }\n";
  REQUIRE(pipe_cmd(f, "run " + f.path() + "/p.yaml").code == 0);
  Result shown = pipe_cmd(f, "show no_ops --format json");
  REQUIRE(shown.code == 0);
  std::map<std::string, std::string> keys;
  json stages = json::parse(shown.out)["stages"];
  for (const auto& s : stages) keys[s["id"].get<std::string>()] = s["key"].get<std::string>();
  auto inode = [&](const std::string& stage) {
    struct stat st;
    std::string file = f.path() + "/results/artifacts/" + keys[stage] + "/dataset.bin";
    REQUIRE(::stat(file.c_str(), &st) == 0);
    return std::make_pair(st.st_ino, st.st_nlink);
  };
  CHECK(inode("augment").first == inode("ingest").first);
  CHECK(inode("augment").second == 2);
}
