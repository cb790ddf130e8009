// The pipe binary run as a user runs it, for the end-to-end CLI tests.
#pragma once

#include "engine/posix.h"  // first: see posix.h

#include <cstdlib>
#include <string>

#include "tests/temp_folder.h"

namespace pipe::testing {

struct CliResult {
  int code = -1;
  std::string out, err;
};

// `pipe ARGS` in the folder `cwd`, on one OpenMP thread; its standard output
// and error pass through two files in `cwd`.
inline CliResult run_pipe(const std::string& cwd, const std::string& args) {
  std::string out = cwd + "/pipe.stdout", err = cwd + "/pipe.stderr";
  std::string cmd = "cd '" + cwd + "' && OMP_NUM_THREADS=1 '" + std::string(PIPE_BIN) + "' " + args + " >'" + out +
                    "' 2>'" + err + "'";
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

}  // namespace pipe::testing
