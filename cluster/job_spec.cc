#include "cluster/job_spec.h"

namespace pipe::cluster {

using json = nlohmann::json;

namespace {

json mark_json(const Mark& m) { return {{"file", m.file}, {"line", m.line}, {"col", m.col}}; }

Mark mark_from(const json& j) {
  Mark m;
  m.file = j.value("file", std::string());
  m.line = j.value("line", 0);
  m.col = j.value("col", 0);
  return m;
}

json input_json(const JobInput& in) {
  return {{"param", in.param},
          {"stage", in.ref.stage},
          {"kind", in.ref.kind},
          {"output", in.ref.output},
          {"dir", in.ref.dir},
          {"key", in.ref.key},
          {"metrics", in.metrics},
          {"tables", in.tables}};
}

JobInput input_from(const json& j) {
  JobInput in;
  in.param = j.at("param").get<std::string>();
  in.ref = {j.at("stage").get<std::string>(), j.at("kind").get<std::string>(), j.at("output").get<std::string>(),
            j.at("dir").get<std::string>(), j.at("key").get<std::string>()};
  in.metrics = j.value("metrics", json());
  for (auto& [name, value] : j.value("tables", json::object()).items()) in.tables[name] = value;
  return in;
}

}  // namespace

json to_json(const JobSpec& s) {
  json marks = json::object();
  for (const auto& [pointer, m] : s.marks) marks[pointer] = mark_json(m);
  json inputs = json::array();
  for (const auto& in : s.inputs) inputs.push_back(input_json(in));
  json runs = json::object();
  for (const auto& [k, in] : s.run_artifacts) runs[k] = input_json(in);
  return {{"pipe_version", s.pipe_version},
          {"stage_id", s.stage_id},
          {"kind", s.kind},
          {"params", s.params},
          {"marks", marks},
          {"stage_mark", mark_json(s.stage_mark)},
          {"seed", s.seed},
          {"threads", s.threads},
          {"run", {{"id", s.run.id}, {"name", s.run.name}, {"results_dir", s.run.results_dir}}},
          {"key", s.key},
          {"tmp_dir", s.tmp_dir},
          {"artifact_dir", s.artifact_dir},
          {"work_dir", s.work_dir},
          {"journal", s.journal},
          {"inputs", inputs},
          {"run_artifacts", runs}};
}

JobSpec job_spec_from_json(const json& j, const std::string& origin) {
  try {
    JobSpec s;
    s.pipe_version = j.at("pipe_version").get<std::string>();
    s.stage_id = j.at("stage_id").get<std::string>();
    s.kind = j.at("kind").get<std::string>();
    s.params = j.at("params");
    for (auto& [pointer, m] : j.at("marks").items()) s.marks[pointer] = mark_from(m);
    s.stage_mark = mark_from(j.at("stage_mark"));
    s.seed = j.at("seed").get<long long>();
    s.threads = j.at("threads").get<int>();
    const json& run = j.at("run");
    s.run = {run.at("id").get<std::string>(), run.at("name").get<std::string>(),
             run.at("results_dir").get<std::string>()};
    s.key = j.at("key").get<std::string>();
    s.tmp_dir = j.at("tmp_dir").get<std::string>();
    s.artifact_dir = j.at("artifact_dir").get<std::string>();
    s.work_dir = j.at("work_dir").get<std::string>();
    s.journal = j.at("journal").get<std::string>();
    for (const auto& in : j.at("inputs")) s.inputs.push_back(input_from(in));
    for (auto& [k, in] : j.at("run_artifacts").items()) s.run_artifacts[k] = input_from(in);
    return s;
  } catch (const json::exception& e) {
    throw ConfigError(std::string("not a job spec: ") + e.what()).at(origin);
  }
}

}  // namespace pipe::cluster
