// A StageContext for running one stage directly in tests: parameters from
// YAML text validated against the stage's schema, inputs bound to folders
// holding dataset files, outputs in a temporary folder, and everything the
// stage reports (metrics, tables, epochs, log lines) kept in memory.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/disk.h"
#include "engine/node.h"
#include "engine/progress.h"
#include "engine/schema.h"
#include "engine/stage.h"

namespace pipe::testing {

struct ContextOptions {
  std::string work_dir;               // "": <out>/.work
  long long seed = 800;               // the run's seed; fills a `seed` parameter left empty
  std::string id;                     // the stage id; "": the kind's name
  int threads = 1;
  std::string yaml_name = "test.yaml";  // the file name error positions name
};

class FakeStageContext : public StageContext {
 public:
  FakeStageContext(const StageKind& kind, const std::string& yaml, std::string out_dir, ContextOptions o = {})
      : kind_(kind), out_(std::move(out_dir)), o_(std::move(o)) {
    if (o_.work_dir.empty()) o_.work_dir = out_ + "/.work";
    if (o_.id.empty()) o_.id = kind.kind;
    Node node = parse_yaml(yaml, o_.yaml_name);
    params_ = validate(node, kind.schema, &marks_);
    if ((kind.uses_seed || params_.contains("seed")) && params_["seed"].is_null()) params_["seed"] = o_.seed;
    std::filesystem::create_directories(out_);
  }

  // Binds input `param` to the folder `dir` holding `<output or dataset>.bin`.
  FakeStageContext& bind(const std::string& param, const std::string& dir, const std::string& output = "",
                         const std::string& kind = "split", const std::string& key = "k") {
    inputs_[param] = InputRef{param, kind, output, dir, key};
    return *this;
  }
  // Makes `init_from: name` find the trained model in `dir`.
  void add_run(const std::string& name, const std::string& dir) { runs_[name] = dir; }
  void run() { kind_.create()->run(*this); }

  const std::string& stage_id() const override { return o_.id; }
  const nlohmann::json& params() const override { return params_; }
  Mark mark(const std::string& pointer) const override {
    auto it = marks_.find(pointer);
    return it != marks_.end() ? it->second : Mark{o_.yaml_name, 1, 1};
  }
  long long seed() const override {
    return params_.contains("seed") && params_["seed"].is_number_integer() ? params_["seed"].get<long long>()
                                                                             : o_.seed;
  }
  int threads() const override { return o_.threads; }
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
  std::string work_dir() const override { return o_.work_dir; }
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
  StageKind kind_;
  std::string out_;
  ContextOptions o_;
  nlohmann::json params_;
  MarkTable marks_;
  std::map<std::string, InputRef> inputs_;
  std::map<std::string, std::string> runs_;
  RunInfo run_{"run1", "test", "/tmp"};
  RealDisk disk_;
};

}  // namespace pipe::testing
