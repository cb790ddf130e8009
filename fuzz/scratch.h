// Scratch files for fuzz targets whose parser reads a path, not bytes: one
// private folder per process (removed at exit), files rewritten per input.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace pipe::fuzz {

inline const std::string& scratch_dir() {
  struct Folder {
    std::string path = (std::filesystem::temp_directory_path() / "pipe-fuzz-XXXXXX").string();
    Folder() {
      if (!::mkdtemp(path.data())) std::abort();
    }
    ~Folder() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Folder folder;
  return folder.path;
}

// Writes `size` bytes to `name` inside the scratch folder; returns its path.
inline std::string scratch_file(const std::string& name, const uint8_t* data, size_t size) {
  std::filesystem::path path = std::filesystem::path(scratch_dir()) / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();
  return path.string();
}

}  // namespace pipe::fuzz
