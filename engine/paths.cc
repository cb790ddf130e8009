#include "engine/paths.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace pipe {

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  return p.lexically_normal().string();
}

std::string parent_dir(const std::string& path) { return fs::path(path).parent_path().string(); }

std::string join_path(const std::string& dir, const std::string& rel) {
  return (fs::path(dir) / rel).lexically_normal().string();
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (fs::path(path).is_absolute()) return fs::path(path).lexically_normal().string();
  return absolute_path(join_path(base_dir.empty() ? "." : base_dir, path));
}

std::string display_path(const std::string& path) {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  fs::path rel = fs::path(path).lexically_relative(cwd);
  if (ec || rel.empty() || *rel.begin() == "..") return path;
  return rel.string();
}

std::string file_stem(const std::string& path) { return fs::path(path).stem().string(); }

}  // namespace pipe
