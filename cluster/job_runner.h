// run_job — the body of `pipe job SPEC`, the internal command a cluster job
// runs on its compute node.
//
// Reads the spec, refuses a spec written by another pipe version, runs the
// stage into spec.tmp_dir and renames that folder to spec.artifact_dir (the
// same publish step as a local run, on the shared file system), and journals
// the outcome: {"type":"done","seconds","metrics","tables"} or
// {"type":"error","error":{...}} (pipe::Error's JSON form).  The driver records both in the store.
#pragma once

#include <string>

#include "engine/disk.h"
#include "engine/progress.h"

namespace pipe::cluster {

// The exit code for the job: 0 done, else the error's exit code (1 a stage
// failed, 2 the spec or the version is wrong).
int run_job(const std::string& spec_path, const std::string& pipe_version, Disk& disk, Progress& progress);

}  // namespace pipe::cluster
