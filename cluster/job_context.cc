#include "cluster/job_context.h"

#include "engine/paths.h"

namespace pipe::cluster {

using json = nlohmann::json;

Mark JobContext::mark(const std::string& pointer) const {
  auto it = spec_.marks.find(pointer);
  return it != spec_.marks.end() ? it->second : spec_.stage_mark;
}

bool JobContext::has_input(const std::string& param) const { return !inputs(param).empty(); }

InputRef JobContext::input(const std::string& param) const {
  auto all = inputs(param);
  if (all.empty()) throw Error("stage has no input '" + param + "'");
  return all.front();
}

std::vector<InputRef> JobContext::inputs(const std::string& param) const {
  std::vector<InputRef> out;
  for (const auto& in : spec_.inputs)
    if (input_param_matches(in.param, param)) out.push_back(in.ref);
  return out;
}

std::string JobContext::output_path(const std::string& name) const { return join_path(spec_.tmp_dir, name); }

std::string JobContext::work_dir() const {
  disk_.make_dirs(spec_.work_dir);
  return spec_.work_dir;
}

void JobContext::metric(const std::string& name, double value) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    metrics_[name] = value;
  }
  journal_.write("metric", {{"name", name}, {"value", value}});
}

void JobContext::table(const std::string& name, const json& value) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tables_[name] = value;
  }
  journal_.write("table", {{"name", name}, {"value", value}});
}

void JobContext::epoch(const json& row) { journal_.write("epoch", {{"row", row}}); }

void JobContext::log(const std::string& line) {
  progress_.line(spec_.stage_id + ": " + line);
  journal_.write("log", {{"line", line}});
}

InputRef JobContext::run_artifact(const std::string& run, const std::string& stage_kind) {
  auto it = spec_.run_artifacts.find(run + "|" + stage_kind);
  if (it == spec_.run_artifacts.end())
    throw Error("run '" + run + "' has no finished " + stage_kind + " stage known to this job");
  return it->second.ref;
}

const JobInput* JobContext::find_input(const InputRef& ref) const {
  for (const auto& in : spec_.inputs)
    if (in.ref.key == ref.key) return &in;
  for (const auto& [k, in] : spec_.run_artifacts)
    if (in.ref.key == ref.key) return &in;
  return nullptr;
}

json JobContext::input_metrics(const InputRef& ref) const {
  const JobInput* in = find_input(ref);
  return in ? in->metrics : json(nullptr);
}

json JobContext::input_table(const InputRef& ref, const std::string& name) const {
  const JobInput* in = find_input(ref);
  if (!in) return nullptr;
  auto it = in->tables.find(name);
  return it != in->tables.end() ? it->second : json(nullptr);
}

json JobContext::metrics_json() const {
  std::lock_guard<std::mutex> lock(mu_);
  return metrics_;
}

json JobContext::tables_json() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tables_;
}

}  // namespace pipe::cluster
