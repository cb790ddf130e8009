#include "engine/posix.h"  // first: see posix.h
#include "cluster/journal.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

#include "engine/disk.h"

namespace pipe::cluster {

using json = nlohmann::json;

namespace {

std::mutex write_mutex;

}  // namespace

JournalWriter::JournalWriter(std::string path) : path_(std::move(path)) {
  JournalReader existing(path_);
  for (const auto& event : existing.read()) seq_ = std::max<int64_t>(seq_, event.value("seq", int64_t{0}));
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw disk_error("cannot open the job's journal", path_, errno);
}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void JournalWriter::write(const std::string& type, json fields) {
  std::lock_guard<std::mutex> lock(write_mutex);
  json event = {{"seq", ++seq_}, {"type", type}};
  for (auto& [k, v] : fields.items()) event[k] = std::move(v);
  std::string line = event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  // One write() per line: with O_APPEND the line lands whole at the end.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw disk_error("cannot write the job's journal", path_, errno);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::vector<json> JournalReader::read() {
  std::vector<json> events;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return events;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline yet: the writer is still on it
    offset_ += line.size() + 1;
    if (line.empty()) continue;
    try {
      events.push_back(json::parse(line));
    } catch (const json::exception&) {
      // A line torn by a crash mid-write; the next attempt's lines follow it.
    }
  }
  return events;
}

}  // namespace pipe::cluster
