// train's init_from in the cache key, through the pipe binary: a changed
// .safetensors file at the same path, or a source run trained again, runs
// the train stage again (and the dry run says why); nothing changed, it is
// cached.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/stages/pipe_cli.h"
#include "tests/temp_folder.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using pipe::testing::CliResult;
using pipe::testing::TempFolder;

namespace {

// ingest → clean → split → train: a tiny dense net on a few runes.
std::string pipeline(const std::string& name, const std::string& train_extra) {
  return "name: " + name +
         "\n"
         "seed: 800\n"
         "stages:\n"
         "  - { id: ingest, kind: ingest, source: { path: runes }, decode: gray }\n"
         "  - { id: clean, kind: clean, input: ingest, crop: content, size: 8 }\n"
         "  - { id: split, kind: split, input: clean, fractions: { train: 0.7, test: 0.3 } }\n"
         "  - id: train\n"
         "    kind: train\n"
         "    input: split.train\n"
         "    layers: [ flatten, { dense: { units: 3, activation: softmax, name: head } } ]\n"
         "    epochs: 1\n"
         "    batch: 8\n" +
         train_extra;
}

struct Project {
  TempFolder dir;
  Project() {
    for (const char* rune : {"ar", "fe", "ur"}) {
      int k = 0;
      fs::create_directories(dir.path() + "/runes/" + rune);
      for (const auto& e : fs::directory_iterator(std::string(PIPE_SOURCE_DIR) + "/data/runes/" + rune))
        if (k++ < 5) fs::copy_file(e.path(), dir.path() + "/runes/" + rune + "/" + e.path().filename().string());
    }
    std::ofstream(dir.path() + "/source.yaml") << pipeline("source", "");
    std::ofstream(dir.path() + "/warm.yaml") << pipeline("warm", "    init_from: source\n");
    std::ofstream(dir.path() + "/file.yaml") << pipeline("file", "    init_from: start.safetensors\n");
  }
  CliResult pipe(const std::string& args) {
    CliResult r = pipe::testing::run_pipe(dir.path(), args + " --results results");
    INFO("pipe " << args << "\n" << r.err);
    REQUIRE(r.code == 0);
    return r;
  }
  // The dry run's action and reason of the train stage: "cached", "run: why".
  std::string train_plan(const std::string& file, const std::string& sets = "") {
    std::istringstream out(pipe("run " + file + " --dry-run " + sets).out);
    for (std::string line; std::getline(out, line);)
      if (line.rfind("train ", 0) == 0) {
        std::istringstream words(line);
        std::string stage, kind, action, reason;
        words >> stage >> kind >> action;
        std::getline(words, reason);
        reason = reason.substr(reason.find_first_not_of(' '));
        reason = reason.substr(0, reason.rfind("  "));
        return action == "cached" ? action : action + ": " + reason;
      }
    return "no train stage";
  }
  std::string train_key(const std::string& run) {
    json shown = json::parse(pipe("show " + run + " --format json").out);  // named: outlives the loop
    for (const auto& s : shown["stages"])
      if (s["id"] == "train") return s["key"];
    return "";
  }
  void copy_model(const std::string& run, const std::string& to) {
    fs::copy_file(dir.path() + "/results/artifacts/" + train_key(run) + "/model.safetensors", dir.path() + "/" + to,
                  fs::copy_options::overwrite_existing);
  }
};

}  // namespace

TEST_CASE("init_from a run: training the source run again re-runs the train stage", "[train][init_from][cli]") {
  Project p;
  p.pipe("run source.yaml");
  p.pipe("run warm.yaml");
  CHECK(p.train_plan("warm.yaml") == "cached");
  p.pipe("run source.yaml --set train.epochs=2 --name source");  // a new model under the same run name
  CHECK(p.train_plan("warm.yaml") == "run: input changed");
  p.pipe("run warm.yaml");
  CHECK(p.train_plan("warm.yaml") == "cached");
}

TEST_CASE("init_from a file: new content at the same path re-runs the train stage", "[train][init_from][cli]") {
  Project p;
  p.pipe("run source.yaml");
  p.pipe("run source.yaml --set train.epochs=2 --name source");
  p.copy_model("source#1", "start.safetensors");
  p.pipe("run file.yaml");
  CHECK(p.train_plan("file.yaml") == "cached");
  p.copy_model("source#2", "start.safetensors");
  CHECK(p.train_plan("file.yaml") == "run: source files changed");
  p.pipe("run file.yaml");
  CHECK(p.train_plan("file.yaml") == "cached");
}
