#include "engine/posix.h"  // first: see posix.h
#include "engine/lock.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <thread>

#include "engine/error.h"
#include "engine/paths.h"

namespace pipe {

namespace {
std::string lock_path(const std::string& dir) { return join_path(dir, "lock"); }

std::string holder_of(int fd) {
  char buf[256] = {0};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

ResultsLock::ResultsLock(const std::string& results_dir, double wait_seconds) {
  std::error_code ec;
  std::filesystem::create_directories(results_dir, ec);
  std::string path = lock_path(results_dir);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(std::string("cannot open lock file: ") + std::strerror(errno)).at(path);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      throw Error(std::string("cannot lock: ") + std::strerror(errno)).at(path);
    if (std::chrono::steady_clock::now() >= deadline) {
      // The holder writes its line right after taking the lock: one that has only
      // just taken it shows an empty file for a moment.
      std::string holder = holder_of(fd_);
      for (int i = 0; i < 20 && holder.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        holder = holder_of(fd_);
      }
      if (holder.empty()) holder = "another process";
      ::close(fd_);
      fd_ = -1;
      std::string shown = display_path(results_dir);
      if (shown.back() != '/') shown += '/';
      if (wait_seconds > 0) {
        char waited[32];
        std::snprintf(waited, sizeof waited, "%g", wait_seconds);
        throw Error(shown + " is still locked by " + holder + " after waiting " + waited + " s", ErrorKind::kLocked)
            .hint("wait for it to finish, or give a longer --wait SECONDS");
      }
      throw Error(shown + " is locked by " + holder, ErrorKind::kLocked)
          .hint("wait for it to finish, or pass --wait SECONDS");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::time_t t = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  std::string holder = "pid " + std::to_string(::getpid()) + " (started " + when + ")\n";
  if (::ftruncate(fd_, 0) == 0) {
    ssize_t ignored = ::pwrite(fd_, holder.data(), holder.size(), 0);
    (void)ignored;
  }
}

ResultsLock::~ResultsLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

bool ResultsLock::is_free(const std::string& results_dir) {
  int fd = ::open(lock_path(results_dir).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return true;
  bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  if (free) ::flock(fd, LOCK_UN);
  ::close(fd);
  return free;
}

}  // namespace pipe
