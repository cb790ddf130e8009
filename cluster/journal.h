// Journal — what a stage running as a cluster job tells its driver.
//
// Only the driver opens the SQLite store (SQLite's locking is not safe across
// the hosts of a network file system), so a job writes its metrics, tables,
// per-epoch rows, log lines and its error to an append-only file of JSON
// lines beside its work folder, and the driver reads the new lines at every
// poll and records them.  One line per event, written with one write() so a
// reader sees whole lines or an unfinished last one, which it leaves for the
// next read.  A requeued job appends to the same journal; the driver skips
// events it has already recorded by their sequence numbers.
//
//   {"seq":1,"type":"log","line":"epoch 1/3 ..."}
//   {"seq":2,"type":"epoch","row":{...}}
//   {"seq":3,"type":"metric","name":"accuracy","value":0.9}
//   {"seq":4,"type":"table","name":"confusion","value":[...]}
//   {"seq":5,"type":"error","error":{...}}    (pipe::Error's JSON form)
//   {"seq":6,"type":"done","seconds":12.5}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipe::cluster {

class JournalWriter {
 public:
  // Opens `path` for appending (creating it); continues the sequence numbers
  // of what is already there, so a requeued attempt does not repeat them.
  explicit JournalWriter(std::string path);
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Appends {"seq":N,"type":type, ...fields}; thread-safe.  Throws pipe::Error
  // when the file cannot be written (a full disk).
  void write(const std::string& type, nlohmann::json fields = nlohmann::json::object());
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  int64_t seq_ = 0;
};

// Reads a journal incrementally: each read() returns the events completed
// since the last one.
class JournalReader {
 public:
  explicit JournalReader(std::string path) : path_(std::move(path)) {}
  std::vector<nlohmann::json> read();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t offset_ = 0;
};

}  // namespace pipe::cluster
