// pipe::Error — the one error type of pipe.
//
// An error carries what went wrong, where it points (FILE:LINE:COL for YAML,
// "--set KEY" for an override, a path for a data file, or nothing), an
// optional line that says what is allowed, and a chain of context ("stage
// train", "layer conv1") added as the error travels up.  main() prints it as
//   pipe: error: <where>: <context>: <what>
//     <hint>
// and maps its kind to an exit code.
//
// to_json()/from_json() give the error a small serialisable form, so it can
// cross from the thread or process that ran a stage to the one that reports
// it, whole:
//   {"message": ..., "where": ..., "hint": ..., "context": [outermost first], "kind": exit code}
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace pipe {

enum class ErrorKind {
  kConfig = 2,  // bad usage or configuration: nothing ran
  kStage = 1,   // a stage failed while running
  kLocked = 3,  // the results directory is held by another process
};

// A 1-based position in a file.
struct Mark {
  std::string file;
  int line = 0;
  int col = 0;
  bool valid() const { return !file.empty(); }
  std::string str() const;  // "file:line:col", or "file" when line is 0
};

class Error : public std::exception {
 public:
  explicit Error(std::string what, ErrorKind kind = ErrorKind::kStage);

  // Builders; each returns *this so a throw can be written in one line.
  Error& at(const Mark& mark);
  Error& at(std::string where);
  Error& hint(std::string allowed);
  Error& kind(ErrorKind k);
  // Adds an outer context ("stage train"); the outermost is printed first.
  Error& context(std::string outer);

  const std::string& message() const { return what_; }
  const std::string& where() const { return where_; }
  const std::string& hint_text() const { return hint_; }
  // Contexts as printed: outermost first.
  std::vector<std::string> contexts() const { return {contexts_.rbegin(), contexts_.rend()}; }
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }

  // The one-line form without the "pipe: error: " prefix and without the hint.
  std::string line() const;
  // What main() prints: "pipe: error: " + line() + optional hint line.
  std::string format() const;
  const char* what() const noexcept override;

  nlohmann::json to_json() const;
  // The inverse of to_json(); throws an Error saying what is wrong when `j`
  // is not such an object (a damaged journal line).
  static Error from_json(const nlohmann::json& j);

 private:
  std::string what_;
  std::string where_;
  std::string hint_;
  std::vector<std::string> contexts_;  // innermost first
  ErrorKind kind_;
  mutable std::string formatted_;
};

// Shorthand for configuration errors (exit code 2).
inline Error ConfigError(std::string what) { return Error(std::move(what), ErrorKind::kConfig); }

}  // namespace pipe
