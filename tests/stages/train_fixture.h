// A StageContext for running the train and evaluate stages directly in tests:
// parameters from YAML text validated against the stage's schema, inputs
// from dataset files in temporary folders, results kept in memory.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/disk.h"
#include "engine/node.h"
#include "engine/progress.h"
#include "engine/schema.h"
#include "engine/stage.h"
#include "stages/image/dataset.h"
#include "tests/temp_folder.h"

namespace pipe::testing {

using TempDir = TempFolder;

class TestContext : public StageContext {
 public:
  TestContext(const StageKind& kind, const std::string& yaml, std::string out_dir, std::string work_dir,
              long long seed = 800, std::string id = "train")
      : id_(std::move(id)), out_(std::move(out_dir)), work_(std::move(work_dir)), seed_(seed) {
    Node node = parse_yaml(yaml, "test.yaml");
    params_ = validate(node, kind.schema, &marks_);
    if (params_.contains("seed") && params_["seed"].is_null()) params_["seed"] = seed;
  }

  // Binds an input parameter to a folder holding `<output or dataset>.bin`.
  void bind(const std::string& param, const std::string& dir, const std::string& output = "",
            const std::string& kind = "split", const std::string& key = "k") {
    inputs_[param] = InputRef{param, kind, output, dir, key};
  }
  void add_run(const std::string& name, const std::string& dir) { runs_[name] = dir; }

  const std::string& stage_id() const override { return id_; }
  const nlohmann::json& params() const override { return params_; }
  Mark mark(const std::string& pointer) const override {
    auto it = marks_.find(pointer);
    return it != marks_.end() ? it->second : Mark{"test.yaml", 1, 1};
  }
  long long seed() const override { return params_.contains("seed") ? params_["seed"].get<long long>() : seed_; }
  int threads() const override { return 1; }
  const RunInfo& run() const override { return run_; }
  bool has_input(const std::string& param) const override { return inputs_.count(param) > 0; }
  InputRef input(const std::string& param) const override {
    auto it = inputs_.find(param);
    if (it == inputs_.end()) throw Error("no input " + param);
    return it->second;
  }
  std::vector<InputRef> inputs(const std::string& param) const override {
    if (!has_input(param)) return {};
    return {input(param)};
  }
  std::string output_path(const std::string& name) const override { return out_ + "/" + name; }
  std::string work_dir() const override { return work_; }
  Disk& disk() override { return disk_; }
  void metric(const std::string& name, double value) override { metrics[name] = value; }
  void table(const std::string& name, const nlohmann::json& value) override { tables[name] = value; }
  void epoch(const nlohmann::json& row) override { epochs[std::to_string(row["epoch"].get<int>())] = row; }
  Progress& progress() override { return Progress::null(); }
  void log(const std::string& line) override {
    logs.push_back(line);
    if (on_log) on_log(line);
  }
  InputRef run_artifact(const std::string& run, const std::string& kind) override {
    auto it = runs_.find(run);
    if (it == runs_.end()) throw Error("no run '" + run + "'");
    return InputRef{"train", kind, "", it->second, "runkey"};
  }

  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json tables = nlohmann::json::object();
  nlohmann::json epochs = nlohmann::json::object();  // by epoch number
  std::vector<std::string> logs;
  std::function<void(const std::string&)> on_log;

 private:
  std::string id_, out_, work_;
  long long seed_;
  nlohmann::json params_;
  MarkTable marks_;
  std::map<std::string, InputRef> inputs_;
  std::map<std::string, std::string> runs_;
  RunInfo run_{"run1", "test", "/tmp"};
  RealDisk disk_;
};

// Two classes of h×w gray images: class 0 has a bright square top-left,
// class 1 bottom-right, both on noise; `offset` shifts every pixel value.
inline image::Dataset blobs(int per_class, int h, int w, uint64_t seed, int offset = 0) {
  std::mt19937_64 rng(seed);
  image::Dataset d;
  d.classes = {"left", "right"};
  for (int i = 0; i < 2 * per_class; ++i) {
    image::Sample s;
    s.label = i % 2;
    s.height = h;
    s.width = w;
    s.channels = 1;
    s.path = (s.label ? "right/" : "left/") + std::to_string(i) + ".png";
    s.pixels.resize(h * w);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        bool blob = s.label == 0 ? (y < h / 2 && x < w / 2) : (y >= h / 2 && x >= w / 2);
        int v = static_cast<int>(rng() % 60) + (blob ? 150 : 0) + offset;
        s.pixels[y * w + x] = static_cast<uint8_t>(std::min(255, std::max(0, v)));
      }
    d.samples.push_back(s);
  }
  return d;
}

inline std::string write_set(const std::string& dir, const image::Dataset& d, const std::string& output = "") {
  image::write_dataset(dir + "/" + image::dataset_file_name(output), d);
  return dir;
}

}  // namespace pipe::testing
