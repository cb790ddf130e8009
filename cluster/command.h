// Command — runs an external program (no shell) and collects what it said.
//
// The cluster schedulers talk to their controllers through command-line
// clients (sbatch, squeue, scancel, ...).  Arguments go to the program as a
// vector, so job names and paths with spaces or quotes stay intact.  Behind
// an interface so the scheduler's tests can answer for the clients.
#pragma once

#include <string>
#include <vector>

namespace pipe::cluster {

struct CommandResult {
  int exit_code = -1;  // the program's exit status; 127 when it could not be started
  int signal = 0;      // > 0 when a signal ended it (the timeout's SIGKILL included)
  bool timed_out = false;
  std::string out;     // standard output
  std::string err;     // standard error
  bool ok() const { return exit_code == 0 && signal == 0; }
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Runs argv[0] (looked up on PATH) with the rest as arguments; standard
  // input is /dev/null.  A program still running after `timeout_seconds` is
  // killed.
  virtual CommandResult run(const std::vector<std::string>& argv, double timeout_seconds = 60) = 0;
};

// The real one: fork + execvp.
class ProcessRunner : public CommandRunner {
 public:
  CommandResult run(const std::vector<std::string>& argv, double timeout_seconds = 60) override;
};

// True when `program` is an executable file on PATH (or a path to one).
bool on_path(const std::string& program);

}  // namespace pipe::cluster
