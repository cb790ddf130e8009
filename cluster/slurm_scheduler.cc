#include "cluster/slurm_scheduler.h"

#include <sstream>

#include "engine/error.h"

namespace pipe::cluster {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t from = 0;
  while (true) {
    size_t to = s.find(sep, from);
    out.push_back(s.substr(from, to == std::string::npos ? std::string::npos : to - from));
    if (to == std::string::npos) return out;
    from = to + 1;
  }
}

// What a client said on failure, as one message: its own error lines.
std::string client_message(const std::string& program, const CommandResult& r) {
  if (r.timed_out) return program + " did not answer in time";
  // One line: the client's lines joined ("sbatch: error: ...; allocation failure: ...").
  std::string text;
  for (const auto& line : split(trim(r.err.empty() ? r.out : r.err), '\n'))
    if (!trim(line).empty()) text += (text.empty() ? "" : "; ") + trim(line);
  if (text.empty()) text = program + " exited with code " + std::to_string(r.exit_code);
  return text;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : ",") + id;
  return s;
}

}  // namespace

std::string slurm_time(int minutes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d:00", minutes / 60, minutes % 60);
  return buf;
}

void parse_exit_code(const std::string& text, JobStatus* status) {
  size_t colon = text.find(':');
  try {
    status->exit_code = std::stoi(text.substr(0, colon));
    status->signal = colon == std::string::npos ? 0 : std::stoi(text.substr(colon + 1));
  } catch (...) {
  }
}

std::map<std::string, JobStatus> parse_squeue(const std::string& text) {
  std::map<std::string, JobStatus> jobs;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto f = split(trim(line), '|');
    if (f.size() < 4 || f[0].empty()) continue;
    JobStatus s;
    s.state = parse_job_state(f[1]);
    s.node = f[2];
    s.reason = f[3] == "None" ? "" : f[3];
    jobs[f[0]] = s;
  }
  return jobs;
}

JobStatus parse_scontrol_job(const std::string& text) {
  JobStatus s;
  bool is_job = false;
  std::istringstream in(text);
  std::string field;
  while (in >> field) {
    size_t eq = field.find('=');
    if (eq == std::string::npos) continue;
    std::string key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "JobId") is_job = true;
    else if (key == "JobState") s.state = parse_job_state(value);
    else if (key == "Reason") s.reason = value == "None" ? "" : value;
    else if (key == "ExitCode") parse_exit_code(value, &s);
    else if (key == "NodeList") s.node = value == "(null)" ? "" : value;
    else if (key == "Restarts") s.restarts = std::atoi(value.c_str());
  }
  if (!is_job) return JobStatus{};
  return s;
}

JobStatus parse_sacct(const std::string& text, const std::string& id) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto f = split(trim(line), '|');
    if (f.size() < 4 || f[0] != id) continue;
    JobStatus s;
    s.state = parse_job_state(f[1]);
    parse_exit_code(f[2], &s);
    s.node = f[3] == "None assigned" ? "" : f[3];
    return s;
  }
  return JobStatus{};
}

std::vector<std::string> SlurmScheduler::sbatch_args(const JobRequest& r) const {
  std::vector<std::string> a = {"sbatch", "--parsable", "--job-name=" + r.name, "--output=" + r.log,
                                "--open-mode=append", "--requeue", "--cpus-per-task=" +
                                std::to_string(std::max(1, r.resources.cpus))};
  if (!r.work_dir.empty()) a.push_back("--chdir=" + r.work_dir);
  if (!r.resources.mem.empty()) a.push_back("--mem=" + r.resources.mem);
  if (r.resources.time_minutes > 0) a.push_back("--time=" + slurm_time(r.resources.time_minutes));
  if (!r.partition.empty()) a.push_back("--partition=" + r.partition);
  if (!r.account.empty()) a.push_back("--account=" + r.account);
  for (const auto& x : r.extra_args) a.push_back(x);
  return a;
}

void SlurmScheduler::check(const JobRequest& example) {
  for (const char* program : {"sbatch", "squeue", "scontrol", "scancel"})
    if (!on_path(program))
      throw ConfigError(std::string("--executor slurm: ") + program + " is not on PATH")
          .hint("install Slurm's clients (Debian: slurm-client) or run without --executor slurm");
  std::vector<std::string> args = sbatch_args(example);
  args.insert(args.begin() + 1, "--test-only");
  args.push_back("--wrap=true");
  CommandResult r = runner_.run(args, 60);
  // --test-only answers on stderr: "sbatch: Job 12 to start at ..." when the
  // job would be accepted, "sbatch: error: ..." otherwise.
  if (!r.ok())
    throw ConfigError("--executor slurm: Slurm rejects the job settings: " + client_message("sbatch", r))
        .hint("check --partition, --account and --slurm-arg (sinfo lists the partitions)");
}

std::string SlurmScheduler::submit(const JobRequest& request) {
  std::vector<std::string> args = sbatch_args(request);
  args.push_back(request.script);
  CommandResult r = runner_.run(args, 120);
  if (!r.ok()) throw Error("sbatch: " + client_message("sbatch", r)).at(request.name);
  std::string id = trim(r.out);
  id = id.substr(0, id.find(';'));  // "id;cluster" on federated clusters
  if (id.empty() || id.find_first_not_of("0123456789_") != std::string::npos)
    throw Error("sbatch printed no job id: '" + trim(r.out) + "'").at(request.name);
  return id;
}

PollResult SlurmScheduler::poll(const std::vector<std::string>& ids) {
  PollResult result;
  if (ids.empty()) return result;
  ++squeue_calls_;
  CommandResult q = runner_.run({"squeue", "--me", "--noheader", "--states=all", "--format=%i|%T|%N|%r"}, 60);
  if (!q.ok()) {
    result.ok = false;
    result.error = "squeue: " + client_message("squeue", q);
    return result;
  }
  std::map<std::string, JobStatus> queue = parse_squeue(q.out);
  for (const auto& id : ids) {
    auto it = queue.find(id);
    if (it != queue.end() && !is_final(it->second.state)) {
      result.jobs[id] = it->second;
      continue;
    }
    // Ended (squeue has no exit code) or left the queue listing: the
    // controller may still hold its record.
    CommandResult c = runner_.run({"scontrol", "--oneliner", "show", "job", id}, 60);
    if (c.ok()) {
      JobStatus s = parse_scontrol_job(c.out);
      if (s.state != JobState::kUnknown) {
        result.jobs[id] = s;
        continue;
      }
    } else if (c.timed_out || c.err.find("Invalid job id") == std::string::npos) {
      result.ok = false;  // the controller did not answer: judge nothing
      result.error = "scontrol: " + client_message("scontrol", c);
      return result;
    }
    if (!sacct_works_) continue;
    CommandResult a = runner_.run({"sacct", "--noheader", "--parsable2", "--allocations",
                                   "--format=JobID,State,ExitCode,NodeList", "--jobs=" + id}, 60);
    if (!a.ok()) {
      // "Slurm accounting storage is disabled": no point asking again.
      if (a.err.find("accounting storage is disabled") != std::string::npos) sacct_works_ = false;
      continue;
    }
    JobStatus s = parse_sacct(a.out, id);
    if (s.state != JobState::kUnknown) result.jobs[id] = s;
  }
  return result;
}

void SlurmScheduler::cancel(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  std::vector<std::string> args = {"scancel"};
  args.insert(args.end(), ids.begin(), ids.end());
  CommandResult r = runner_.run(args, 60);
  if (!r.ok()) throw Error("scancel " + join_ids(ids) + ": " + client_message("scancel", r));
}

}  // namespace pipe::cluster
