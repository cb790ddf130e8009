#include "engine/node.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "engine/paths.h"

namespace pipe {

Node Node::scalar(std::string text, Mark mark, bool quoted) {
  Node n;
  n.type_ = Type::kScalar;
  n.text_ = std::move(text);
  n.mark_ = std::move(mark);
  n.quoted_ = quoted;
  return n;
}

Node Node::sequence(Mark mark) {
  Node n;
  n.type_ = Type::kSequence;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::map(Mark mark) {
  Node n;
  n.type_ = Type::kMap;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::null(Mark mark) {
  Node n;
  n.mark_ = std::move(mark);
  return n;
}

const char* Node::type_name() const {
  switch (type_) {
    case Type::kNull:
      return "null";
    case Type::kScalar:
      return "a scalar";
    case Type::kSequence:
      return "a list";
    case Type::kMap:
      return "a mapping";
  }
  return "?";
}

void Node::set_base_dir(const std::string& dir) {
  base_dir_ = dir;
  for (auto& item : items_) item.set_base_dir(dir);
  for (auto& e : entries_) e.value.set_base_dir(dir);
}

void Node::relocate(const Mark& mark) {
  mark_ = mark;
  for (auto& item : items_) item.relocate(mark);
  for (auto& e : entries_) {
    e.key_mark = mark;
    e.value.relocate(mark);
  }
}

const Node::Entry* Node::find_entry(const std::string& key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

const Node* Node::find(const std::string& key) const {
  const Entry* e = find_entry(key);
  return e ? &e->value : nullptr;
}

Node* Node::find(const std::string& key) {
  for (auto& e : entries_)
    if (e.key == key) return &e.value;
  return nullptr;
}

void Node::set(const std::string& key, Node value, Mark key_mark) {
  if (Node* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.push_back({key, std::move(key_mark), std::move(value)});
}

namespace {

Mark to_mark(const YAML::Mark& m, const std::string& file) {
  Mark mark;
  mark.file = file;
  mark.line = m.line + 1;
  mark.col = m.column + 1;
  return mark;
}

// Limits that keep a hostile or mistaken file from taking the machine: the
// file itself, one scalar, the nesting, and the values after expansion
// (yaml-cpp shares an anchored node between its aliases; Nodes copy it, so
// nine levels of ten aliases each would become a billion values).
constexpr size_t kMaxYamlBytes = size_t{16} << 20;
constexpr size_t kMaxScalarBytes = size_t{1} << 20;
constexpr int kMaxDepth = 64;
constexpr size_t kMaxValues = 200000;

struct Converter {
  const std::string& file;
  size_t values = 0;

  Node convert(const YAML::Node& y, int depth) {
    Mark mark = to_mark(y.Mark(), file);
    if (depth > kMaxDepth)
      throw ConfigError("the YAML nests deeper than " + std::to_string(kMaxDepth) + " levels")
          .at(mark)
          .hint("pipelines and experiments need a few levels; is this the right file?");
    if (++values > kMaxValues)
      throw ConfigError("the YAML expands to more than " + std::to_string(kMaxValues) +
                        " values (an alias copies its anchor's value where it is used)")
          .at(mark)
          .hint("use fewer aliases of large values, or write the values out");
    switch (y.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Node::null(mark);
      case YAML::NodeType::Scalar:
        if (y.Scalar().size() > kMaxScalarBytes)
          throw ConfigError("a value of " + std::to_string(y.Scalar().size()) + " bytes is longer than the " +
                            std::to_string(kMaxScalarBytes) + " allowed")
              .at(mark)
              .hint("put large data in a file and give its path");
        // yaml-cpp tags plain scalars "?" and quoted ones "!".
        return Node::scalar(y.Scalar(), mark, y.Tag() == "!");
      case YAML::NodeType::Sequence: {
        Node seq = Node::sequence(mark);
        for (const auto& item : y) seq.push_back(convert(item, depth + 1));
        return seq;
      }
      case YAML::NodeType::Map: {
        Node map = Node::map(mark);
        for (const auto& kv : y) {
          Mark key_mark = to_mark(kv.first.Mark(), file);
          if (!kv.first.IsScalar()) throw ConfigError("mapping keys must be plain names").at(key_mark);
          std::string key = kv.first.Scalar();
          if (const Node::Entry* first = map.find_entry(key))
            throw ConfigError("duplicate key '" + key + "' (first defined at line " +
                              std::to_string(first->key_mark.line) + ")")
                .at(key_mark);
          map.entries().push_back({key, key_mark, convert(kv.second, depth + 1)});
        }
        return map;
      }
    }
    return Node::null(mark);
  }
};

}  // namespace

Node parse_yaml(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    Mark mark{file, e.mark.line + 1, e.mark.column + 1};
    if (e.mark.is_null()) mark.line = 0;
    throw ConfigError("malformed YAML: " + e.msg).at(mark);
  }
  Node node = Converter{file}.convert(root, 1);
  node.set_base_dir(parent_dir(absolute_path(file)));
  return node;
}

Node load_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read file").at(path);
  in.seekg(0, std::ios::end);
  if (in.tellg() > static_cast<std::streamoff>(kMaxYamlBytes))
    throw ConfigError("the file is " + std::to_string(in.tellg()) + " bytes, more than the " +
                      std::to_string(kMaxYamlBytes) + " a YAML file may have")
        .at(path)
        .hint("a pipeline or experiment file is a few kilobytes; is this the right file?");
  in.seekg(0);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_yaml(ss.str(), path);
}

std::string to_flow(const Node& node) {
  switch (node.type()) {
    case Node::Type::kNull:
      return "null";
    case Node::Type::kScalar:
      return node.text();
    case Node::Type::kSequence: {
      std::string out = "[";
      for (size_t i = 0; i < node.items().size(); ++i) out += (i ? ", " : "") + to_flow(node.items()[i]);
      return out + "]";
    }
    case Node::Type::kMap: {
      std::string out = "{";
      for (size_t i = 0; i < node.entries().size(); ++i)
        out += (i ? ", " : "") + node.entries()[i].key + ": " + to_flow(node.entries()[i].value);
      return out + "}";
    }
  }
  return "";
}

}  // namespace pipe
