// Sources — where ingest finds images and their labels, and the rules that
// keep it inside the dataset root.
//
// A source is a folder (`root/<class>/<file>`; with label_from_filename or a
// fixed label also `root/<file>`), a CSV manifest inside a
// folder (header `path,label`, optional `group` and `split` columns, paths
// relative to the manifest), or an IDX pair (images + labels file).  Labels
// may instead come from the file name (`label_from_filename`, a regex whose
// first group is the raw label) through a `label_map`, or be one fixed
// `label` for every image; groups (e.g. writers) from `group_from_filename`.  A path that escapes the root (`..`, an
// absolute manifest path, a symlink pointing outside) is an error, not a skip.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace pipe::image {

struct SourceSpec {
  std::string path;                 // absolute: the root folder, or the IDX images file
  std::string layout = "auto";      // auto | folder | manifest | idx
  std::string manifest = "manifest.csv";  // relative to path
  std::string labels;               // idx: labels file ("" = beside the images file)
  std::vector<std::string> class_names;   // idx: names of label values 0, 1, ...
  std::string label;                // every image gets this class (folder names, manifest labels ignored)
  std::string prefix;               // prepended to every class name
  std::vector<std::string> classes; // keep only these (names before prefix); empty = all
  std::map<std::string, std::string> rename;  // class → new name (before prefix); the rest are kept as they are
  int limit_per_class = 0;          // 0 = all; else an evenly spaced subset in listing order
  std::string label_from_filename;  // regex; group 1 of the file name = raw label
  std::map<std::string, std::string> label_map;  // raw label → class name
  std::string group_from_filename;  // regex; group 1 of the file name = group key
  std::string split;                // existing split for every sample of this source
};

// The label map of Chars74K: "001".."062" → 0-9, A-Z, a-z.
std::map<std::string, std::string> chars74k_label_map();

// One image file a source lists.
struct SourceEntry {
  std::string rel;    // relative to the source root, as stored in the dataset
  std::string file;   // absolute path to read
  std::string label;  // final class name (mapped, prefixed)
  std::string group;
  std::string split;
};

// A file a source lists but cannot use (label not mapped, file missing).
struct Rejected {
  std::string path;
  std::string reason;
};

struct Listing {
  std::vector<SourceEntry> entries;
  std::vector<Rejected> rejected;
  std::string layout;  // resolved layout
};

// Lists a folder or manifest source (applies label/group rules, class subset
// and limit_per_class).  Throws pipe::Error on escaping paths, a malformed
// manifest or a bad regex.
Listing list_source(const SourceSpec& spec);

// The resolved layout of a source: folder, manifest or idx.
std::string resolve_layout(const SourceSpec& spec);

// Applies label (or label_map), classes, rename and prefix to a raw label;
// false when the entry is dropped (*reason says why when it is an error
// rather than a filter).
bool map_label(const SourceSpec& spec, const std::string& raw, std::string* label, std::string* reason);

// Keeps an evenly spaced subset of at most `limit` items per class, in order.
std::vector<size_t> limit_per_class(const std::vector<std::string>& labels, int limit);

// Class names in natural order ("2" before "10", "a1" before "a10").
bool natural_less(const std::string& a, const std::string& b);

}  // namespace pipe::image
