#include "cluster/scheduler.h"

#include <utility>

namespace pipe::cluster {

namespace {

const std::pair<JobState, const char*> kNames[] = {
    {JobState::kUnknown, "UNKNOWN"},       {JobState::kPending, "PENDING"},
    {JobState::kRunning, "RUNNING"},       {JobState::kRequeued, "REQUEUED"},
    {JobState::kSuspended, "SUSPENDED"},   {JobState::kCompleted, "COMPLETED"},
    {JobState::kFailed, "FAILED"},         {JobState::kCancelled, "CANCELLED"},
    {JobState::kTimeout, "TIMEOUT"},       {JobState::kOutOfMemory, "OUT_OF_MEMORY"},
    {JobState::kNodeFail, "NODE_FAIL"},    {JobState::kPreempted, "PREEMPTED"},
    {JobState::kBootFail, "BOOT_FAIL"},    {JobState::kDeadline, "DEADLINE"},
};

}  // namespace

JobState parse_job_state(const std::string& text) {
  // sacct writes "CANCELLED by 1000"; squeue's short forms are not used.
  std::string word = text.substr(0, text.find(' '));
  if (word == "COMPLETING" || word == "CONFIGURING" || word == "STAGE_OUT" || word == "SIGNALING")
    return JobState::kRunning;
  if (word == "REQUEUE_HOLD" || word == "REQUEUE_FED" || word == "RESV_DEL_HOLD") return JobState::kRequeued;
  if (word == "OOM") return JobState::kOutOfMemory;
  if (word == "RESIZING") return JobState::kRunning;
  for (const auto& [state, name] : kNames)
    if (word == name) return state;
  return JobState::kUnknown;
}

const char* job_state_name(JobState state) {
  for (const auto& [s, name] : kNames)
    if (s == state) return name;
  return "UNKNOWN";
}

bool is_final(JobState state) {
  switch (state) {
    case JobState::kCompleted:
    case JobState::kFailed:
    case JobState::kCancelled:
    case JobState::kTimeout:
    case JobState::kOutOfMemory:
    case JobState::kNodeFail:
    case JobState::kPreempted:
    case JobState::kBootFail:
    case JobState::kDeadline:
      return true;
    default:
      return false;
  }
}

}  // namespace pipe::cluster
