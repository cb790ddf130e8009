// JobContext — the StageContext of a stage running as a cluster job.
//
// Everything the engine's in-process context answers from the store, this one
// answers from the JobSpec the driver wrote; everything the stage records
// (metrics, tables, per-epoch rows, log lines) goes to the job's journal,
// which the driver copies into the store.  Log lines also go to stderr, the
// job's Slurm log.
#pragma once

#include <mutex>

#include "cluster/job_spec.h"
#include "cluster/journal.h"
#include "engine/progress.h"
#include "engine/stage.h"

namespace pipe::cluster {

class JobContext : public StageContext {
 public:
  JobContext(const JobSpec& spec, JournalWriter& journal, Disk& disk, Progress& progress)
      : spec_(spec), journal_(journal), disk_(disk), progress_(progress) {}

  const std::string& stage_id() const override { return spec_.stage_id; }
  const nlohmann::json& params() const override { return spec_.params; }
  Mark mark(const std::string& pointer) const override;
  long long seed() const override { return spec_.seed; }
  int threads() const override { return spec_.threads; }
  const RunInfo& run() const override { return spec_.run; }

  bool has_input(const std::string& param) const override;
  InputRef input(const std::string& param) const override;
  std::vector<InputRef> inputs(const std::string& param) const override;

  std::string output_path(const std::string& name) const override;
  std::string work_dir() const override;
  Disk& disk() override { return disk_; }

  void metric(const std::string& name, double value) override;
  void table(const std::string& name, const nlohmann::json& value) override;
  void epoch(const nlohmann::json& row) override;
  Progress& progress() override { return progress_; }
  void log(const std::string& line) override;

  InputRef run_artifact(const std::string& run, const std::string& stage_kind) override;
  nlohmann::json input_metrics(const InputRef& input) const override;
  nlohmann::json input_table(const InputRef& input, const std::string& name) const override;

  nlohmann::json metrics_json() const;
  nlohmann::json tables_json() const;

 private:
  const JobInput* find_input(const InputRef& ref) const;

  const JobSpec& spec_;
  JournalWriter& journal_;
  Disk& disk_;
  Progress& progress_;
  mutable std::mutex mu_;
  nlohmann::json metrics_ = nlohmann::json::object();
  nlohmann::json tables_ = nlohmann::json::object();
};

}  // namespace pipe::cluster
