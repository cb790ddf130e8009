#include "engine/posix.h"  // first: see posix.h
#include "engine/disk.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/error.h"

namespace fs = std::filesystem;

namespace pipe {

Error disk_error(const std::string& what, const std::string& path, int err) {
  if (err == ENOSPC || err == EDQUOT)
    return Error(std::string(err == ENOSPC ? "no space left on device" : "disk quota exceeded") +
                 " (writing " + path + ")");
  return Error(what + ": " + std::strerror(err)).at(path);
}

namespace {
Error io_error(const std::string& what, const std::string& path, int err) {
  return disk_error(what, path, err);
}
}  // namespace

bool RealDisk::stat(const std::string& path, FileStat* out) const {
  struct ::stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  out->size = st.st_size;
  out->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  out->is_dir = S_ISDIR(st.st_mode);
  return true;
}

std::string RealDisk::read_file(const std::string& path) const {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot read", path, errno);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void RealDisk::write_file(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error("cannot create", tmp, errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw io_error("cannot write", path, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw io_error("cannot write", path, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw io_error("cannot rename into place", path, err);
  }
}

void RealDisk::make_dirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw disk_error("cannot create folder", path, ec.value());
}

void RealDisk::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) throw io_error("cannot rename " + from, to, errno);
}

void RealDisk::remove_all(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw Error("cannot remove: " + ec.message()).at(path);
}

std::vector<std::string> RealDisk::list_dir(const std::string& path) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) throw Error("cannot list folder: " + ec.message()).at(path);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace pipe
