#include "tests/engine/helpers.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/error.h"
#include "engine/progress.h"
#include "engine/stage.h"

namespace fs = std::filesystem;

namespace pipe::test {

void write_text(const std::string& path, const std::string& text) {
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void set_mtime(const std::string& path, long long seconds, long nanos) {
  struct timespec times[2];
  times[0].tv_sec = seconds;
  times[0].tv_nsec = nanos;
  times[1] = times[0];
  if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) throw std::runtime_error("utimensat failed");
}

void use_fake_stages() { register_builtin_stages(); }

RunSpec load_run(const TempDir& dir, const std::string& yaml, const std::string& name,
                 const std::vector<std::string>& sets) {
  use_fake_stages();
  write_text(dir / name, yaml);
  ExpandOptions options;
  for (const auto& s : sets) options.sets.push_back(parse_set(s));
  std::vector<RunSpec> runs = expand_runs(dir / name, options);
  if (runs.size() != 1) throw std::runtime_error("expected one run");
  return runs[0];
}

std::string config_error(const TempDir& dir, const std::string& yaml, const std::vector<std::string>& sets,
                         std::string* hint) {
  use_fake_stages();
  // Messages name the file as given; a relative name keeps them short.
  struct Chdir {
    std::string old = fs::current_path().string();
    explicit Chdir(const std::string& to) { fs::current_path(to); }
    ~Chdir() { fs::current_path(old); }
  } chdir(dir.path());
  std::string message;
  try {
    write_text("p.yaml", yaml);
    ExpandOptions options;
    for (const auto& s : sets) options.sets.push_back(parse_set(s));
    for (const auto& run : expand_runs("p.yaml", options)) Graph::build(run.pipeline, Registry::global());
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kConfig) message = "not a config error: ";
    message += e.line();
    if (hint) *hint = e.hint_text();
  }
  return message;
}

std::string InProcessRun::reason(const std::string& stage) const {
  int i = graph->index_of(stage);
  if (i < 0) throw std::runtime_error("no stage " + stage);
  return plan[i].reason;
}

std::string InProcessRun::stage_status(Store& store, const std::string& stage) const {
  for (const auto& s : store.stage_runs(run.id))
    if (s.stage_id == stage) return s.status;
  return "";
}

InProcessRun run_in_process(Store& store, Disk& disk, const Graph& graph, const RunSpec& spec,
                            ExecOptions options, bool dry) {
  InProcessRun out;
  out.graph = &graph;
  Executor exe(store, disk, Progress::null(), std::move(options));
  out.plan = exe.plan(graph, store.compared_name(spec.name, spec.plain_name));
  if (dry) return out;
  RunRecord rec;
  rec.base_name = spec.name;
  rec.experiment = spec.experiment;
  rec.variant = spec.variant;
  rec.seed = spec.seed;
  rec.status = "running";
  rec.started = now_seconds();
  rec.pid = static_cast<int>(::getpid());
  out.run = store.create_run(rec);
  out.status = exe.execute(graph, out.plan, out.run, &out.error);
  out.run = store.find_run(out.run.id);
  return out;
}

std::string fake_bin() {
  if (const char* env = std::getenv("PIPE_TEST_FAKE_BIN"); env && *env) return env;
  return (fs::read_symlink("/proc/self/exe").parent_path() / "pipe_fake").string();
}

namespace {

pid_t spawn(const std::string& cwd, const std::vector<std::string>& args, const std::string& out_file,
            const std::string& err_file, const std::vector<std::string>& env) {
  std::string bin = fake_bin();
  std::vector<std::string> argv_s{bin};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::unsetenv("PIPE_RESULTS");
    for (const auto& kv : env) {
      size_t eq = kv.find('=');
      ::setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1);
    }
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

CliResult run_cli(const std::string& cwd, const std::vector<std::string>& args,
                  const std::vector<std::string>& env) {
  return start_cli(cwd, args, "cli", env).wait();
}

Background start_cli(const std::string& cwd, const std::vector<std::string>& args, const std::string& tag,
                     const std::vector<std::string>& env) {
  Background bg;
  bg.out_file = cwd + "/." + tag + ".stdout";
  bg.err_file = cwd + "/." + tag + ".stderr";
  bg.pid = spawn(cwd, args, bg.out_file, bg.err_file, env);
  return bg;
}

CliResult Background::wait() {
  CliResult r;
  r.code = wait_for(pid);
  r.out = read_text(out_file);
  r.err = read_text(err_file);
  std::remove(out_file.c_str());
  std::remove(err_file.c_str());
  return r;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

}  // namespace pipe::test
