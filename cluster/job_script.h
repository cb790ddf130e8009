// The batch script of a stage job: runs `pipe job SPEC` on the compute node
// and leaves the job's exit record behind, however the job ends short of
// SIGKILL.
//
// The record (exit.json beside the spec) is what the driver trusts when the
// scheduler has forgotten the job: {"exit_code", "signal", "node", "job",
// "restart"}.  It is written to a temporary name and renamed, so a reader
// never sees half of it.  SIGTERM (scancel, a time limit, preemption) is
// passed on to pipe, which stops at a safe point; the record then carries
// signal 15.
#pragma once

#include <string>
#include <vector>

namespace pipe::cluster {

// `command` is the program and arguments to run (e.g. {"/opt/pipe/bin/pipe",
// "job", "/r/jobs/k/spec.json"}); `exit_record` the path of the record.
std::string job_script(const std::vector<std::string>& command, const std::string& exit_record);

// `s` quoted for bash: 'it'\''s'.
std::string shell_quote(const std::string& s);

}  // namespace pipe::cluster
