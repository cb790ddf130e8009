#include "stages/image/source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "engine/error.h"

namespace fs = std::filesystem;

namespace pipe::image {

namespace {

bool hidden(const std::string& name) { return !name.empty() && name[0] == '.'; }

// True when `p` (canonical) lies inside `root` (canonical).
bool inside(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q)
    if (q == p.end() || *r != *q) return false;
  return true;
}

fs::path canonical_root(const std::string& path) {
  std::error_code ec;
  fs::path root = fs::canonical(path, ec);
  if (ec) throw Error("cannot open the dataset folder: " + ec.message()).at(path);
  if (!fs::is_directory(root)) throw Error("not a folder").at(path).hint("a folder or manifest source needs a folder");
  return root;
}

// Throws when `p`, after following symlinks, is outside the root.
void check_inside(const fs::path& root, const fs::path& p, const std::string& shown, const std::string& where) {
  std::error_code ec;
  fs::path real = fs::canonical(p, ec);
  if (ec) return;  // missing: reported as a rejected file by the caller
  if (!inside(root, real))
    throw Error("path '" + shown + "' escapes the dataset root (it resolves to " + real.string() + ")")
        .at(where)
        .hint("every image must lie inside " + root.string() + "; symlinks must not point outside it");
}

std::string file_name(const std::string& rel) {
  size_t slash = rel.find_last_of('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

std::regex compile(const std::string& pattern, const char* key) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw ConfigError(std::string(key) + ": not a valid regular expression: " + pattern).hint(e.what());
  }
}

// RFC 4180 fields of one CSV line (quotes, doubled quotes); false on an open quote.
bool split_csv(const std::string& line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  fields->push_back(cur);
  return !quoted;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

struct Raw {
  std::string rel, file, label, group, split;
};

void list_folder(const SourceSpec& spec, const fs::path& root, std::vector<Raw>* out, std::vector<Rejected>* rejected) {
  struct File {
    std::string name;
    bool regular;
  };
  std::vector<std::string> classes;
  std::vector<File> loose;  // files directly in the root: labelled by their name only
  for (const auto& e : fs::directory_iterator(root)) {
    std::string name = e.path().filename().string();
    if (hidden(name)) continue;
    if (e.is_symlink()) check_inside(root, e.path(), name, spec.path);
    if (e.is_directory()) classes.push_back(name);
    else if (!spec.label_from_filename.empty() || !spec.label.empty()) loose.push_back({name, e.is_regular_file()});
  }
  std::sort(classes.begin(), classes.end());
  std::sort(loose.begin(), loose.end(), [](const File& a, const File& b) { return a.name < b.name; });
  for (const auto& f : loose) {
    if (!f.regular) rejected->push_back({f.name, "not a regular file"});
    else out->push_back({f.name, (root / f.name).string(), "", "", spec.split});
  }
  if (classes.empty() && loose.empty())
    throw Error("no class folders in the dataset folder").at(spec.path)
        .hint("the folder layout is root/<class>/<file> (or root/<file> with label or label_from_filename)");
  for (const auto& cls : classes) {
    fs::path dir = root / cls;
    std::vector<File> files;
    // Entry types come from the directory listing itself; only symlinks
    // cost a lookup (to see where they point).
    for (const auto& e : fs::directory_iterator(dir)) {
      std::string name = e.path().filename().string();
      if (hidden(name)) continue;
      if (e.is_symlink()) check_inside(root, e.path(), cls + "/" + name, spec.path);
      if (e.is_directory()) {
        rejected->push_back({cls + "/" + name, "a folder inside a class folder (not read)"});
        continue;
      }
      files.push_back({name, e.is_regular_file()});
    }
    std::sort(files.begin(), files.end(), [](const File& a, const File& b) { return a.name < b.name; });
    for (const auto& f : files) {
      std::string rel = cls + "/" + f.name;
      if (!f.regular) {
        rejected->push_back({rel, "not a regular file"});
        continue;
      }
      out->push_back({rel, (dir / f.name).string(), cls, "", spec.split});
    }
  }
}

void list_manifest(const SourceSpec& spec, const fs::path& root, std::vector<Raw>* out, std::vector<Rejected>* rejected) {
  fs::path manifest_rel = fs::path(spec.manifest).lexically_normal();
  if (manifest_rel.is_absolute() || (!manifest_rel.empty() && *manifest_rel.begin() == ".."))
    throw ConfigError("manifest '" + spec.manifest + "' must be a path inside the source folder").at(spec.path);
  fs::path manifest = root / manifest_rel;
  std::string where = manifest.string();
  check_inside(root, manifest, spec.manifest, where);
  std::ifstream in(manifest, std::ios::binary);
  if (!in) throw Error("cannot read the manifest").at(where).hint("layout manifest needs a CSV with a header path,label");
  fs::path base = (root / manifest_rel).parent_path();
  std::string line;
  std::vector<std::string> fields;
  int path_col = -1, label_col = -1, group_col = -1, split_col = -1;
  size_t columns = 0;
  int line_no = 0;
  std::set<std::string> folder_ok;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    std::string at = where + ":" + std::to_string(line_no);
    if (!split_csv(line, &fields)) throw Error("unterminated quote in the manifest").at(at);
    if (path_col < 0) {
      for (size_t i = 0; i < fields.size(); ++i) {
        std::string h = trim(fields[i]);
        if (h == "path") path_col = static_cast<int>(i);
        else if (h == "label") label_col = static_cast<int>(i);
        else if (h == "group") group_col = static_cast<int>(i);
        else if (h == "split") split_col = static_cast<int>(i);
      }
      if (path_col < 0 || (label_col < 0 && spec.label.empty()))
        throw Error("the manifest header must name the columns path and label").at(at)
            .hint("e.g. `path,label` (optional columns: group, split)");
      columns = fields.size();
      continue;
    }
    if (fields.size() != columns)
      throw Error("expected " + std::to_string(columns) + " fields, found " + std::to_string(fields.size())).at(at);
    std::string path = trim(fields[path_col]);
    if (path.empty()) throw Error("empty path").at(at);
    fs::path p(path);
    if (p.is_absolute())
      throw Error("absolute path '" + path + "' in the manifest").at(at).hint("paths are relative to the manifest's folder");
    fs::path full = (base / p).lexically_normal();
    fs::path rel = full.lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..")
      throw Error("path '" + path + "' escapes the dataset root").at(at).hint("paths must stay inside " + root.string());
    // The lexical check above catches `..`; symlinks (the file or a folder
    // on its way) are followed and checked once per folder.
    fs::path parent = full.parent_path();
    auto known = folder_ok.find(parent.string());
    if (known == folder_ok.end()) {
      check_inside(root, parent, fs::path(path).parent_path().string(), at);
      folder_ok.insert(parent.string());
    }
    std::error_code ec;
    fs::file_status st = fs::symlink_status(full, ec);
    if (fs::is_symlink(st)) {
      check_inside(root, full, path, at);
      st = fs::status(full, ec);
    }
    std::string split = split_col >= 0 ? trim(fields[split_col]) : spec.split;
    Raw r{rel.generic_string(), full.string(), label_col >= 0 ? trim(fields[label_col]) : "",
          group_col >= 0 ? trim(fields[group_col]) : "", split};
    if (!fs::exists(st)) {
      rejected->push_back({r.rel, "file not found"});
      continue;
    }
    if (!fs::is_regular_file(st)) {
      rejected->push_back({r.rel, "not a regular file"});
      continue;
    }
    out->push_back(std::move(r));
  }
  if (path_col < 0) throw Error("the manifest is empty").at(where).hint("a header path,label and one line per image");
}

}  // namespace

std::map<std::string, std::string> chars74k_label_map() {
  std::map<std::string, std::string> m;
  const std::string names = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (size_t i = 0; i < names.size(); ++i) {
    char key[24];
    std::snprintf(key, sizeof key, "%03zu", i + 1);
    m[key] = std::string(1, names[i]);
  }
  return m;
}

std::string resolve_layout(const SourceSpec& spec) {
  if (spec.layout != "auto") return spec.layout;
  std::error_code ec;
  if (fs::is_regular_file(spec.path, ec)) return "idx";
  if (fs::is_regular_file(fs::path(spec.path) / spec.manifest, ec)) return "manifest";
  return "folder";
}

bool map_label(const SourceSpec& spec, const std::string& raw, std::string* label, std::string* reason) {
  std::string name = spec.label.empty() ? raw : spec.label;
  if (spec.label.empty() && !spec.label_map.empty()) {
    auto it = spec.label_map.find(raw);
    if (it == spec.label_map.end() && !raw.empty() &&
        std::all_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      // "7" finds "007" and the other way round.
      std::string stripped = raw.substr(std::min(raw.find_first_not_of('0'), raw.size() - 1));
      for (auto m = spec.label_map.begin(); m != spec.label_map.end() && it == spec.label_map.end(); ++m) {
        const std::string& k = m->first;
        if (k.empty() || !std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
        if (k.substr(std::min(k.find_first_not_of('0'), k.size() - 1)) == stripped) it = m;
      }
    }
    if (it == spec.label_map.end()) {
      *reason = "label '" + raw + "' is not in label_map";
      return false;
    }
    name = it->second;
  }
  if (!spec.classes.empty() && std::find(spec.classes.begin(), spec.classes.end(), name) == spec.classes.end()) {
    reason->clear();
    return false;
  }
  auto renamed = spec.rename.find(name);
  if (renamed != spec.rename.end()) name = renamed->second;
  if (name.empty()) {
    *reason = "empty label";
    return false;
  }
  *label = spec.prefix + name;
  return true;
}

std::vector<size_t> limit_per_class(const std::vector<std::string>& labels, int limit) {
  std::vector<size_t> keep;
  if (limit <= 0) {
    keep.resize(labels.size());
    for (size_t i = 0; i < labels.size(); ++i) keep[i] = i;
    return keep;
  }
  std::map<std::string, std::vector<size_t>> by_class;
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(i);
  for (const auto& [name, items] : by_class) {
    size_t n = items.size(), k = std::min<size_t>(n, static_cast<size_t>(limit));
    for (size_t j = 0; j < k; ++j) keep.push_back(items[j * n / k]);
  }
  std::sort(keep.begin(), keep.end());
  return keep;
}

bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && digit(a[i2])) ++i2;
      while (j2 < b.size() && digit(b[j2])) ++j2;
      std::string x = a.substr(i, i2 - i), y = b.substr(j, j2 - j);
      x.erase(0, std::min(x.find_first_not_of('0'), x.size()));
      y.erase(0, std::min(y.find_first_not_of('0'), y.size()));
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;
}

Listing list_source(const SourceSpec& spec) {
  Listing out;
  out.layout = resolve_layout(spec);
  if (out.layout == "idx") throw Error("list_source: IDX sources are read by read_idx_images").at(spec.path);
  fs::path root = canonical_root(spec.path);
  std::vector<Raw> raw;
  if (out.layout == "folder") list_folder(spec, root, &raw, &out.rejected);
  else list_manifest(spec, root, &raw, &out.rejected);

  std::regex label_re, group_re;
  if (!spec.label_from_filename.empty()) label_re = compile(spec.label_from_filename, "label_from_filename");
  if (!spec.group_from_filename.empty()) group_re = compile(spec.group_from_filename, "group_from_filename");
  std::vector<SourceEntry> kept;
  std::vector<std::string> labels;
  for (auto& r : raw) {
    std::string name = file_name(r.rel);
    std::string raw_label = r.label;
    std::smatch m;
    if (!spec.label_from_filename.empty()) {
      if (!std::regex_search(name, m, label_re) || m.size() < 2) {
        out.rejected.push_back({r.rel, "file name does not match label_from_filename"});
        continue;
      }
      raw_label = m[1].str();
    }
    std::string label, reason;
    if (!map_label(spec, raw_label, &label, &reason)) {
      if (!reason.empty()) out.rejected.push_back({r.rel, reason});
      continue;
    }
    std::string group = r.group;
    if (!spec.group_from_filename.empty() && std::regex_search(name, m, group_re) && m.size() >= 2) group = m[1].str();
    kept.push_back({r.rel, r.file, label, group, r.split});
    labels.push_back(label);
  }
  for (size_t i : limit_per_class(labels, spec.limit_per_class)) out.entries.push_back(std::move(kept[i]));
  return out;
}

}  // namespace pipe::image
