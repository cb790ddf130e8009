// ingest — image files into one packed dataset (dataset.bin), plus the
// preprocessing record (preprocess.json) that later stages extend.
//
//   - id: ingest
//     kind: ingest
//     source: { path: ../data/multiscript, layout: manifest }   # or `sources:` [ ... ]
//     decode: gray            # unchanged | gray | color (RGB)
//     max_side: 128           # shrink larger images by a whole factor on decode (0: keep)
//     max_pixels: 100000000   # an image whose header declares more pixels is skipped, unread
//     max_bad_fraction: 0.05  # more unusable files than this is an error
//
// Keys of a source (one mapping under `source:`, or a list under `sources:`):
//   path                 the dataset folder (its files' contents enter the cache key), or an IDX
//                        images file (then give `labels:` too)
//   layout               auto | folder (path/<class>/<file>; with label or label_from_filename
//                        also path/<file>) | manifest | idx; auto: idx for a file or `images:`,
//                        manifest when path/<manifest> exists, else folder
//   manifest             CSV inside path (default manifest.csv): header path,label; optional
//                        columns group and split; paths relative to the manifest
//   images, labels       idx: the images file inside path (labels: beside it by default), or
//                        labels as its own file when path is the images file
//   class_names          idx: names of label values 0, 1, ... (default the numbers)
//   label                every image of this source gets this one class (folder names and
//                        manifest labels are ignored; files directly in path are read too), e.g.
//                        { path: ../data/multiscript/english, label: english }
//   prefix               prepended to every class name of this source
//   classes              keep only these classes: a list [a, b], or a mapping {old: new} that
//                        also renames them (two old names may share a new one); names are
//                        those before prefix, after label_map
//   limit_per_class      keep at most N per class, counted after classes renamed them (evenly
//                        spaced in listing order)
//   label_from_filename  regex; its first group of the file name is the raw label
//   label_map            raw label → class: a mapping, or `chars74k` (001..062 → 0-9 A-Z a-z);
//                        a raw label missing from it makes the file a skipped one
//   group_from_filename  regex; its first group is the sample's group (e.g. the writer)
//   split                train | val | test: the existing split of every sample (split by_folder)
//
// A class is named in this order: raw label (class folder, manifest column,
// IDX value through class_names, or label_from_filename through label_map;
// or the fixed label) → classes (filter, then rename) → prefix.  Every key is
// checked before anything runs, and an error points at the offending value.
//
// Files that cannot be used are skipped and listed (metric `skipped`, table
// `skipped`, and the first few on stderr): unreadable, damaged (a decoder's
// own message is the reason: "corrupt JPEG data: premature end of data
// segment"), larger than max_pixels ("image too large (W × H pixels;
// max_pixels is N)"), or failing conversion or shrinking; IDX rows too.  The
// stage fails only when they are more than max_bad_fraction.  A path that
// leaves the dataset folder (`..`, an absolute manifest path, a symlink
// pointing out) is an error.
#include "stages/ingest.h"

#include <filesystem>
#include <regex>

#include "engine/paths.h"
#include "engine/progress.h"
#include "stages/image/ingest.h"
#include "stages/image/recipe.h"

namespace fs = std::filesystem;

namespace pipe {

namespace {

using json = nlohmann::json;

bool is_relative_inside(const std::string& path) {
  fs::path rel = fs::path(path).lexically_normal();
  return !rel.empty() && !rel.is_absolute() && *rel.begin() != "..";
}

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// True when a key holds more than its empty default.
bool given(const json& v) {
  if (v.is_null()) return false;
  if (v.is_string()) return !v.get<std::string>().empty();
  return !(v.is_array() || v.is_object()) || !v.empty();
}

// A regex key of a source, compiled to see that it is valid and has a group.
void check_regex(const Param& p) {
  const std::string pattern = p->get<std::string>();
  if (pattern.empty()) return;
  size_t groups = 0;
  try {
    groups = std::regex(pattern, std::regex::ECMAScript).mark_count();
  } catch (const std::regex_error& e) {
    throw p.error("not a valid regular expression: " + pattern).hint(e.what());
  }
  if (groups == 0) throw p.error("the expression needs a group: its first group is used").hint("e.g. '^img(\\d+)-'");
}

// The source a mapping describes; every ConfigError points at the value at
// fault.  Runs when the pipeline is read (a check of the source schema) and
// again when the stage runs.
image::SourceSpec source_from(const Param& p) {
  image::SourceSpec s;
  s.path = p["path"]->get<std::string>();
  s.layout = p["layout"]->get<std::string>();
  s.manifest = p["manifest"]->get<std::string>();
  if (!is_relative_inside(s.manifest))
    throw p["manifest"].error("'" + s.manifest + "' must be a path inside the source folder");
  std::string images = p["images"]->get<std::string>();
  bool is_file = fs::is_regular_file(s.path);
  if (!images.empty()) {
    if (is_file || !is_relative_inside(images))
      throw p["images"].error("must name a file inside the source folder");
    s.path = join_path(s.path, images);
    if (s.layout == "auto") s.layout = "idx";
  } else if (is_file && s.layout == "auto") {
    s.layout = "idx";
  }
  std::string layout = image::resolve_layout(s);
  if (layout == "idx") {
    if (!p["labels"]->is_null()) {
      s.labels = p["labels"]->get<std::string>();
    } else if (is_file) {
      throw p["path"].error("give `labels:` for an IDX images file")
          .hint("or give the folder as path and the file as images:, so both files enter the cache key");
    }
  }
  for (const auto& c : *p["class_names"]) s.class_names.push_back(c.get<std::string>());
  if (!s.class_names.empty() && layout != "idx") throw p["class_names"].error("applies to IDX sources only");
  for (const char* key : {"label_from_filename", "group_from_filename"}) {
    check_regex(p[key]);
    if (layout == "idx" && !p[key]->get<std::string>().empty())
      throw p[key].error("applies to folder and manifest sources, not IDX");
  }
  s.label_from_filename = p["label_from_filename"]->get<std::string>();
  s.group_from_filename = p["group_from_filename"]->get<std::string>();

  const Param map = p["label_map"];
  if (map->is_string() && map->get<std::string>() == "chars74k") {
    s.label_map = image::chars74k_label_map();
  } else if (map->is_object()) {
    for (auto it = map->begin(); it != map->end(); ++it) s.label_map[it.key()] = text_of(it.value());
  } else if (!map->is_null()) {
    throw map.error("expected a mapping of raw labels to class names, or chars74k");
  }

  const Param classes = p["classes"];
  if (classes->is_string()) {
    s.classes.push_back(classes->get<std::string>());
  } else if (classes->is_array()) {
    for (size_t i = 0; i < classes->size(); ++i) {
      if (!(*classes)[i].is_string()) throw classes[i].error("expected a class name");
      s.classes.push_back((*classes)[i].get<std::string>());
    }
  } else if (classes->is_object()) {
    for (auto it = classes->begin(); it != classes->end(); ++it) {
      if (!it.value().is_string() || it.value().get<std::string>().empty())
        throw classes[it.key()].error("expected the new name of class '" + it.key() + "'");
      s.classes.push_back(it.key());
      s.rename[it.key()] = it.value().get<std::string>();
    }
  } else if (!classes->is_null()) {
    throw classes.error("expected a list of classes to keep, or a mapping {old: new} to keep and rename");
  }

  s.label = p["label"]->get<std::string>();
  if (!s.label.empty()) {
    for (const char* other : {"label_from_filename", "label_map", "class_names", "classes"}) {
      if (given(*p[other]))
        throw p["label"].error("gives every image one class, so " + std::string(other) + " has nothing to do")
            .hint("use label alone, or name classes with " + std::string(other));
    }
  }
  s.prefix = p["prefix"]->get<std::string>();
  s.limit_per_class = p["limit_per_class"]->get<int>();
  s.split = p["split"]->get<std::string>();
  if (!s.split.empty() && s.split != "train" && s.split != "val" && s.split != "test")
    throw p["split"].error("'" + s.split + "' is not allowed").hint("allowed: train | val | test");
  return s;
}

Schema source_schema() {
  Schema schema{{
      required(dir("path", "the dataset folder, or an IDX images file")),
      one_of("layout", {"auto", "folder", "manifest", "idx"}, "auto", "how the folder is organised"),
      string_field("manifest", "manifest.csv", "the CSV manifest inside path (layout manifest)"),
      string_field("images", "", "idx: the images file inside path"),
      file("labels", "idx: the labels file (default: beside the images file)"),
      list_of("class_names", string_field("class_names", nullptr, ""), json::array(), "idx: class names by label value"),
      string_field("label", "", "one class for every image of this source"),
      string_field("prefix", "", "prepended to every class name"),
      as_text(any("classes", json::array(), "keep only these classes: [a, b], or {old: new} to rename them too")),
      at_least(integer("limit_per_class", 0, "keep at most this many images per class (0: all)"), 0),
      string_field("label_from_filename", "", "regex: group 1 of the file name is the raw label"),
      any("label_map", nullptr, "raw label → class name: a mapping, or chars74k"),
      string_field("group_from_filename", "", "regex: group 1 of the file name is the group"),
      string_field("split", "", "the existing split of these samples: train, val or test"),
  }};
  schema.check = [](const Param& p) { source_from(p); };
  return schema;
}

// Exactly one of source and sources (the ranges are the fields' own).
void check_ingest(const Param& p) {
  bool one = given(*p["source"]), many = given(*p["sources"]);
  if (one && many)
    throw p["sources"].error("give either source or sources, not both")
        .hint("source: { path: DIR } or sources: [ { path: DIR }, ... ]");
  if (!one && !many)
    throw p.error("no source given").hint("source: { path: DIR } or sources: [ { path: DIR }, ... ]");
}

class Ingest : public Stage {
 public:
  void run(StageContext& ctx) override {
    const json& params = ctx.params();
    Param param(params, [&ctx](const std::string& pointer) { return ctx.mark(pointer); });
    check_ingest(param);
    bool one = !params["source"].is_null();
    image::IngestOptions options;
    if (one) {
      options.sources.push_back(source_from(param["source"]));
    } else {
      for (size_t i = 0; i < params["sources"].size(); ++i) options.sources.push_back(source_from(param["sources"][i]));
    }
    options.decode = image::decode_mode(params["decode"].get<std::string>());
    options.max_side = params["max_side"].get<int>();
    options.max_pixels = params["max_pixels"].get<uint64_t>();
    double max_bad = params["max_bad_fraction"].get<double>();

    Progress& progress = ctx.progress();
    image::IngestResult r;
    try {
      r = image::ingest(options, ctx.threads(),
                        [&](size_t done, size_t total) { progress.bar("ingest", done, total, "img"); });
    } catch (Error& e) {
      if (e.kind() == ErrorKind::kConfig && e.where().empty()) e.at(ctx.mark(one ? "/source" : "/sources"));
      throw;
    }

    size_t bad = r.skipped.size();
    double fraction = r.considered ? static_cast<double>(bad) / r.considered : 0;
    json skipped = json::array();
    for (const auto& s : r.skipped) skipped.push_back({{"path", s.path}, {"reason", s.reason}});
    ctx.table("skipped", skipped);
    ctx.metric("skipped", static_cast<double>(bad));
    // The first few by name; the table has them all.
    const size_t shown = std::min<size_t>(bad, 10);
    for (size_t i = 0; i < shown; ++i) ctx.log("skipped " + r.skipped[i].path + ": " + r.skipped[i].reason);
    if (bad > 0)
      ctx.log(std::to_string(bad) + " of " + std::to_string(r.considered) + " files skipped" +
              (bad > shown ? " (" + std::to_string(bad - shown) + " more in the table `skipped`)" : ""));
    if (fraction > max_bad)
      throw Error(std::to_string(bad) + " of " + std::to_string(r.considered) + " files could not be used (" +
                  std::to_string(static_cast<int>(fraction * 100 + 0.5)) + "%), more than max_bad_fraction " +
                  std::to_string(max_bad) + "; first: " + r.skipped.front().path + ": " + r.skipped.front().reason)
          .at(options.sources.front().path)
          .hint("fix or remove the files, or raise max_bad_fraction");
    if (r.data.samples.empty())
      throw Error("no images found").at(options.sources.front().path)
          .hint("check the layout, classes and label options of the source");

    image::write_dataset(ctx.output_path(image::dataset_file_name("")), r.data);
    image::Recipe recipe;
    recipe.decode = options.decode;
    recipe.max_side = options.max_side;
    recipe.save(ctx.output_path("."));

    std::vector<size_t> counts(r.data.classes.size(), 0);
    for (const auto& s : r.data.samples) ++counts[s.label];
    json classes = json::array();
    for (size_t c = 0; c < counts.size(); ++c) classes.push_back({{"class", r.data.classes[c]}, {"images", counts[c]}});
    ctx.table("classes", classes);
    ctx.metric("images", static_cast<double>(r.data.samples.size()));
    ctx.metric("classes", static_cast<double>(r.data.classes.size()));
    ctx.metric("bad_fraction", fraction);
    ctx.log(std::to_string(r.data.samples.size()) + " images, " + std::to_string(r.data.classes.size()) + " classes");
  }
};

}  // namespace

StageKind ingest_stage_kind() {
  Schema schema{{
      mapping("source", source_schema(), "one source of images"),
      list_of("sources", mapping("sources", source_schema(), ""), nullptr, "several sources of images"),
      one_of("decode", {"unchanged", "gray", "color"}, "unchanged", "channels after decoding"),
      at_least(integer("max_side", 0, "shrink larger images by a whole factor so the longer side fits (0: keep)"), 0),
      keyed_unless_default(at_least(integer("max_pixels", json(image::kDefaultMaxPixels),
                                            "skip an image whose header declares more pixels, before decoding it"),
                                    1)),
      between(number("max_bad_fraction", 0.05, "more unusable files than this fraction is an error"), 0, 1),
  }};
  schema.check = check_ingest;
  return {"ingest", 2, "image files (folder, CSV manifest, IDX) into one packed dataset", schema, {}, false,
          [] { return std::make_unique<Ingest>(); }};
}

}  // namespace pipe
