// Augmenter — random, label-preserving image transforms, from a YAML/JSON op list.
//
//   ops: [ {rotate: 10}, {shift: 0.1}, flip_h, {elastic: {alpha: 8, sigma: 3}} ]
//
// Each op is a name, or a one-key mapping whose value is its strength (a
// number) or a mapping of its parameters (any op also takes `p`, the
// probability it is applied; default 1, flips 0.5).  Strength 0 leaves the
// pixels unchanged.  Ops run in the order given; consecutive geometric ops
// (rotate, shift, zoom, aspect, shear) are composed into one affine warp.
//
//   flip_h, flip_v   p (a number is p)                          mirror left-right / top-bottom
//   rotate           degrees: ±d uniform, or a list [-20, -10, 10, 20] (one of them)
//   shift            fraction of the size: ±f uniform; or {x, y}
//   zoom             ±f: scale uniform in [1-f, 1+f]
//   aspect           ±f: width/height ratio × uniform [1-f, 1+f], area kept (writers' and
//                    sources' glyph proportions differ)
//   shear            degrees: ±d uniform (horizontal shear)
//   brightness       ±b: adds b·255 uniform
//   contrast         ±c: scales around the image mean by 1 ± c uniform
//   noise            sigma as a fraction of 255 (gaussian, per pixel)
//   blur             sigma in pixels, uniform in [0, s] (gaussian)
//   elastic          alpha (pixels), sigma (smoothness, pixels, default 4): Simard et al. 2003
//   erasing          p (default 0.5), area [0.02, 0.2] of the image, ratio [0.3, 3.3], value 0:
//                    a random rectangle set to `value` (Zhong et al. 2017)
//   stroke           ±w pixels: thicken or thin the ink (light on dark) by up to w
//
// `fill` (an op list entry {fill: v}) sets the value of pixels that warps
// bring in from outside (default 0, the background after clean).  apply()
// is const and thread-safe; all randomness comes from the caller's generator,
// so a seed fixes the result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/schema.h"
#include "stages/image/random.h"

namespace pipe::image {

class Augmenter {
 public:
  Augmenter() = default;
  // Throws ConfigError naming the op at fault ("ops[1].shift: ..."), at its
  // position when `ops` carries positions (the stage's parameters).
  explicit Augmenter(const Param& ops);
  explicit Augmenter(const nlohmann::json& ops);
  // The augmenter of an `augment` artifact folder (its augment.json).
  static Augmenter load(const std::string& augment_json_file);

  bool empty() const { return ops_.empty(); }
  const nlohmann::json& ops() const { return spec_; }

  // out = a random transform of in (h × w × c, uint8 HWC); in == out is allowed.
  void apply(const uint8_t* in, int h, int w, int c, uint8_t* out, Rng& rng) const;

  // Offline expansion by a fixed list (rotate: [-20, -10, 10, 20]): how many
  // values the list has (0 when no op has one), and apply() with the list op
  // taking value number `variant` while the other ops stay random.
  size_t variants() const { return variants_; }
  void apply_variant(const uint8_t* in, int h, int w, int c, uint8_t* out, size_t variant, Rng& rng) const;

  struct Op {
    std::string name;
    double p = 1;
    double a = 0, b = 0;            // strength parameters (meaning depends on the op)
    std::vector<double> values;     // rotate: a fixed list
    std::vector<double> range;      // erasing: area and ratio bounds
  };

 private:
  void run(const uint8_t* in, int h, int w, int c, uint8_t* out, long variant, Rng& rng) const;
  std::vector<Op> ops_;
  nlohmann::json spec_ = nlohmann::json::array();
  double fill_ = 0;
  size_t variants_ = 0;
};

}  // namespace pipe::image
