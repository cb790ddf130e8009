// Shared helpers of the engine's tests: a temporary folder, file writing,
// pipelines of fake stages run in-process, and running the pipe_fake binary.
#pragma once

#include "engine/posix.h"  // first: see posix.h

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/store.h"
#include "tests/temp_folder.h"

namespace pipe::test {

// A fresh folder under $TMPDIR, removed with everything in it at scope exit.
using TempDir = ::pipe::testing::TempFolder;

void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);
// Sets a file's modification time (seconds since the epoch, nanoseconds).
void set_mtime(const std::string& path, long long seconds, long nanos = 0);

// Registers the fake stage kinds (idempotent).
void use_fake_stages();

// Parses pipeline YAML text written to `dir`/`name` and returns its one run.
RunSpec load_run(const TempDir& dir, const std::string& yaml, const std::string& name = "p.yaml",
                 const std::vector<std::string>& sets = {});
// The ConfigError message (Error::line()) of expand_runs + Graph::build on
// the YAML, or "" when it is valid.
std::string config_error(const TempDir& dir, const std::string& yaml,
                         const std::vector<std::string>& sets = {}, std::string* hint = nullptr);

// Plans and (unless dry) executes one run in-process, as `pipe run` does.
struct InProcessRun {
  std::vector<PlannedStage> plan;
  RunRecord run;
  std::string status;  // done | failed, or "" for a dry run
  std::optional<Error> error;  // a failed run's error, as execute() hands it on
  // Stage id → planned reason / recorded status.
  std::string reason(const std::string& stage) const;
  std::string stage_status(Store& store, const std::string& stage) const;
  const Graph* graph = nullptr;
};
InProcessRun run_in_process(Store& store, Disk& disk, const Graph& graph, const RunSpec& spec,
                            ExecOptions options = {}, bool dry = false);

// The built pipe_fake binary: $PIPE_TEST_FAKE_BIN, else beside engine_tests.
std::string fake_bin();

struct CliResult {
  int code = -1;    // exit code, or 128 + signal
  std::string out;  // stdout
  std::string err;  // stderr
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};
// Runs pipe_fake with `args` in folder `cwd` and waits for it.  `env` adds
// "NAME=VALUE" variables (PIPE_RESULTS is unset unless given).
CliResult run_cli(const std::string& cwd, const std::vector<std::string>& args,
                  const std::vector<std::string>& env = {});
// Starts pipe_fake in the background; its stdout/stderr go to files in `cwd`.
struct Background {
  pid_t pid = -1;
  std::string out_file, err_file;
  CliResult wait();  // waits for exit and collects its output
};
Background start_cli(const std::string& cwd, const std::vector<std::string>& args, const std::string& tag,
                     const std::vector<std::string>& env = {});

// Lines of text, without the trailing newline.
std::vector<std::string> lines(const std::string& text);

}  // namespace pipe::test
