// ingest — image files into one packed dataset (dataset.bin), plus the
// preprocessing record (preprocess.json) that later stages extend.
//
//   - id: ingest
//     kind: ingest
//     source: { path: ../data/multiscript, layout: manifest }   # or `sources:` [ ... ]
//     decode: gray            # unchanged | gray | color (RGB)
//     max_side: 128           # shrink larger images by a whole factor on decode (0: keep)
//     max_bad_fraction: 0.05  # more unusable files than this is an error
//
// Keys of a source (one mapping under `source:`, or a list under `sources:`):
//   path                 the dataset folder (its files' contents enter the cache key), or an IDX
//                        images file (then give `labels:` too)
//   layout               auto | folder (path/<class>/<file>; with label_from_filename also
//                        path/<file>) | manifest | idx; auto: idx for a file or `images:`,
//                        manifest when path/<manifest> exists, else folder
//   manifest             CSV inside path (default manifest.csv): header path,label; optional
//                        columns group and split; paths relative to the manifest
//   images, labels       idx: the images file inside path (labels: beside it by default), or
//                        labels as its own file when path is the images file
//   class_names          idx: names of label values 0, 1, ... (default the numbers)
//   prefix               prepended to every class name of this source
//   classes              keep only these classes (names before prefix)
//   limit_per_class      keep at most N per class (evenly spaced in listing order)
//   label_from_filename  regex; its first group of the file name is the raw label
//   label_map            raw label → class: a mapping, or `chars74k` (001..062 → 0-9 A-Z a-z)
//   group_from_filename  regex; its first group is the sample's group (e.g. the writer)
//   split                train | val | test: the existing split of every sample (split by_folder)
//
// Files that cannot be decoded or used are skipped and listed (metric `skipped`,
// table `skipped`); a path that leaves the dataset folder (`..`, an absolute
// manifest path, a symlink pointing out) is an error.
#include "stages/ingest.h"

#include <filesystem>

#include "engine/paths.h"
#include "engine/progress.h"
#include "stages/image/ingest.h"
#include "stages/image/recipe.h"

namespace fs = std::filesystem;

namespace pipe {

namespace {

using json = nlohmann::json;

Schema source_schema() {
  return Schema{{
      required(dir("path", "the dataset folder, or an IDX images file")),
      one_of("layout", {"auto", "folder", "manifest", "idx"}, "auto", "how the folder is organised"),
      string_field("manifest", "manifest.csv", "the CSV manifest inside path (layout manifest)"),
      string_field("images", "", "idx: the images file inside path"),
      file("labels", "idx: the labels file (default: beside the images file)"),
      list_of("class_names", string_field("class_names", nullptr, ""), json::array(), "idx: class names by label value"),
      string_field("prefix", "", "prepended to every class name"),
      list_of("classes", string_field("classes", nullptr, ""), json::array(), "keep only these classes"),
      integer("limit_per_class", 0, "keep at most this many images per class (0: all)"),
      string_field("label_from_filename", "", "regex: group 1 of the file name is the raw label"),
      any("label_map", nullptr, "raw label → class name: a mapping, or chars74k"),
      string_field("group_from_filename", "", "regex: group 1 of the file name is the group"),
      string_field("split", "", "the existing split of these samples: train, val or test"),
  }};
}

image::SourceSpec source_from(const json& p, const std::string& pointer, StageContext& ctx) {
  image::SourceSpec s;
  s.path = p["path"].get<std::string>();
  s.layout = p["layout"].get<std::string>();
  s.manifest = p["manifest"].get<std::string>();
  std::string images = p["images"].get<std::string>();
  bool is_file = fs::is_regular_file(s.path);
  if (!images.empty()) {
    fs::path rel = fs::path(images).lexically_normal();
    if (is_file || rel.is_absolute() || (!rel.empty() && *rel.begin() == ".."))
      throw ConfigError("images must name a file inside the source folder").at(ctx.mark(pointer + "/images"));
    s.path = join_path(s.path, images);
    if (s.layout == "auto") s.layout = "idx";
  } else if (is_file && s.layout == "auto") {
    s.layout = "idx";
  }
  if (s.layout == "idx") {
    if (!p["labels"].is_null()) {
      s.labels = p["labels"].get<std::string>();
    } else if (is_file) {
      throw ConfigError("give `labels:` for an IDX images file").at(ctx.mark(pointer + "/path"))
          .hint("or give the folder as path and the file as images:, so both files enter the cache key");
    }
  }
  for (const auto& c : p["class_names"]) s.class_names.push_back(c.get<std::string>());
  s.prefix = p["prefix"].get<std::string>();
  for (const auto& c : p["classes"]) s.classes.push_back(c.get<std::string>());
  s.limit_per_class = p["limit_per_class"].get<int>();
  if (s.limit_per_class < 0) throw ConfigError("limit_per_class must be ≥ 0").at(ctx.mark(pointer + "/limit_per_class"));
  s.label_from_filename = p["label_from_filename"].get<std::string>();
  s.group_from_filename = p["group_from_filename"].get<std::string>();
  const json& map = p["label_map"];
  if (map.is_string() && map.get<std::string>() == "chars74k") {
    s.label_map = image::chars74k_label_map();
  } else if (map.is_object()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const json& v = it.value();
      s.label_map[it.key()] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  } else if (!map.is_null()) {
    throw ConfigError("label_map: expected a mapping of raw labels to class names, or chars74k")
        .at(ctx.mark(pointer + "/label_map"));
  }
  s.split = p["split"].get<std::string>();
  if (!s.split.empty() && s.split != "train" && s.split != "val" && s.split != "test")
    throw ConfigError("split: '" + s.split + "' is not allowed").at(ctx.mark(pointer + "/split")).hint("train | val | test");
  return s;
}

class Ingest : public Stage {
 public:
  void run(StageContext& ctx) override {
    const json& params = ctx.params();
    bool one = !params["source"].is_null(), many = !params["sources"].is_null() && !params["sources"].empty();
    if (one == many)
      throw ConfigError(one ? "give either source or sources, not both" : "no source given")
          .at(ctx.mark(one ? "/sources" : ""))
          .hint("source: { path: DIR } or sources: [ { path: DIR }, ... ]");
    image::IngestOptions options;
    try {
      if (one) {
        options.sources.push_back(source_from(params["source"], "/source", ctx));
      } else {
        for (size_t i = 0; i < params["sources"].size(); ++i)
          options.sources.push_back(source_from(params["sources"][i], "/sources/" + std::to_string(i), ctx));
      }
      options.decode = image::decode_mode(params["decode"].get<std::string>());
    } catch (Error& e) {
      if (e.where().empty()) e.at(ctx.mark(one ? "/source" : "/sources"));
      throw;
    }
    options.max_side = params["max_side"].get<int>();
    if (options.max_side < 0) throw ConfigError("max_side must be ≥ 0").at(ctx.mark("/max_side"));
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
    if (bad > 0) {
      ctx.log(std::to_string(bad) + " of " + std::to_string(r.considered) + " files skipped, e.g. " +
              r.skipped.front().path + ": " + r.skipped.front().reason);
    }
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
      integer("max_side", 0, "shrink larger images by a whole factor so the longer side fits (0: keep)"),
      number("max_bad_fraction", 0.05, "more unusable files than this fraction is an error"),
  }};
  return {"ingest", 2, "image files (folder, CSV manifest, IDX) into one packed dataset", schema, {}, false,
          [] { return std::make_unique<Ingest>(); }};
}

}  // namespace pipe
