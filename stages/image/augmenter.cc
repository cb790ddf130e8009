#include "stages/image/augmenter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "engine/schema.h"
#include "stages/image/stroke.h"

namespace pipe::image {

namespace {

using json = nlohmann::json;

const std::vector<std::string>& op_names() {
  static const std::vector<std::string> names{"flip_h", "flip_v", "rotate", "shift",  "zoom",    "aspect", "shear", "brightness",
                                              "contrast", "noise", "blur", "elastic", "erasing", "stroke", "fill"};
  return names;
}

std::string allowed_ops() {
  std::string s;
  for (const auto& n : op_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

double number(const Param& v) {
  if (v->is_boolean()) return v->get<bool>() ? 1 : 0;
  if (!v->is_number()) throw v.error("expected a number, got " + v->dump());
  double x = v->get<double>();
  if (!std::isfinite(x)) throw v.error("expected a finite number");
  return x;
}

bool geometric(const std::string& name) {
  return name == "rotate" || name == "shift" || name == "zoom" || name == "aspect" || name == "shear";
}

// Parameters of a mapping-valued op; unknown keys are errors at the key.
void check_keys(const Param& m, std::initializer_list<const char*> known) {
  for (auto it = m->begin(); it != m->end(); ++it) {
    bool ok = false;
    std::string list;
    for (const char* k : known) {
      ok |= it.key() == k;
      list += std::string(list.empty() ? "" : ", ") + k;
    }
    if (!ok) throw m[it.key()].error("unknown key '" + it.key() + "'").hint("known keys: " + list);
  }
}

// `v` is the op's value (ops[i].name): null for a bare name, a number, a
// list or a mapping of parameters.
Augmenter::Op parse_op(const std::string& name, const Param& v) {
  Augmenter::Op op;
  op.name = name;
  bool flip = name == "flip_h" || name == "flip_v";
  if (flip) op.p = 0.5;
  if (name == "erasing") {
    op.p = 0.5;
    op.range = {0.02, 0.2, 0.3, 3.3};
  }
  if (name == "elastic") op.b = 4;  // sigma
  if (v->is_null()) {
    // A bare name: a sensible default strength.
    if (name == "rotate") op.a = 10;
    else if (name == "shift" || name == "zoom" || name == "aspect") op.a = op.b = 0.1;
    else if (name == "shear") op.a = 10;
    else if (name == "brightness" || name == "contrast") op.a = 0.2;
    else if (name == "noise") op.a = 0.05;
    else if (name == "blur") op.a = 1;
    else if (name == "elastic") op.a = 8;
    else if (name == "stroke") op.a = 1;
    return op;
  }
  // Which value a range error blames: the op's own, or one of its parameters.
  Param strength = v, second = v;
  if (v->is_array()) {
    if (name != "rotate") throw v.error("a list of values is only allowed for rotate");
    if (v->empty()) throw v.error("the list of angles is empty");
    for (size_t i = 0; i < v->size(); ++i) op.values.push_back(number(v[i]));
    return op;
  }
  if (v->is_object()) {
    if (v->contains("p")) op.p = number(v["p"]);
    if (flip || name == "erasing") {
      if (name == "erasing") {
        check_keys(v, {"p", "area", "ratio", "value"});
        auto pair = [&](const char* key, size_t at) {
          const Param r = v[key];
          if (r->is_null()) return;
          if (!r->is_array() || r->size() != 2) throw r.error("expected [min, max]");
          op.range[at] = number(r[0]);
          op.range[at + 1] = number(r[1]);
          if (op.range[at] <= 0 || op.range[at] > op.range[at + 1]) throw r.error("expected 0 < min ≤ max");
        };
        pair("area", 0);
        pair("ratio", 2);
        if (op.range[1] > 1) throw v["area"].error("at most 1 (the whole image)");
        if (v->contains("value")) op.a = number(v["value"]);
      } else {
        check_keys(v, {"p"});
      }
    } else if (name == "rotate") {
      check_keys(v, {"degrees", "p"});
      const Param degrees = v["degrees"];
      strength = degrees;
      if (degrees->is_array()) {
        if (degrees->empty()) throw degrees.error("the list of angles is empty");
        for (size_t i = 0; i < degrees->size(); ++i) op.values.push_back(number(degrees[i]));
      } else if (!degrees->is_null()) {
        op.a = number(degrees);
      }
    } else if (name == "shift") {
      check_keys(v, {"x", "y", "p"});
      strength = v["x"];
      second = v["y"];
      op.a = v->contains("x") ? number(v["x"]) : 0;
      op.b = v->contains("y") ? number(v["y"]) : 0;
    } else if (name == "elastic") {
      check_keys(v, {"alpha", "sigma", "p"});
      strength = v["alpha"];
      second = v["sigma"];
      if (v->contains("alpha")) op.a = number(v["alpha"]);
      if (v->contains("sigma")) op.b = number(v["sigma"]);
      if (op.b <= 0) throw second.error("must be > 0");
    } else {
      check_keys(v, {"amount", "p"});
      strength = v["amount"];
      if (v->contains("amount")) op.a = number(v["amount"]);
    }
  } else {
    double x = number(v);
    if (flip || name == "erasing") op.p = x;
    else op.a = x;
    if (name == "shift") op.b = x;
  }
  const Param p = v->is_object() ? v["p"] : v;
  if (!(op.p >= 0 && op.p <= 1)) throw p.error("p must be between 0 and 1");
  if (op.a < 0 && name != "erasing") throw strength.error("the strength must be ≥ 0");
  if (op.b < 0) throw second.error("the strength must be ≥ 0");
  if ((name == "zoom") && op.a >= 1) throw strength.error("must be below 1 (scale 1 ± zoom)");
  if ((name == "aspect") && op.a >= 1) throw strength.error("must be below 1 (width/height ratio × (1 ± aspect))");
  if (name == "shear" && op.a >= 89) throw strength.error("must be below 89 degrees");
  return op;
}

// 2×3 affine matrices as 3×3 for composition.
cv::Matx33d about_centre(const cv::Matx22d& m, double cx, double cy, double tx = 0, double ty = 0) {
  // x' = m (x - c) + c + t
  return cv::Matx33d(m(0, 0), m(0, 1), cx + tx - m(0, 0) * cx - m(0, 1) * cy, m(1, 0), m(1, 1),
                     cy + ty - m(1, 0) * cx - m(1, 1) * cy, 0, 0, 1);
}

}  // namespace

Augmenter::Augmenter(const json& ops) : Augmenter(Param(ops, nullptr, "", "ops")) {}

Augmenter::Augmenter(const Param& ops) {
  if (ops->is_null()) return;
  if (!ops->is_array()) throw ops.error("expected a list, e.g. [ {rotate: 10}, {shift: 0.1} ]");
  for (size_t i = 0; i < ops->size(); ++i) {
    const Param item = ops[i];
    std::string name;
    Param value;
    if (item->is_string()) {
      name = item->get<std::string>();
    } else if (item->is_object() && item->size() == 1) {
      name = item->begin().key();
      value = item[name];
    } else {
      throw item.error("expected an op name or a one-key mapping like {rotate: 10}").hint("ops: " + allowed_ops());
    }
    if (std::find(op_names().begin(), op_names().end(), name) == op_names().end())
      throw item.error("unknown op '" + name + "'").hint("ops: " + allowed_ops());
    if (name == "fill") {
      fill_ = number(value);
      spec_.push_back(*item);
      continue;
    }
    Op op = parse_op(name, value);
    if (!op.values.empty()) {
      if (variants_ > 0) throw item.error("only one op may have a list of values");
      variants_ = op.values.size();
    }
    ops_.push_back(op);
    spec_.push_back(*item);
  }
}

Augmenter Augmenter::load(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw Error("cannot read the augmentation ops").at(file);
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(std::string("not valid JSON: ") + e.what()).at(file);
  }
  try {
    return Augmenter(j.is_object() && j.contains("ops") ? j["ops"] : j);
  } catch (Error& e) {
    throw e.at(file);
  }
}

void Augmenter::apply(const uint8_t* in, int h, int w, int c, uint8_t* out, Rng& rng) const {
  run(in, h, w, c, out, -1, rng);
}

void Augmenter::apply_variant(const uint8_t* in, int h, int w, int c, uint8_t* out, size_t variant, Rng& rng) const {
  run(in, h, w, c, out, static_cast<long>(variant), rng);
}

void Augmenter::run(const uint8_t* in, int h, int w, int c, uint8_t* out, long variant, Rng& rng) const {
  const int type = CV_8UC(c);
  cv::Mat img = cv::Mat(h, w, type, const_cast<uint8_t*>(in)).clone();
  const cv::Scalar fill = cv::Scalar::all(fill_);
  const double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
  cv::Matx33d affine = cv::Matx33d::eye();
  bool pending = false;
  auto flush = [&]() {
    if (!pending) return;
    pending = false;
    if (affine == cv::Matx33d::eye()) return;
    cv::Mat m = (cv::Mat_<double>(2, 3) << affine(0, 0), affine(0, 1), affine(0, 2), affine(1, 0), affine(1, 1),
                 affine(1, 2));
    cv::Mat warped;
    cv::warpAffine(img, warped, m, img.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, fill);
    img = warped;
    affine = cv::Matx33d::eye();
  };
  for (const Op& op : ops_) {
    // Every op draws its random numbers whether or not it applies, so one
    // op's probability does not shift the others' draws.
    bool on = uniform01(rng) < op.p;
    if (geometric(op.name)) {
      cv::Matx22d m = cv::Matx22d::eye();
      double tx = 0, ty = 0;
      if (op.name == "rotate") {
        double deg = !op.values.empty()
                         ? (variant >= 0 ? op.values[static_cast<size_t>(variant) % op.values.size()]
                                         : op.values[uniform_index(rng, op.values.size())])
                         : uniform(rng, -op.a, op.a);
        double r = deg * M_PI / 180, co = std::cos(r), si = std::sin(r);
        if (deg != 0) m = cv::Matx22d(co, -si, si, co);
        if (variant >= 0 && !op.values.empty()) on = true;  // the fixed list always applies
      } else if (op.name == "shift") {
        tx = uniform(rng, -op.a, op.a) * w;
        ty = uniform(rng, -op.b, op.b) * h;
      } else if (op.name == "zoom") {
        double s = uniform(rng, 1 - op.a, 1 + op.a);
        m = cv::Matx22d(s, 0, 0, s);
      } else if (op.name == "aspect") {
        // Width and height scaled in opposite directions: the area stays.
        double k = std::sqrt(uniform(rng, 1 - op.a, 1 + op.a));
        m = cv::Matx22d(k, 0, 0, 1 / k);
      } else {  // shear
        double t = std::tan(uniform(rng, -op.a, op.a) * M_PI / 180);
        m = cv::Matx22d(1, t, 0, 1);
      }
      if (on) {
        affine = about_centre(m, cx, cy, tx, ty) * affine;
        pending = true;
      }
      continue;
    }
    flush();
    if (op.name == "flip_h" || op.name == "flip_v") {
      if (on) cv::flip(img, img, op.name == "flip_h" ? 1 : 0);
    } else if (op.name == "brightness") {
      double delta = uniform(rng, -op.a, op.a) * 255;
      if (on && delta != 0) img.convertTo(img, type, 1.0, delta);
    } else if (op.name == "contrast") {
      double k = uniform(rng, 1 - op.a, 1 + op.a);
      if (on && k != 1) {
        cv::Scalar mean = cv::mean(img);
        cv::Mat f;
        img.convertTo(f, CV_32FC(c));
        f = (f - mean) * k + mean;
        f.convertTo(img, type);
      }
    } else if (op.name == "noise") {
      if (on && op.a > 0) {
        cv::Mat f;
        img.convertTo(f, CV_32FC(c));
        float sigma = static_cast<float>(op.a * 255);
        float* p = f.ptr<float>(0);
        for (size_t i = 0; i < f.total() * c; ++i) p[i] += sigma * static_cast<float>(normal(rng));
        f.convertTo(img, type);
      }
    } else if (op.name == "blur") {
      double sigma = uniform(rng, 0, op.a);
      if (on && sigma > 0.05) cv::GaussianBlur(img, img, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
    } else if (op.name == "elastic") {
      if (on && op.a > 0) {
        cv::Mat dx(h, w, CV_32F), dy(h, w, CV_32F);
        float* px = dx.ptr<float>(0);
        float* py = dy.ptr<float>(0);
        for (int i = 0; i < h * w; ++i) {
          px[i] = static_cast<float>(uniform(rng, -1, 1));
          py[i] = static_cast<float>(uniform(rng, -1, 1));
        }
        cv::GaussianBlur(dx, dx, cv::Size(0, 0), op.b);
        cv::GaussianBlur(dy, dy, cv::Size(0, 0), op.b);
        cv::Mat map_x(h, w, CV_32F), map_y(h, w, CV_32F);
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) {
            map_x.at<float>(y, x) = x + static_cast<float>(op.a) * dx.at<float>(y, x);
            map_y.at<float>(y, x) = y + static_cast<float>(op.a) * dy.at<float>(y, x);
          }
        cv::Mat warped;
        cv::remap(img, warped, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, fill);
        img = warped;
      }
    } else if (op.name == "erasing") {
      double area = uniform(rng, op.range[0], op.range[1]) * h * w;
      double ratio = std::exp(uniform(rng, std::log(op.range[2]), std::log(op.range[3])));
      int eh = std::clamp(static_cast<int>(std::lround(std::sqrt(area * ratio))), 1, h);
      int ew = std::clamp(static_cast<int>(std::lround(std::sqrt(area / ratio))), 1, w);
      int y0 = static_cast<int>(uniform_index(rng, static_cast<uint64_t>(h - eh + 1)));
      int x0 = static_cast<int>(uniform_index(rng, static_cast<uint64_t>(w - ew + 1)));
      if (on) img(cv::Rect(x0, y0, ew, eh)).setTo(cv::Scalar::all(op.a));
    } else if (op.name == "stroke") {
      double amount = uniform(rng, -op.a, op.a);
      if (on && amount != 0) img = adjust_stroke(img, amount);
    }
  }
  flush();
  if (!img.isContinuous()) img = img.clone();
  std::memcpy(out, img.data, static_cast<size_t>(h) * w * c);
}

}  // namespace pipe::image
