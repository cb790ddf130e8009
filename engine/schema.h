// Schema — the keys a stage accepts, their types and defaults.
//
// A stage kind declares a Schema; validate() turns the stage's YAML mapping
// into typed JSON (defaults filled, paths made absolute) or throws a
// ConfigError at the offending key: unknown keys list the known ones and
// suggest the closest, wrong types say what was expected.  Nested keys are
// named in full ("source.layout", "sources[1].path") and every value keeps
// its position, so a Param (a value that knows where it came from) can point
// an error at any node, however deep.  A field or schema may carry a check
// that runs on the validated value, so a stage kind can reject bad free-form
// values (an op list, a combination of keys) before anything runs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/node.h"

namespace pipe {

using json = nlohmann::json;

enum class FieldType {
  kBool,
  kInt,
  kFloat,
  kString,
  kEnum,       // one of `choices`
  kFile,       // a path to a file; its content goes into the cache key
  kDir,        // a path to a folder; its files' contents go into the cache key
  kInput,      // an upstream artifact: "stage" or "stage.output"
  kList,       // list of `element`
  kMap,        // nested mapping with its own schema
  kAny,        // free-form value the stage checks itself (scalars typed by form)
  kFileOrAny,  // a string is a file path (content hashed), anything else is kAny
  kFileOrRun,  // an existing file (content hashed) or a run (id, prefix or name):
               // the cache key of that run's `run_stage` artifact goes into the key
};

struct Schema;
class Param;

// Throws ConfigError (through Param::error) when a validated value is unusable.
using Check = std::function<void(const Param&)>;

// Whether a field's value enters the stage's cache key.
enum class KeyRule {
  kAlways,
  // Only when it differs from the default: a key added to a stage kind whose
  // default keeps the old output leaves the existing cache keys valid.
  kUnlessDefault,
  kNever,  // how a stage runs, not what it makes (resources, verbosity)
};

struct Field {
  std::string name;
  FieldType type = FieldType::kAny;
  json default_value;  // null: no default
  bool required = false;
  std::string doc;
  std::vector<std::string> choices;  // kEnum
  std::shared_ptr<Field> element;    // kList
  std::shared_ptr<Schema> schema;    // kMap
  bool scalar_as_list = false;       // kList: `x` means `[x]`
  bool scalars_as_text = false;      // kAny: scalars stay strings ("007" is not 7)
  std::string run_stage;             // kFileOrRun: the stage id or kind whose artifact a run gives
  Check check;                       // runs on the validated value (not on a default)
  // kInt, kFloat: the allowed range (null: unbounded); an open end excludes
  // its bound.  Checked before `check`, so a check may rely on it.
  json min, max;
  bool min_open = false, max_open = false;
  KeyRule key = KeyRule::kAlways;
};

struct Schema {
  Schema() = default;
  Schema(std::vector<Field> f, Check c = nullptr) : fields(std::move(f)), check(std::move(c)) {}
  std::vector<Field> fields;
  Check check;  // runs on the whole validated mapping, defaults filled
  const Field* find(const std::string& name) const;
  std::vector<std::string> names() const;
};

// Field builders, so stage kinds read like documentation.
Field boolean(std::string name, bool def, std::string doc);
Field integer(std::string name, json def, std::string doc);
Field number(std::string name, json def, std::string doc);
Field string_field(std::string name, json def, std::string doc);
Field one_of(std::string name, std::vector<std::string> choices, json def, std::string doc);
Field file(std::string name, std::string doc);
Field dir(std::string name, std::string doc);
Field input(std::string name, std::string doc);
Field list_of(std::string name, Field element, json def, std::string doc);
Field mapping(std::string name, Schema schema, std::string doc);
Field any(std::string name, json def, std::string doc);
Field file_or_any(std::string name, std::string doc);
Field file_or_run(std::string name, std::string run_stage, std::string doc);
// Whether a validated kFileOrRun value names a file: validate() makes the path
// of an existing file absolute (relative to the YAML file, else to the
// working folder) and leaves anything else as a run reference.
bool names_file(const std::string& file_or_run);
Field required(Field f);
Field checked(Field f, Check check);
Field as_text(Field f);
Field keyed_unless_default(Field f);  // KeyRule::kUnlessDefault
Field not_keyed(Field f);             // KeyRule::kNever  // a kAny field whose scalars stay text
// Ranges of integer and number fields: `at_least(integer("epochs", 10, ""), 1)`.
Field at_least(Field f, json min);
Field between(Field f, json min, json max);           // min ≤ x ≤ max
Field strictly_between(Field f, json min, json max);  // min < x < max
Field below(Field f, json min, json max);             // min ≤ x < max
// The allowed range as a reader sees it: "≥ 1", "0 .. 1", "> 0 and < 1"; ""
// when unbounded.
std::string range_text(const Field& f);

// Positions of validated values, by JSON pointer ("/optimizer/adam/lr").  A
// key filled by its default is placed at the mapping that lacks it.
using MarkTable = std::map<std::string, Mark>;

// "/sources/0/path" → "sources[0].path": a JSON pointer as the key a user
// writes (all-digit parts are taken as list indices).
std::string key_path(const std::string& pointer);

// A value of a validated parameter tree together with where it came from.
// Lookups keep the position: params["source"]["path"].mark() is the position
// of that value in the YAML file (or the --set option that gave it), and
// error() makes a ConfigError there, named by the full key:
//   throw params["ops"][1]["shift"].error("expected a number");
//     → pipelines/x.yaml:9:24: ops[1].shift: expected a number
// A lookup of an absent key gives null, placed at its nearest ancestor that
// has a position.  Without a Locate (a value read back from a file) marks
// are empty and errors carry only the key.  The tree must outlive the Param.
// Header-only, so libraries that see only pipe::Error can take a Param.
class Param {
 public:
  // The position of a JSON pointer; an invalid Mark when it has none.
  using Locate = std::function<Mark(const std::string& pointer)>;

  Param() : value_(&null_json()) {}
  explicit Param(const json& value, Locate locate = nullptr, std::string pointer = "", std::string key = "")
      : value_(&value), locate_(std::move(locate)), pointer_(std::move(pointer)), key_(std::move(key)) {}

  const json& operator*() const { return *value_; }
  const json* operator->() const { return value_; }
  const json& value() const { return *value_; }

  Param operator[](const std::string& k) const {
    const json* child = &null_json();
    if (value_->is_object()) {
      auto it = value_->find(k);
      if (it != value_->end()) child = &*it;
    }
    return Param(*child, locate_, pointer_ + "/" + k, key_.empty() ? k : key_ + "." + k);
  }
  Param operator[](size_t index) const {
    const json* child = value_->is_array() && index < value_->size() ? &(*value_)[index] : &null_json();
    return Param(*child, locate_, pointer_ + "/" + std::to_string(index),
                 key_ + "[" + std::to_string(index) + "]");
  }

  const std::string& pointer() const { return pointer_; }
  // The key as the user writes it: "source.path", "ops[1].shift"; "" at the root.
  const std::string& key() const { return key_; }
  Mark mark() const {
    if (!locate_) return Mark{};
    std::string p = pointer_;
    while (true) {
      Mark m = locate_(p);
      if (m.valid() || p.empty()) return m;
      size_t slash = p.rfind('/');
      p.erase(slash == std::string::npos ? 0 : slash);
    }
  }
  // ConfigError("<key>: <what>") at this value's position.
  Error error(const std::string& what) const {
    return ConfigError(key_.empty() ? what : key_ + ": " + what).at(mark());
  }

 private:
  static const json& null_json() {
    static const json null;
    return null;
  }
  const json* value_;
  Locate locate_;
  std::string pointer_, key_;
};

// A Locate that reads a MarkTable (which must outlive it).
inline Param::Locate locate_in(const MarkTable& marks) {
  return [&marks](const std::string& pointer) {
    auto it = marks.find(pointer);
    return it == marks.end() ? Mark{} : it->second;
  };
}

// Validates a mapping node against a schema: unknown keys, wrong types,
// missing required keys and failed checks are ConfigErrors at their position.
// `also_known` names keys the caller handles itself (a stage's id and kind),
// so they are listed among the known keys in messages.
json validate(const Node& node, const Schema& schema, MarkTable* marks, const std::string& pointer = "",
              const std::vector<std::string>& also_known = {});

// Converts a scalar or tree without a schema: "3" → 3, "0.5" → 0.5,
// "true" → true, "~" → null, quoted scalars stay strings (every scalar does
// with `as_text`).
json to_json(const Node& node, MarkTable* marks, const std::string& pointer, bool as_text = false);

// Keeps the closest known name (edit distance), or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& known);
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace pipe
