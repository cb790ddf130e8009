#include "cluster/job_script.h"

namespace pipe::cluster {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string job_script(const std::vector<std::string>& command, const std::string& exit_record) {
  std::string cmd;
  for (const auto& a : command) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
  std::string record = shell_quote(exit_record);
  return "#!/bin/bash\n"
         "# Written by pipe: runs one stage and records how it ended.\n"
         "signal=0\n"
         "child=\n"
         "on_term() { signal=15; [ -n \"$child\" ] && kill -TERM \"$child\" 2>/dev/null; }\n"
         "trap on_term TERM\n"
         "write_record() {\n"
         "  local rc=$1\n"
         "  printf '{\"exit_code\": %d, \"signal\": %d, \"node\": \"%s\", \"job\": \"%s\", \"restart\": %d}\\n' \\\n"
         "    \"$rc\" \"$signal\" \"$(hostname -s)\" \"${SLURM_JOB_ID:-}\" \"${SLURM_RESTART_COUNT:-0}\" \\\n"
         "    > " + record + ".tmp && mv -f " + record + ".tmp " + record + "\n"
         "}\n"
         "rm -f " + record + "\n" +
         cmd + " &\n"
         "child=$!\n"
         // wait returns early when a trapped signal arrives; wait again for the child.
         "while true; do\n"
         "  wait \"$child\"; rc=$?\n"
         "  kill -0 \"$child\" 2>/dev/null || break\n"
         "done\n"
         "write_record \"$rc\"\n"
         "exit \"$rc\"\n";
}

}  // namespace pipe::cluster
