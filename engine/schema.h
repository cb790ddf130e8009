// Schema — the keys a stage accepts, their types and defaults.
//
// A stage kind declares a Schema; validate() turns the stage's YAML mapping
// into typed JSON (defaults filled, paths made absolute) or throws a
// ConfigError at the offending key: unknown keys list the known ones and
// suggest the closest, wrong types say what was expected.
#pragma once

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
};

struct Schema;

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
};

struct Schema {
  std::vector<Field> fields;
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
Field required(Field f);

// Positions of validated values, by JSON pointer ("/optimizer/adam/lr").
using MarkTable = std::map<std::string, Mark>;

// Validates a mapping node against a schema: unknown keys, wrong types and
// missing required keys are ConfigErrors at their position.  `also_known`
// names keys the caller handles itself (a stage's id and kind), so they are
// listed among the known keys in messages.
json validate(const Node& node, const Schema& schema, MarkTable* marks, const std::string& pointer = "",
              const std::vector<std::string>& also_known = {});

// Converts a scalar or tree without a schema: "3" → 3, "0.5" → 0.5,
// "true" → true, "~" → null, quoted scalars stay strings.
json to_json(const Node& node, MarkTable* marks, const std::string& pointer);

// Keeps the closest known name (edit distance), or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& known);
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace pipe
