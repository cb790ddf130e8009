// Running the data stages (ingest, clean, split, augment) directly in tests:
// parameters from YAML text validated against the stage's schema, inputs
// bound to artifact folders, outputs in a temporary folder, results kept.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/disk.h"
#include "engine/node.h"
#include "engine/progress.h"
#include "engine/schema.h"
#include "engine/stage.h"
#include "tests/temp_folder.h"

namespace pipe::data_testing {

using Folder = ::pipe::testing::TempFolder;

// Runs one stage of `kind` with parameters `yaml` (paths in it are absolute).
class StageRun : public StageContext {
 public:
  StageRun(const StageKind& kind, const std::string& yaml, std::string out_dir, int threads = 2, long long seed = 800)
      : kind_(kind), out_(std::move(out_dir)), threads_(threads), seed_(seed) {
    Node node = parse_yaml(yaml, "stage.yaml");
    params_ = validate(node, kind.schema, &marks_);
    if (kind.uses_seed && params_["seed"].is_null()) params_["seed"] = seed;
    std::filesystem::create_directories(out_);
  }
  // Binds input `param` to the artifact folder `dir` (output "" or a name such as "train").
  StageRun& bind(const std::string& param, const std::string& dir, const std::string& output = "") {
    inputs_[param] = InputRef{param, "data", output, dir, "key"};
    return *this;
  }
  void run() { kind_.create()->run(*this); }

  const std::string& stage_id() const override { return kind_.kind; }
  const nlohmann::json& params() const override { return params_; }
  Mark mark(const std::string& pointer) const override {
    auto it = marks_.find(pointer);
    return it != marks_.end() ? it->second : Mark{"stage.yaml", 1, 1};
  }
  long long seed() const override {
    return params_.contains("seed") && params_["seed"].is_number_integer() ? params_["seed"].get<long long>() : seed_;
  }
  int threads() const override { return threads_; }
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
  std::string output_path(const std::string& name) const override {
    return (std::filesystem::path(out_) / name).lexically_normal().string();
  }
  std::string work_dir() const override { return out_ + "/.work"; }
  Disk& disk() override { return disk_; }
  void metric(const std::string& name, double value) override { metrics[name] = value; }
  void table(const std::string& name, const nlohmann::json& value) override { tables[name] = value; }
  void epoch(const nlohmann::json&) override {}
  Progress& progress() override { return Progress::null(); }
  void log(const std::string& line) override { logs.push_back(line); }
  InputRef run_artifact(const std::string& run, const std::string&) override { throw Error("no run '" + run + "'"); }

  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json tables = nlohmann::json::object();
  std::vector<std::string> logs;

 private:
  StageKind kind_;
  std::string out_;
  int threads_;
  long long seed_;
  nlohmann::json params_;
  MarkTable marks_;
  std::map<std::string, InputRef> inputs_;
  RunInfo run_{"run1", "test", "/tmp"};
  RealDisk disk_;
};

// A gray "L" glyph, ink on paper, with a mark whose place depends on `variant`.
inline cv::Mat glyph(int size, int thickness, uint8_t ink, uint8_t paper, int variant = 0) {
  cv::Mat m(size, size, CV_8UC1, cv::Scalar(paper));
  cv::line(m, {size / 4, size / 5}, {size / 4, size * 4 / 5}, cv::Scalar(ink), thickness);
  cv::line(m, {size / 4, size * 4 / 5}, {size * 3 / 4, size * 4 / 5}, cv::Scalar(ink), thickness);
  cv::circle(m, {size / 2 + (variant % 5) * size / 12, size / 3 + (variant / 5 % 4) * size / 12}, std::max(1, size / 16),
             cv::Scalar(ink), cv::FILLED);
  return m;
}

}  // namespace pipe::data_testing
