// Disk — the file operations the engine performs, behind an interface so
// tests can inject failures (a full disk) or run in memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/error.h"

namespace pipe {

struct FileStat {
  int64_t size = 0;
  int64_t mtime_ns = 0;
  bool is_dir = false;
};

class Disk {
 public:
  virtual ~Disk() = default;
  // False when nothing is at `path`.
  virtual bool stat(const std::string& path, FileStat* out) const = 0;
  virtual std::string read_file(const std::string& path) const = 0;
  // Writes `data` to a temporary name beside `path`, then renames it into
  // place; a failed write leaves the old file (or nothing) at `path`.
  virtual void write_file(const std::string& path, const std::string& data) = 0;
  virtual void make_dirs(const std::string& path) = 0;
  virtual void rename(const std::string& from, const std::string& to) = 0;
  virtual void remove_all(const std::string& path) = 0;
  // Entry names in a folder, sorted.
  virtual std::vector<std::string> list_dir(const std::string& path) const = 0;
};

// The error a failed file operation raises: "<what>: <reason>" at the path,
// or, for a full disk (ENOSPC, EDQUOT), "no space left on device (writing
// <path>)" with no position, since the fault is the disk, not the file.
Error disk_error(const std::string& what, const std::string& path, int err);

// The real file system.  Errors become pipe::Error naming the path and the
// reason ("No space left on device").
class RealDisk : public Disk {
 public:
  bool stat(const std::string& path, FileStat* out) const override;
  std::string read_file(const std::string& path) const override;
  void write_file(const std::string& path, const std::string& data) override;
  void make_dirs(const std::string& path) override;
  void rename(const std::string& from, const std::string& to) override;
  void remove_all(const std::string& path) override;
  std::vector<std::string> list_dir(const std::string& path) const override;
};

}  // namespace pipe
