// The data stages through the pipe binary: a pipeline over the vendored
// runes, the cache, `pipe samples`, and re-running when a source file changes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tests/stages/data_fixture.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using pipe::data_testing::Folder;

namespace {

struct Result {
  int code;
  std::string out, err;
};

std::string slurp(const std::string& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result pipe_cmd(const Folder& f, const std::string& args) {
  std::string out = f.path() + "/stdout", err = f.path() + "/stderr";
  std::string cmd = std::string(PIPE_BIN) + " " + args + " --results " + f.path() + "/results >" + out + " 2>" + err;
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
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

  Result wrong = pipe_cmd(f, "samples data_example --stage nope");
  CHECK(wrong.code == 2);
  CHECK(wrong.err.find("augment") != std::string::npos);  // lists the run's stages
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
