#include "engine/schema.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "engine/paths.h"

namespace pipe {

const Field* Schema::find(const std::string& name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string> Schema::names() const {
  std::vector<std::string> out;
  for (const auto& f : fields) out.push_back(f.name);
  return out;
}

namespace {

Field make(std::string name, FieldType type, json def, std::string doc) {
  Field f;
  f.name = std::move(name);
  f.type = type;
  f.default_value = std::move(def);
  f.doc = std::move(doc);
  return f;
}

bool parse_int(const std::string& s, long long* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || *end) return false;
  *out = v;
  return true;
}

bool parse_float(const std::string& s, double* out) {
  if (s.empty()) return false;
  if (s == ".inf" || s == "+.inf") {
    *out = INFINITY;
    return true;
  }
  if (s == "-.inf") {
    *out = -INFINITY;
    return true;
  }
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (errno || *end || std::isnan(v)) return false;
  *out = v;
  return true;
}

bool parse_bool(const std::string& s, bool* out) {
  if (s == "true" || s == "True" || s == "yes" || s == "on") {
    *out = true;
    return true;
  }
  if (s == "false" || s == "False" || s == "no" || s == "off") {
    *out = false;
    return true;
  }
  return false;
}

const char* type_word(const Field& f) {
  switch (f.type) {
    case FieldType::kBool:
      return "true or false";
    case FieldType::kInt:
      return "an integer";
    case FieldType::kFloat:
      return "a number";
    case FieldType::kString:
      return "a string";
    case FieldType::kEnum:
      return "one of the allowed values";
    case FieldType::kFile:
      return "a file path";
    case FieldType::kDir:
      return "a folder path";
    case FieldType::kInput:
      return "a stage name (stage or stage.output)";
    case FieldType::kList:
      return "a list";
    case FieldType::kMap:
      return "a mapping";
    case FieldType::kAny:
      return "a value";
    case FieldType::kFileOrAny:
      return "a file path or an inline value";
    case FieldType::kFileOrRun:
      return "a file path or a run";
  }
  return "a value";
}

std::string describe(const Node& n) {
  if (n.is_scalar()) return "'" + n.text() + "'";
  return n.type_name();
}

json validate_map(const Node& node, const Schema& schema, MarkTable& marks, const std::string& ptr,
                  const std::vector<std::string>& also_known);

void run_check(const Check& check, const json& value, MarkTable& marks, const std::string& ptr) {
  if (check) check(Param(value, locate_in(marks), ptr, key_path(ptr)));
}

std::string number_text(const json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  std::string s = v.dump();  // shortest form that reads back: 0.1, 1e-06
  return s;
}

// "must be at least 1 (got -3)" with the range as the hint, or nothing.
void check_range(const Field& f, const json& value, const Node& node, const std::string& ptr) {
  if (!value.is_number()) return;
  double v = value.get<double>();
  bool low = !f.min.is_null() && (f.min_open ? v <= f.min.get<double>() : v < f.min.get<double>());
  bool high = !f.max.is_null() && (f.max_open ? v >= f.max.get<double>() : v > f.max.get<double>());
  if (!low && !high) return;
  std::string what;
  if (f.max.is_null())
    what = f.min_open ? "must be more than " + number_text(f.min) : "must be at least " + number_text(f.min);
  else if (f.min.is_null())
    what = f.max_open ? "must be less than " + number_text(f.max) : "must be at most " + number_text(f.max);
  else
    what = "must be between " + number_text(f.min) + " and " + number_text(f.max) +
           (f.min_open && f.max_open ? ", both excluded"
            : f.min_open             ? ", " + number_text(f.min) + " excluded"
            : f.max_open             ? ", " + number_text(f.max) + " excluded"
                                     : "");
  throw ConfigError(key_path(ptr) + ": " + what + " (got " + node.text() + ")")
      .at(node.mark())
      .hint(std::string("allowed: ") + (f.type == FieldType::kInt ? "an integer " : "a number ") + range_text(f));
}

json validate_field(const Node& node, const Field& f, MarkTable& marks, const std::string& ptr) {
  marks[ptr] = node.mark();
  auto wrong = [&]() {
    return ConfigError(key_path(ptr) + ": expected " + type_word(f) + ", got " + describe(node)).at(node.mark());
  };
  json out;
  switch (f.type) {
    case FieldType::kBool: {
      bool b;
      if (!node.is_scalar() || !parse_bool(node.text(), &b)) throw wrong();
      out = b;
      break;
    }
    case FieldType::kInt: {
      long long v;
      if (!node.is_scalar() || !parse_int(node.text(), &v)) throw wrong();
      out = v;
      check_range(f, out, node, ptr);
      break;
    }
    case FieldType::kFloat: {
      double v;
      if (!node.is_scalar() || !parse_float(node.text(), &v)) throw wrong();
      out = v;
      check_range(f, out, node, ptr);
      break;
    }
    case FieldType::kString:
    case FieldType::kInput:
      if (!node.is_scalar()) throw wrong();
      out = node.text();
      break;
    case FieldType::kEnum:
      if (!node.is_scalar()) throw wrong();
      if (std::find(f.choices.begin(), f.choices.end(), node.text()) == f.choices.end())
        throw ConfigError(key_path(ptr) + ": '" + node.text() + "' is not allowed")
            .at(node.mark())
            .hint("allowed: " + join(f.choices, " | "));
      out = node.text();
      break;
    case FieldType::kFile:
    case FieldType::kDir:
      if (!node.is_scalar() || node.text().empty()) throw wrong();
      out = resolve_path(node.base_dir(), node.text());
      break;
    case FieldType::kFileOrAny:
      out = node.is_scalar() ? json(resolve_path(node.base_dir(), node.text())) : to_json(node, &marks, ptr);
      break;
    case FieldType::kFileOrRun: {
      if (!node.is_scalar() || node.text().empty()) throw wrong();
      out = node.text();
      for (const std::string& base : {node.base_dir(), std::string(".")})
        if (std::string path = resolve_path(base, node.text()); std::filesystem::is_regular_file(path)) {
          out = path;
          break;
        }
      break;
    }
    case FieldType::kList: {
      out = json::array();
      if (!node.is_sequence()) {
        if (!f.scalar_as_list || !node.is_scalar()) throw wrong();
        out.push_back(validate_field(node, *f.element, marks, ptr + "/0"));
        break;
      }
      for (size_t i = 0; i < node.items().size(); ++i)
        out.push_back(validate_field(node.items()[i], *f.element, marks, ptr + "/" + std::to_string(i)));
      break;
    }
    case FieldType::kMap:
      if (!node.is_map()) throw wrong();
      out = validate_map(node, *f.schema, marks, ptr, {});
      break;
    case FieldType::kAny:
      out = to_json(node, &marks, ptr, f.scalars_as_text);
      break;
  }
  run_check(f.check, out, marks, ptr);
  return out;
}

json validate_map(const Node& node, const Schema& schema, MarkTable& marks, const std::string& ptr,
                  const std::vector<std::string>& also_known) {
  json out = json::object();
  marks[ptr] = node.mark();
  // Top-level messages name the key alone; nested ones say where it is.
  std::string in = ptr.empty() ? "" : key_path(ptr) + ": ";
  if (!node.is_map() && !node.is_null())
    throw ConfigError(in + "expected a mapping, got " + node.type_name()).at(node.mark());
  for (const auto& e : node.entries()) {
    const Field* f = schema.find(e.key);
    if (!f) {
      std::vector<std::string> known = also_known;
      for (const auto& name : schema.names()) known.push_back(name);
      std::string msg = in + "unknown key '" + e.key + "'";
      std::string near = closest(e.key, known);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      throw ConfigError(msg)
          .at(e.key_mark)
          .hint((ptr.empty() ? "known keys: " : "known keys in " + key_path(ptr) + ": ") + join(known));
    }
    out[e.key] = validate_field(e.value, *f, marks, ptr + "/" + e.key);
  }
  for (const auto& f : schema.fields) {
    if (out.contains(f.name)) continue;
    if (f.required)
      throw ConfigError(in + "missing required key '" + f.name + "'")
          .at(node.mark())
          .hint(f.doc.empty() ? "" : f.name + ": " + f.doc);
    out[f.name] = f.default_value;
    marks[ptr + "/" + f.name] = node.mark();
  }
  run_check(schema.check, out, marks, ptr);
  return out;
}

}  // namespace

Field boolean(std::string name, bool def, std::string doc) {
  return make(std::move(name), FieldType::kBool, def, std::move(doc));
}
Field integer(std::string name, json def, std::string doc) {
  return make(std::move(name), FieldType::kInt, std::move(def), std::move(doc));
}
Field number(std::string name, json def, std::string doc) {
  return make(std::move(name), FieldType::kFloat, std::move(def), std::move(doc));
}
Field string_field(std::string name, json def, std::string doc) {
  return make(std::move(name), FieldType::kString, std::move(def), std::move(doc));
}
Field one_of(std::string name, std::vector<std::string> choices, json def, std::string doc) {
  Field f = make(std::move(name), FieldType::kEnum, std::move(def), std::move(doc));
  f.choices = std::move(choices);
  return f;
}
Field file(std::string name, std::string doc) {
  return make(std::move(name), FieldType::kFile, nullptr, std::move(doc));
}
Field dir(std::string name, std::string doc) {
  return make(std::move(name), FieldType::kDir, nullptr, std::move(doc));
}
Field input(std::string name, std::string doc) {
  return make(std::move(name), FieldType::kInput, nullptr, std::move(doc));
}
Field list_of(std::string name, Field element, json def, std::string doc) {
  Field f = make(std::move(name), FieldType::kList, std::move(def), std::move(doc));
  element.name = f.name;
  f.element = std::make_shared<Field>(std::move(element));
  return f;
}
Field mapping(std::string name, Schema schema, std::string doc) {
  Field f = make(std::move(name), FieldType::kMap, nullptr, std::move(doc));
  f.schema = std::make_shared<Schema>(std::move(schema));
  return f;
}
Field any(std::string name, json def, std::string doc) {
  return make(std::move(name), FieldType::kAny, std::move(def), std::move(doc));
}
Field file_or_any(std::string name, std::string doc) {
  return make(std::move(name), FieldType::kFileOrAny, nullptr, std::move(doc));
}
Field file_or_run(std::string name, std::string run_stage, std::string doc) {
  Field f = make(std::move(name), FieldType::kFileOrRun, nullptr, std::move(doc));
  f.run_stage = std::move(run_stage);
  return f;
}
bool names_file(const std::string& file_or_run) { return std::filesystem::path(file_or_run).is_absolute(); }
Field required(Field f) {
  f.required = true;
  return f;
}
Field checked(Field f, Check check) {
  f.check = std::move(check);
  return f;
}
Field as_text(Field f) {
  f.scalars_as_text = true;
  return f;
}

Field keyed_unless_default(Field f) {
  f.key = KeyRule::kUnlessDefault;
  return f;
}

Field not_keyed(Field f) {
  f.key = KeyRule::kNever;
  return f;
}
Field at_least(Field f, json min) {
  f.min = std::move(min);
  return f;
}
Field between(Field f, json min, json max) {
  f.min = std::move(min);
  f.max = std::move(max);
  return f;
}
Field strictly_between(Field f, json min, json max) {
  f = between(std::move(f), std::move(min), std::move(max));
  f.min_open = f.max_open = true;
  return f;
}
Field below(Field f, json min, json max) {
  f = between(std::move(f), std::move(min), std::move(max));
  f.max_open = true;
  return f;
}

std::string range_text(const Field& f) {
  std::string lo = f.min.is_null() ? "" : (f.min_open ? "> " : "≥ ") + number_text(f.min);
  std::string hi = f.max.is_null() ? "" : (f.max_open ? "< " : "≤ ") + number_text(f.max);
  if (lo.empty() || hi.empty()) return lo + hi;
  if (!f.min_open && !f.max_open) return "from " + number_text(f.min) + " to " + number_text(f.max);
  return lo + " and " + hi;
}

std::string key_path(const std::string& pointer) {
  std::string out;
  if (pointer.empty()) return out;
  size_t start = pointer[0] == '/' ? 1 : 0;
  while (true) {
    size_t slash = pointer.find('/', start);
    std::string part = pointer.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos)
      out += "[" + part + "]";
    else
      out += (out.empty() ? "" : ".") + part;
    if (slash == std::string::npos) return out;
    start = slash + 1;
  }
}

json to_json(const Node& node, MarkTable* marks, const std::string& ptr, bool as_text) {
  if (marks) (*marks)[ptr] = node.mark();
  switch (node.type()) {
    case Node::Type::kNull:
      return nullptr;
    case Node::Type::kScalar: {
      const std::string& s = node.text();
      if (node.quoted() || as_text) return s;
      long long i;
      double d;
      bool b;
      if (parse_int(s, &i)) return i;
      if (parse_float(s, &d)) return d;
      if (parse_bool(s, &b)) return b;
      if (s == "~" || s == "null") return nullptr;
      return s;
    }
    case Node::Type::kSequence: {
      json out = json::array();
      for (size_t i = 0; i < node.items().size(); ++i)
        out.push_back(to_json(node.items()[i], marks, ptr + "/" + std::to_string(i), as_text));
      return out;
    }
    case Node::Type::kMap: {
      json out = json::object();
      for (const auto& e : node.entries()) {
        if (marks) (*marks)[ptr + "/" + e.key + "#key"] = e.key_mark;
        out[e.key] = to_json(e.value, marks, ptr + "/" + e.key, as_text);
      }
      return out;
    }
  }
  return nullptr;
}

json validate(const Node& node, const Schema& schema, MarkTable* marks, const std::string& ptr,
              const std::vector<std::string>& also_known) {
  MarkTable local;
  return validate_map(node, schema, marks ? *marks : local, ptr, also_known);
}

std::string closest(const std::string& word, const std::vector<std::string>& known) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& k : known) {
    // Levenshtein distance, two rows.
    std::vector<size_t> prev(k.size() + 1), cur(k.size() + 1);
    for (size_t j = 0; j <= k.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= k.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (word[i - 1] != k[j - 1])});
      std::swap(prev, cur);
    }
    if (prev[k.size()] < best_d) {
      best_d = prev[k.size()];
      best = k;
    }
  }
  return best;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

}  // namespace pipe
