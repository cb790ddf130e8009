// Stable content hashes (XXH3-128, 32 hex digits) of bytes, files, folder
// trees and canonical parameter trees.  Not cryptographic: they name cache
// entries, they do not defend against an adversary.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/disk.h"

namespace pipe {

std::string hash_bytes(const void* data, size_t size);
std::string hash_string(const std::string& s);
// Canonical form of a parameter tree: object keys sorted, numbers in their
// shortest round-trip form, so key order and formatting never change a key.
std::string canonical(const nlohmann::json& value);

// Remembers file hashes by (path, size, mtime): the stat is the fast
// pre-check, the content hash is the truth.  Implemented by the store.
class HashCache {
 public:
  virtual ~HashCache() = default;
  virtual bool lookup(const std::string& path, const FileStat& st, std::string* hash) = 0;
  virtual void remember(const std::string& path, const FileStat& st, const std::string& hash) = 0;
};

// Hashes files and folders, memoised for the life of the object.
class Fingerprinter {
 public:
  Fingerprinter(const Disk& disk, HashCache* cache) : disk_(disk), cache_(cache) {}
  // Content hash of a file, or of a folder tree (relative names + contents).
  // Throws ConfigError when the path does not exist.
  std::string path(const std::string& path);

 private:
  std::string file(const std::string& path, const FileStat& st);
  std::string tree(const std::string& dir);

  const Disk& disk_;
  HashCache* cache_;
  std::mutex mu_;
  std::map<std::string, std::string> memo_;
};

}  // namespace pipe
