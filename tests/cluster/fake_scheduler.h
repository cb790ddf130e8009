// FakeScheduler and MemoryDisk — a scheduler whose answers the test writes,
// and files that live in a map, for the driver's state machine tests.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cluster/scheduler.h"
#include "engine/disk.h"

namespace pipe::test {

class FakeScheduler : public cluster::Scheduler {
 public:
  std::string name() const override { return "fake"; }
  void check(const cluster::JobRequest&) override {}
  std::string submit(const cluster::JobRequest& r) override {
    std::string id = std::to_string(next_id++);
    submitted.push_back(r);
    jobs[id].state = cluster::JobState::kPending;
    return id;
  }
  cluster::PollResult poll(const std::vector<std::string>& ids) override {
    ++polls;
    cluster::PollResult r;
    r.ok = !down;
    if (down) {
      r.error = "controller down";
      return r;
    }
    for (const auto& id : ids) {
      auto it = jobs.find(id);
      if (it != jobs.end() && !hidden.count(id)) r.jobs[id] = it->second;
    }
    return r;
  }
  void cancel(const std::vector<std::string>& ids) override {
    for (const auto& id : ids) {
      cancelled.push_back(id);
      jobs[id].state = cluster::JobState::kCancelled;
    }
  }

  int next_id = 100;
  int polls = 0;
  bool down = false;                             // the next answers fail
  std::map<std::string, cluster::JobStatus> jobs;
  std::set<std::string> hidden;                  // known jobs missing from answers
  std::vector<cluster::JobRequest> submitted;
  std::vector<std::string> cancelled;
};

class MemoryDisk : public Disk {
 public:
  bool stat(const std::string& path, FileStat* out) const override {
    auto it = files.find(path);
    if (it == files.end()) return false;
    out->size = static_cast<int64_t>(it->second.size());
    out->is_dir = false;
    return true;
  }
  std::string read_file(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) throw Error("no such file").at(path);
    return it->second;
  }
  void write_file(const std::string& path, const std::string& data) override { files[path] = data; }
  void make_dirs(const std::string&) override {}
  void rename(const std::string& from, const std::string& to) override {
    files[to] = files[from];
    files.erase(from);
  }
  void remove_all(const std::string& path) override { files.erase(path); }
  std::vector<std::string> list_dir(const std::string&) const override { return {}; }

  std::map<std::string, std::string> files;
};

}  // namespace pipe::test
