#include "engine/error.h"

namespace pipe {

std::string Mark::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

Error::Error(std::string what, ErrorKind kind) : what_(std::move(what)), kind_(kind) {}

Error& Error::at(const Mark& mark) {
  if (mark.valid()) where_ = mark.str();
  return *this;
}

Error& Error::at(std::string where) {
  where_ = std::move(where);
  return *this;
}

Error& Error::hint(std::string allowed) {
  hint_ = std::move(allowed);
  return *this;
}

Error& Error::kind(ErrorKind k) {
  kind_ = k;
  return *this;
}

Error& Error::context(std::string outer) {
  contexts_.push_back(std::move(outer));
  return *this;
}

std::string Error::line() const {
  std::string out;
  if (!where_.empty()) out += where_ + ": ";
  for (auto it = contexts_.rbegin(); it != contexts_.rend(); ++it) out += *it + ": ";
  return out + what_;
}

std::string Error::format() const {
  std::string out = "pipe: error: " + line();
  if (!hint_.empty()) out += "\n  " + hint_;
  return out;
}

const char* Error::what() const noexcept {
  formatted_ = line();
  return formatted_.c_str();
}

}  // namespace pipe
