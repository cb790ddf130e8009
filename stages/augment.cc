// augment — label-preserving random transforms of a training set.
//
//   - id: augment
//     kind: augment
//     input: split.train
//     online: true             # true: the dataset passes unchanged, with augment.json; the train
//                              #   stage's loader applies a fresh random transform every epoch
//                              # false: the set is expanded once, here
//     ops: [ {rotate: 10}, {shift: 0.1}, {zoom: 0.1}, {elastic: {alpha: 8, sigma: 3}} ]
//     copies: 1                # offline: augmented copies per image (per value of a fixed list)
//     keep_original: true      # offline: keep the original images too
//     seed: 800                # default: the pipeline's seed
//
// The ops are documented in stages/image/augmenter.h (flip_h, flip_v, rotate,
// shift, zoom, shear, brightness, contrast, noise, blur, elastic, erasing,
// stroke, fill).  A list value, e.g. {rotate: [-20, -10, 10, 20]}, is a fixed
// set: offline, every image gets one copy per value (the runes study's static
// rotations); online, one of them is drawn each time.  The ops are checked
// when the pipeline is read; an error points at the value at fault.
//
// Without ops (`ops: []`, or only `fill`) there is nothing to transform:
// online or offline, the input dataset passes through as a hard link to the
// input artifact's file, so an empty augment stage costs nothing.
#include "engine/posix.h"  // first: see posix.h
#include "stages/augment.h"

#include <atomic>
#include <cstdio>
#include <thread>

#include "engine/paths.h"
#include "engine/progress.h"
#include "stages/image/augmenter.h"
#include "stages/image/dataset.h"
#include "stages/image/parallel.h"
#include "stages/image/recipe.h"

namespace pipe {

namespace {

using json = nlohmann::json;

class Augment : public Stage {
 public:
  void run(StageContext& ctx) override {
    const json& p = ctx.params();
    image::Augmenter augmenter(Param(p, [&ctx](const std::string& pointer) { return ctx.mark(pointer); })["ops"]);
    InputRef in = ctx.input("input");
    std::string in_file = join_path(in.dir, image::dataset_file_name(in.output));
    std::string out_file = ctx.output_path(image::dataset_file_name(""));
    auto data = image::DatasetView::open(in_file);
    uint64_t seed = static_cast<uint64_t>(ctx.seed());
    image::Recipe recipe;
    if (image::Recipe::load(in.dir, &recipe)) recipe.save(ctx.output_path("."));

    bool online = p["online"].get<bool>();
    if (online || augmenter.empty()) {
      // Artifacts are immutable, so the input file can be shared by a hard link.
      if (::link(in_file.c_str(), out_file.c_str()) != 0) {
        std::vector<size_t> all(data.size());
        for (size_t i = 0; i < all.size(); ++i) all[i] = i;
        image::write_subset(out_file, data, all);
      }
      ctx.metric("images", static_cast<double>(data.size()));
      if (!online) {
        ctx.log(std::to_string(data.size()) + " images passed through: no ops");
        return;
      }
      json spec = {{"version", 1}, {"online", true}, {"seed", seed}, {"ops", augmenter.ops()}};
      ctx.disk().write_file(ctx.output_path("augment.json"), spec.dump(2) + "\n");
      ctx.log(std::to_string(data.size()) + " images, " +
              (augmenter.empty() ? std::string("no ops: nothing to apply online")
                                 : std::to_string(augmenter.ops().size()) + " ops applied online by the train stage"));
      return;
    }

    int copies = p["copies"].get<int>();
    bool keep = p["keep_original"].get<bool>();
    size_t per_copy = std::max<size_t>(1, augmenter.variants());
    size_t made_per_image = static_cast<size_t>(copies) * per_copy;
    size_t per_image = (keep ? 1 : 0) + made_per_image;
    size_t n = data.size();
    image::Dataset out;
    out.classes = data.classes();
    out.samples.resize(n * per_image);
    Progress& progress = ctx.progress();
    std::atomic<size_t> done{0};
    const std::thread::id caller = std::this_thread::get_id();  // a progress bar per thread: report from this one
    progress.bar("augment", 0, static_cast<long>(n), "img");
    image::parallel_for(n, ctx.threads(), [&](size_t i) {
      image::Sample original = data.sample(i);
      size_t at = i * per_image;
      if (keep) out.samples[at++] = original;
      for (size_t k = 0; k < made_per_image; ++k) {
        image::Sample s = original;
        image::Rng rng = image::rng_for(seed, 0xa06, i * made_per_image + k);
        if (augmenter.variants() > 0)
          augmenter.apply_variant(original.pixels.data(), s.height, s.width, s.channels, s.pixels.data(), k % per_copy,
                                  rng);
        else
          augmenter.apply(original.pixels.data(), s.height, s.width, s.channels, s.pixels.data(), rng);
        s.path += "#aug" + std::to_string(k + 1);
        out.samples[at++] = std::move(s);
      }
      size_t d = ++done;
      if (d % 128 == 0 && std::this_thread::get_id() == caller)
        progress.bar("augment", static_cast<long>(d), static_cast<long>(n), "img");
    });
    progress.bar("augment", static_cast<long>(n), static_cast<long>(n), "img");
    image::write_dataset(out_file, out);
    ctx.metric("images", static_cast<double>(out.samples.size()));
    ctx.log(std::to_string(n) + " images → " + std::to_string(out.samples.size()));
  }
};

void check_augment(const Param& p) {
  if (!p["online"]->get<bool>() && !p["keep_original"]->get<bool>() && p["copies"]->get<long long>() == 0 &&
      !image::Augmenter(p["ops"]).empty())
    throw p["copies"].error("leaves no image: with keep_original: false, make at least one copy");
}

}  // namespace

StageKind augment_stage_kind() {
  Schema schema{{
      required(input("input", "the training set, e.g. split.train")),
      boolean("online", true, "true: transform in the train stage's loader every epoch; false: expand the set once"),
      checked(any("ops", json::array(), "the transforms, e.g. [ {rotate: 10}, {shift: 0.1} ]"),
              [](const Param& ops) { image::Augmenter{ops}; }),
      at_least(integer("copies", 1, "offline: augmented copies per image (per value of a fixed list)"), 0),
      boolean("keep_original", true, "offline: keep the original images"),
      integer("seed", nullptr, "seed of the transforms (default: the pipeline's seed)"),
  }};
  schema.check = check_augment;
  // Version 2: offline without ops passes the input through instead of copying it.
  return {"augment", 2, "label-preserving random transforms: online (per epoch) or offline (expanded once)",
          schema, {}, true, [] { return std::make_unique<Augment>(); }};
}

}  // namespace pipe
