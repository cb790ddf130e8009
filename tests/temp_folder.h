// A fresh folder under $TMPDIR for one test, removed with everything in it at
// scope exit, and slurp() to read a file back.  Header-only and standard-library-only, so every test area (the
// engine's too, which builds without OpenCV and oneDNN) can use it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace pipe::testing {

class TempFolder {
 public:
  TempFolder() {
    std::string templ = (std::filesystem::temp_directory_path() / "pipe-test-XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed in " + templ);
    path_ = templ;
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::string& path() const { return path_; }
  // A path inside; nothing is created.
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }
  // A path inside, its parent folders created.
  std::string at(const std::string& rel) const {
    std::filesystem::path p = std::filesystem::path(path_) / rel;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }
  // A folder inside, created.
  std::string dir(const std::string& rel) const {
    std::filesystem::create_directories(std::filesystem::path(path_) / rel);
    return path_ + "/" + rel;
  }

 private:
  std::string path_;
};

// The whole content of a file ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace pipe::testing
