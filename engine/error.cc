#include "engine/error.h"

#include <nlohmann/json.hpp>

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

nlohmann::json Error::to_json() const {
  return {{"message", what_}, {"where", where_}, {"hint", hint_}, {"context", contexts()},
          {"kind", exit_code()}};
}

Error Error::from_json(const nlohmann::json& j) {
  auto text = [&](const char* key) -> std::string {
    if (!j.contains(key) || !j[key].is_string())
      throw Error("not a serialised error: '" + std::string(key) + "' is not text");
    return j[key].get<std::string>();
  };
  if (!j.is_object()) throw Error("not a serialised error: expected an object, got " + j.dump());
  int code = j.contains("kind") && j["kind"].is_number_integer() ? j["kind"].get<int>() : -1;
  if (code != static_cast<int>(ErrorKind::kConfig) && code != static_cast<int>(ErrorKind::kStage) &&
      code != static_cast<int>(ErrorKind::kLocked))
    throw Error("not a serialised error: 'kind' must be 1, 2 or 3, got " +
                (j.contains("kind") ? j["kind"].dump() : "nothing"));
  Error e(text("message"), static_cast<ErrorKind>(code));
  e.at(text("where")).hint(text("hint"));
  if (!j.contains("context") || !j["context"].is_array())
    throw Error("not a serialised error: 'context' is not a list");
  const auto& ctx = j["context"];
  for (auto it = ctx.rbegin(); it != ctx.rend(); ++it) {
    if (!it->is_string()) throw Error("not a serialised error: 'context' holds " + it->dump());
    e.context(it->get<std::string>());
  }
  return e;
}

}  // namespace pipe
