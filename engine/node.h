// Node — a YAML document as pipe reads it: every value keeps its position.
//
// yaml-cpp 0.7 silently keeps the first of two equal keys and its marks are
// 0-based; pipe wants duplicate keys to be errors and 1-based positions in
// every message.  parse_yaml() converts a yaml-cpp tree into Nodes, checking
// duplicates on the way, so the rest of pipe never sees yaml-cpp.  Files of
// more than 16 MB, values of more than 1 MB, nesting deeper than 64 levels
// and more than 200,000 values once aliases are expanded are errors.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/error.h"

namespace pipe {

struct NodeEntry;

class Node {
 public:
  enum class Type { kNull, kScalar, kSequence, kMap };

  Node() = default;
  static Node scalar(std::string text, Mark mark, bool quoted = false);
  static Node sequence(Mark mark);
  static Node map(Mark mark);
  static Node null(Mark mark);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_scalar() const { return type_ == Type::kScalar; }
  bool is_sequence() const { return type_ == Type::kSequence; }
  bool is_map() const { return type_ == Type::kMap; }
  const char* type_name() const;

  const Mark& mark() const { return mark_; }
  // Directory that relative paths in this value are resolved against.
  const std::string& base_dir() const { return base_dir_; }
  void set_base_dir(const std::string& dir);  // recursive
  void relocate(const Mark& mark);            // recursive: every position becomes `mark`

  // Scalars.
  const std::string& text() const { return text_; }
  bool quoted() const { return quoted_; }

  // Sequences.
  const std::vector<Node>& items() const { return items_; }
  void push_back(Node n) { items_.push_back(std::move(n)); }

  // Maps keep their key order; keys carry their own marks.
  using Entry = NodeEntry;
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& entries() { return entries_; }
  const Node* find(const std::string& key) const;
  Node* find(const std::string& key);
  const Entry* find_entry(const std::string& key) const;
  void set(const std::string& key, Node value, Mark key_mark);  // replace or append

 private:
  Type type_ = Type::kNull;
  Mark mark_;
  std::string base_dir_;
  std::string text_;
  bool quoted_ = false;
  std::vector<Node> items_;
  std::vector<Entry> entries_;
};

struct NodeEntry {
  std::string key;
  Mark key_mark;
  Node value;
};

// Parses YAML text; `file` names it in marks and errors.  Throws ConfigError
// for malformed YAML and duplicate keys.
Node parse_yaml(const std::string& text, const std::string& file);
// Reads and parses a file; relative paths inside resolve against its folder.
Node load_yaml_file(const std::string& path);

// Renders a node back to compact flow-style YAML (for messages and dry runs).
std::string to_flow(const Node& node);

}  // namespace pipe
