// clean — per-image normalisation, label-blind (dataset-wide statistics such
// as mean/std belong to the train stage, computed on the train split only).
//
//   - id: clean
//     kind: clean
//     input: ingest
//     color: gray              # gray | rgb (alpha is composited over white)
//     invert: auto             # auto | true | false; auto: per image, so ink ends light on dark
//     illumination: none       # none | tophat: remove uneven background (photos, scans)
//     illumination_kernel: 0   #   kernel side in pixels (0: a fifth of the smaller side)
//     stretch: false           # per image: background → 0, bright ink → 255 (faint ink, e.g. chinese)
//     binarize: none           # none | otsu | adaptive (adaptive_block, adaptive_offset)
//     crop: content            # content (bounding box of the ink) | center (central square) | none
//     threshold: -1            # ink threshold 0..255 for crop and stroke; -1: Otsu per image
//     despeckle: 0             # ink blobs smaller than this many pixels (as decoded) become background
//     stroke: 2.5              # normalise the stroke width to this many output pixels; 0: keep
//     stroke_mode: redraw      # redraw: the skeleton with a round pen | adjust: dilate/erode the ink itself
//     size: [28, 28]           # [height, width] or one number; none: keep each image's size
//     pad: 2                   # output pixels kept free on each side
//     fit: pad                 # pad: keep the aspect ratio, centre, fill with background | stretch
//     center: box              # box: centre the bounding box | mass: centre the ink's centre of mass
//     interpolation: area      # area | linear | nearest | cubic
//     dedupe: none             # none | exact | perceptual (pHash within dedupe_distance bits)
//
// Records per class how many images were inverted and removed as duplicates,
// the mean intensity, ink fraction and stroke width of the output (table
// `classes`, so format differences between classes are visible), and every
// removed duplicate (table `duplicates`, with cross-class ones flagged).
//
// An image the chain fails on (an OpenCV exception in a resize, crop or
// stroke step) is skipped and listed (metric `skipped`, table `skipped`),
// like ingest's unreadable files; the stage fails only when no image is
// left.  (There is no max_bad_fraction key: a new key would change the
// cache key of every clean stage; ingest's limit covers the damaged files.)
#include "stages/clean.h"

#include "engine/paths.h"
#include "engine/progress.h"
#include "stages/image/clean.h"
#include "stages/image/recipe.h"

namespace pipe {

namespace {

using json = nlohmann::json;

// The options the parameters describe; every ConfigError points at the key
// it blames.  Runs when the pipeline is read (the schema's check) and again
// when the stage runs.
image::CleanOptions options_from(const Param& param) {
  const json& p = *param;
  image::CleanOptions o;
  o.color = p["color"].get<std::string>();
  o.invert = p["invert"].get<std::string>();
  o.illumination = p["illumination"].get<std::string>();
  o.illumination_kernel = p["illumination_kernel"].get<int>();
  o.stretch = p["stretch"].get<bool>();
  o.binarize = p["binarize"].get<std::string>();
  o.adaptive_block = p["adaptive_block"].get<int>();
  o.adaptive_offset = p["adaptive_offset"].get<double>();
  o.crop = p["crop"].get<std::string>();
  o.crop_threshold = p["threshold"].get<int>();
  o.despeckle = p["despeckle"].get<int>();
  o.pad = p["pad"].get<int>();
  o.stroke = p["stroke"].get<double>();
  o.stroke_mode = p["stroke_mode"].get<std::string>();
  const Param size = param["size"];
  auto side = [](const Param& v) {
    if (!v->is_number_integer() || v->get<long long>() <= 0 || v->get<long long>() > 1 << 15)
      throw v.error("expected a positive whole number of pixels, got " + v->dump());
    return v->get<int>();
  };
  if (size->is_array()) {
    if (size->size() != 2) throw size.error("expected [height, width] or one number, got " + size->dump());
    o.height = side(size[0]);
    o.width = side(size[1]);
  } else if (!size->is_null() && *size != "none") {
    o.height = o.width = side(size);
  }
  o.fit = p["fit"].get<std::string>();
  o.center = p["center"].get<std::string>();
  o.interpolation = p["interpolation"].get<std::string>();
  o.dedupe = p["dedupe"].get<std::string>();
  o.dedupe_distance = p["dedupe_distance"].get<int>();
  o.check(param);
  return o;
}

class Clean : public Stage {
 public:
  void run(StageContext& ctx) override {
    image::CleanOptions options =
        options_from(Param(ctx.params(), [&ctx](const std::string& pointer) { return ctx.mark(pointer); }));
    InputRef in = ctx.input("input");
    auto data = image::DatasetView::open(join_path(in.dir, image::dataset_file_name(in.output)));
    Progress& progress = ctx.progress();
    image::CleanReport report;
    image::Dataset out = image::clean_dataset(data, options, ctx.threads(), &report, [&](size_t done, size_t total) {
      progress.bar("clean", done, total, "img");
    });
    json skipped = json::array();
    for (const auto& s : report.skipped) skipped.push_back({{"path", data.path(s.index)}, {"reason", s.reason}});
    ctx.table("skipped", skipped);
    ctx.metric("skipped", static_cast<double>(report.skipped.size()));
    if (!report.skipped.empty()) {
      const auto& first = report.skipped.front();
      ctx.log(std::to_string(report.skipped.size()) + " of " + std::to_string(data.size()) +
              " images skipped, e.g. " + data.path(first.index) + ": " + first.reason);
      if (out.samples.empty())
        throw Error("no image could be cleaned; first: " + data.path(first.index) + ": " + first.reason)
            .hint("check the clean options against the images (see the stage's `skipped` table)");
    }
    image::write_dataset(ctx.output_path(image::dataset_file_name("")), out);
    image::Recipe recipe;
    image::Recipe::load(in.dir, &recipe);
    recipe.cleans.push_back(options);
    recipe.clean_version = image::kCleanVersion;
    recipe.save(ctx.output_path("."));

    const auto& names = data.classes();
    json classes = json::array();
    long inverted = 0;
    for (size_t c = 0; c < report.classes.size(); ++c) {
      const auto& s = report.classes[c];
      inverted += s.inverted;
      classes.push_back({{"class", names[c]},
                         {"images", s.images},
                         {"inverted", s.inverted},
                         {"removed", s.removed},
                         {"mean", s.mean},
                         {"ink", s.ink},
                         {"stroke_width", s.measured > 0 ? json(s.stroke) : json()}});
    }
    ctx.table("classes", classes);
    json dups = json::array();
    long cross = 0;
    for (const auto& d : report.duplicates) {
      bool other = data.label(d.removed) != data.label(d.kept);
      cross += other;
      dups.push_back({{"path", data.path(d.removed)},
                      {"class", names[data.label(d.removed)]},
                      {"duplicate_of", data.path(d.kept)},
                      {"duplicate_class", names[data.label(d.kept)]},
                      {"cross_class", other}});
    }
    ctx.table("duplicates", dups);
    ctx.metric("images", static_cast<double>(out.samples.size()));
    ctx.metric("inverted", static_cast<double>(inverted));
    ctx.metric("duplicates_removed", static_cast<double>(report.duplicates.size()));
    ctx.metric("duplicates_cross_class", static_cast<double>(cross));
    std::string line = std::to_string(out.samples.size()) + " images, " + std::to_string(inverted) + " inverted";
    if (options.dedupe != "none")
      line += ", " + std::to_string(report.duplicates.size()) + " duplicates removed (" + std::to_string(cross) +
              " across classes)";
    ctx.log(line);
  }
};

}  // namespace

StageKind clean_stage_kind() {
  Schema schema{{
      required(input("input", "the dataset to clean, e.g. ingest")),
      one_of("color", {"gray", "rgb"}, "gray", "output channels"),
      one_of("invert", {"auto", "true", "false"}, "auto", "auto: per image, so that ink ends light on dark"),
      one_of("illumination", {"none", "tophat"}, "none", "background correction"),
      integer("illumination_kernel", 0, "tophat kernel side in pixels (0: automatic)"),
      boolean("stretch", false, "per image: background to 0, bright ink to 255"),
      one_of("binarize", {"none", "otsu", "adaptive"}, "none", "threshold to black and white"),
      integer("adaptive_block", 0, "adaptive threshold block side, odd (0: automatic)"),
      number("adaptive_offset", 10, "adaptive threshold: ink must exceed the local mean by this"),
      one_of("crop", {"content", "center", "none"}, "none", "crop to the ink, to the central square, or not"),
      integer("threshold", -1, "ink threshold 0..255 for crop and stroke (-1: Otsu per image)"),
      integer("despeckle", 0, "ink blobs smaller than this many pixels become background (0: off)"),
      integer("pad", 0, "output pixels kept free on each side"),
      number("stroke", 0, "normalise the stroke width to this many output pixels (0: keep)"),
      one_of("stroke_mode", {"redraw", "adjust"}, "redraw",
             "redraw: skeleton drawn with a round pen; adjust: the ink dilated or eroded to the width"),
      any("size", nullptr, "[height, width] or one number (none: keep sizes)"),
      one_of("fit", {"pad", "stretch"}, "pad", "pad: keep the aspect ratio; stretch: plain resize"),
      one_of("center", {"box", "mass"}, "box", "centre the ink's bounding box or its centre of mass"),
      one_of("interpolation", {"area", "linear", "nearest", "cubic"}, "area", "resize interpolation"),
      one_of("dedupe", {"none", "exact", "perceptual"}, "none", "remove duplicate images"),
      integer("dedupe_distance", 0, "perceptual: largest pHash distance (bits of 64) counted as a duplicate"),
  }};
  schema.check = [](const Param& p) { options_from(p); };
  return {"clean", image::kCleanVersion, "per-image normalisation: colour, polarity, crop, stroke width, size, duplicates", schema, {},
          false, [] { return std::make_unique<Clean>(); }};
}

}  // namespace pipe
