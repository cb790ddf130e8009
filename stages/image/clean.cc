#include "stages/image/clean.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "engine/schema.h"
#include "stages/image/decode.h"
#include "stages/image/dedup.h"
#include "stages/image/parallel.h"
#include "stages/image/stroke.h"

namespace pipe::image {

namespace {

// Stroke normalisation finds the skeleton at twice the output resolution
// (the pen itself is drawn at output resolution, anti-aliased), or at 1.5×
// when the source has hardly more detail than the output: upsampling such a
// source further adds nothing but thinning time.  (Sources in between, like
// the small letters in the English images, need the full 2× to keep holes.)
constexpr double kStrokeScale = 2, kStrokeScaleSmall = 1.5, kSmallSource = 1.2;
// Stroke adjustment binarises and dilates/erodes at 2× the output size, and
// the area-averaged shrink gives every source the same anti-aliased edges.
// (set_stroke_width blends fractional widths, so a finer scale would buy
// little; 3× costs twice the time, since thinning grows with its cube.)
constexpr double kAdjustScale = 2;

int interpolation_flag(const std::string& name) {
  if (name == "area") return cv::INTER_AREA;
  if (name == "linear") return cv::INTER_LINEAR;
  if (name == "nearest") return cv::INTER_NEAREST;
  if (name == "cubic") return cv::INTER_CUBIC;
  throw ConfigError("interpolation: '" + name + "' is not allowed").hint("allowed: area | linear | nearest | cubic");
}

// The input in the requested colour space, RGBA composited over white.  May
// share memory with `in` (never written to).
cv::Mat to_color(const cv::Mat& in, bool gray) {
  cv::Mat img = in;
  if (img.channels() == 4) {
    cv::Mat rgb(img.size(), CV_8UC3);
    for (int y = 0; y < img.rows; ++y) {
      const uint8_t* s = img.ptr<uint8_t>(y);
      uint8_t* d = rgb.ptr<uint8_t>(y);
      for (int x = 0; x < img.cols; ++x, s += 4, d += 3) {
        int a = s[3];
        for (int c = 0; c < 3; ++c) d[c] = static_cast<uint8_t>((s[c] * a + 255 * (255 - a) + 127) / 255);
      }
    }
    img = rgb;
  }
  cv::Mat out;
  if (gray && img.channels() == 3) cv::cvtColor(img, out, cv::COLOR_RGB2GRAY);
  else if (!gray && img.channels() == 1) cv::cvtColor(img, out, cv::COLOR_GRAY2RGB);
  else out = img;
  return out;
}

cv::Mat gray_of(const cv::Mat& img) {
  if (img.channels() == 1) return img;
  cv::Mat g;
  cv::cvtColor(img, g, cv::COLOR_RGB2GRAY);
  return g;
}

using Histogram = std::array<int, 256>;

Histogram histogram(const cv::Mat& gray) {
  // Four partial histograms: consecutive equal pixels (the background) would
  // otherwise wait on each other's increments.
  std::array<Histogram, 4> part{};
  for (int y = 0; y < gray.rows; ++y) {
    const uint8_t* row = gray.ptr<uint8_t>(y);
    int x = 0;
    for (; x + 4 <= gray.cols; x += 4) {
      ++part[0][row[x]];
      ++part[1][row[x + 1]];
      ++part[2][row[x + 2]];
      ++part[3][row[x + 3]];
    }
    for (; x < gray.cols; ++x) ++part[0][row[x]];
  }
  Histogram h;
  for (int v = 0; v < 256; ++v) h[v] = part[0][v] + part[1][v] + part[2][v] + part[3][v];
  return h;
}

// Otsu's threshold from a histogram: {≤ t} and {> t} have the largest
// between-class variance.  When empty grey levels separate the two classes,
// every t in the gap is as good; the middle of the gap is taken, so that an
// image and its negative get mirrored thresholds (OpenCV takes the gap's
// start) and resized edges split evenly.  The variance is compared as a
// fraction with integer sums: no division per grey level.
int otsu(const Histogram& h) {
  int64_t n = 0, sum = 0;
  for (int v = 0; v < 256; ++v) {
    n += h[v];
    sum += static_cast<int64_t>(v) * h[v];
  }
  if (n == 0) return 0;
  // sigma_b(t) ∝ (sum · n1 − n · s1)² / (n1 · (n − n1)).
  int64_t n1 = 0, s1 = 0;
  double best_num = 0, best_den = 1;
  int best = 0;
  for (int v = 0; v < 256; ++v) {
    if (h[v] == 0) continue;  // the same split as the previous level
    n1 += h[v];
    s1 += static_cast<int64_t>(v) * h[v];
    if (n1 == n) break;
    double d = static_cast<double>(sum) * static_cast<double>(n1) - static_cast<double>(n) * static_cast<double>(s1);
    double num = d * d, den = static_cast<double>(n1) * static_cast<double>(n - n1);
    if (num * best_den > best_num * den) {
      best_num = num;
      best_den = den;
      best = v;
    }
  }
  int next = best + 1;
  while (next < 255 && h[next] == 0) ++next;
  return (best + next - 1) / 2;
}

int contrast_range(const Histogram& h) {
  int lo = 0, hi = 255;
  while (lo < 255 && h[lo] == 0) ++lo;
  while (hi > 0 && h[hi] == 0) --hi;
  return hi - lo;
}

// Median of each channel over a frame about 5% of the smaller side wide.
cv::Scalar border_median(const cv::Mat& img) {
  int b = std::max(1, static_cast<int>(std::lround(std::min(img.rows, img.cols) * 0.05)));
  int ch = img.channels();
  std::vector<Histogram> hist(ch, Histogram{});
  long count = 0;
  for (int y = 0; y < img.rows; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(y);
    bool full = y < b || y >= img.rows - b;
    for (int x = 0; x < img.cols; ++x) {
      if (!full && x == b) x = std::max(b, img.cols - b);
      if (x >= img.cols) break;
      for (int c = 0; c < ch; ++c) ++hist[c][row[x * ch + c]];
      ++count;
    }
  }
  cv::Scalar out;
  for (int c = 0; c < ch && c < 4; ++c) {
    long seen = 0;
    int v = 0;
    for (; v < 255; ++v) {
      seen += hist[c][v];
      if (2 * seen >= count) break;
    }
    out[c] = v;
  }
  return out;
}

// Bounding box of the pixels that are ink: above `threshold`, or below
// 255 - threshold when the image is still dark-on-light (`dark_ink`).
// The whole image when there are none.
cv::Rect ink_box(const cv::Mat& gray, int threshold, bool dark_ink) {
  // Ink test as a table, so one loop serves both polarities.
  std::array<uint8_t, 256> ink;
  for (int v = 0; v < 256; ++v) ink[v] = dark_ink ? v < 255 - threshold : v > threshold;
  int top = -1, bottom = -1, left = gray.cols, right = -1;
  for (int y = 0; y < gray.rows; ++y) {
    const uint8_t* row = gray.ptr<uint8_t>(y);
    // Only the parts of a row outside the box found so far can widen it.
    int x = 0;
    while (x < left && !ink[row[x]]) ++x;
    bool any = x < left;
    if (right < 0 && !any) continue;  // no box yet and no ink in this row
    if (any) left = x;
    int r = gray.cols - 1;
    while (r > right && !ink[row[r]]) --r;
    if (r > right) {
      right = r;
      any = true;
    }
    if (!any) any = std::any_of(row + left, row + right + 1, [&](uint8_t v) { return ink[v] != 0; });
    if (!any) continue;
    if (top < 0) top = y;
    bottom = y;
  }
  if (bottom < 0) return cv::Rect(0, 0, gray.cols, gray.rows);
  return cv::Rect(left, top, right - left + 1, bottom - top + 1);
}

struct Box {
  int height, width;  // of the fitted content
};

// The content size after fitting a h×w region into the output.
Box fit_box(int h, int w, const CleanOptions& o) {
  int bh = std::max(1, o.height - 2 * o.pad), bw = std::max(1, o.width - 2 * o.pad);
  if (o.fit == "stretch") return {bh, bw};
  double s = std::min(static_cast<double>(bh) / h, static_cast<double>(bw) / w);
  return {std::clamp(static_cast<int>(std::lround(h * s)), 1, bh), std::clamp(static_cast<int>(std::lround(w * s)), 1, bw)};
}

// Stroke normalisation with a target size: the content's skeleton (taken at
// 1.5 to 2 times the size the content gets in the output) is scaled so that
// skeleton plus pen fills the box inside `pad`, then drawn straight into the
// output with an anti-aliased round pen.  The glyph's extent and stroke
// width are then the same for every source, whatever its pen and scanner.
cv::Mat stroke_into_size(const cv::Mat& content, const CleanOptions& o, int threshold, bool dark_ink) {
  cv::Mat canvas = cv::Mat::zeros(o.height, o.width, CV_8UC1);
  Box fit = fit_box(content.rows, content.cols, o);
  double native = static_cast<double>(content.rows) / fit.height;  // source pixels per output pixel
  double k = native < kSmallSource ? kStrokeScaleSmall : kStrokeScale;
  cv::Size work_size(std::max(1, static_cast<int>(std::lround(fit.width * k))),
                     std::max(1, static_cast<int>(std::lround(fit.height * k))));
  cv::Mat work;
  bool shrink = work_size.width < content.cols && work_size.height < content.rows;
  cv::resize(content, work, work_size, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  std::vector<cv::Point> skeleton = skeleton_points(work, threshold, dark_ink);
  if (skeleton.empty()) return canvas;
  int min_x = work.cols, max_x = -1, min_y = work.rows, max_y = -1;
  double sum_x = 0, sum_y = 0;
  for (const auto& p : skeleton) {
    min_x = std::min(min_x, p.x);
    max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y);
    max_y = std::max(max_y, p.y);
    sum_x += p.x;
    sum_y += p.y;
  }
  // Skeleton extent (between pixel centres) → box minus the pen.  A dot or
  // a straight line has no extent along some axis; scaling is also capped
  // (3× the plain fit) so that a tiny skeleton does not become a blob.
  const double pen = o.stroke;
  double room_w = std::max(0.0, o.width - 2.0 * o.pad - pen), room_h = std::max(0.0, o.height - 2.0 * o.pad - pen);
  double ext_w = max_x - min_x, ext_h = max_y - min_y;
  const double cap = 3.0 / k;
  double sx = ext_w > 0 ? room_w / ext_w : cap, sy = ext_h > 0 ? room_h / ext_h : cap;
  if (o.fit == "pad") sx = sy = std::min(sx, sy);
  sx = std::min(sx, cap);
  sy = std::min(sy, cap);
  double cx = o.center == "mass" ? sum_x / skeleton.size() : (min_x + max_x) / 2.0;
  double cy = o.center == "mass" ? sum_y / skeleton.size() : (min_y + max_y) / 2.0;
  double ox = o.width / 2.0 - cx * sx, oy = o.height / 2.0 - cy * sy;
  if (o.center == "mass") {
    // Keep the whole glyph on the canvas.
    double half = pen / 2;
    ox = std::clamp(ox, half - min_x * sx, o.width - half - max_x * sx);
    oy = std::clamp(oy, half - min_y * sy, o.height - half - max_y * sy);
  }
  std::vector<cv::Point2f> centres;
  centres.reserve(skeleton.size());
  for (const auto& p : skeleton)
    centres.emplace_back(static_cast<float>(ox + p.x * sx), static_cast<float>(oy + p.y * sy));
  draw_pen(canvas, centres, pen);
  return canvas;
}

// Stroke normalisation without a size: redrawn at native resolution, with a
// margin so that a pen wider than the original stroke is not clipped.
cv::Mat stroke_in_place(const cv::Mat& content, const CleanOptions& o, int threshold) {
  int margin = o.crop == "content" ? static_cast<int>(std::ceil(o.stroke / 2)) + 1 : 0;
  cv::Mat work = content;
  if (margin > 0) cv::copyMakeBorder(content, work, margin, margin, margin, margin, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::Mat drawn = redraw_strokes(work, o.stroke, threshold);
  return o.crop == "content" ? drawn(ink_box(drawn, 0, false)).clone() : drawn;
}

// Per image: the background (the border's median) → 0 and bright ink (the
// 90th percentile of the pixels above Otsu's threshold) → 255, so faint or
// thin ink reaches full strength even when a few stray pixels are brighter.
void stretch_contrast(cv::Mat& img) {
  cv::Mat g = gray_of(img);
  Histogram h = histogram(g);
  if (contrast_range(h) < 8) return;
  int lo = static_cast<int>(border_median(g)[0]), t = std::max(otsu(h), lo);
  long ink = 0;
  for (int v = t + 1; v < 256; ++v) ink += h[v];
  int hi = 255;
  for (long seen = h[255]; hi > t && seen < ink / 10 + 1; seen += h[--hi]) {
  }
  if (hi <= lo) return;
  cv::Mat out;
  img.convertTo(out, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
  img = out;
}

cv::Mat inverted_copy(const cv::Mat& m) {
  cv::Mat out;
  cv::bitwise_not(m, out);
  return out;
}

}  // namespace

void CleanOptions::check() const {
  json none;
  check(Param(none));
}

void CleanOptions::check(const Param& p) const {
  auto allowed = [&](const char* key, const std::string& v, std::initializer_list<const char*> choices) {
    for (const char* c : choices)
      if (v == c) return;
    std::string list;
    for (const char* c : choices) list += std::string(list.empty() ? "" : " | ") + c;
    throw p[key].error("'" + v + "' is not allowed").hint("allowed: " + list);
  };
  allowed("color", color, {"gray", "rgb"});
  allowed("invert", invert, {"auto", "true", "false"});
  allowed("illumination", illumination, {"none", "tophat"});
  allowed("binarize", binarize, {"none", "otsu", "adaptive"});
  allowed("crop", crop, {"content", "center", "none"});
  allowed("fit", fit, {"pad", "stretch"});
  allowed("center", center, {"box", "mass"});
  allowed("stroke_mode", stroke_mode, {"redraw", "adjust"});
  allowed("interpolation", interpolation, {"area", "linear", "nearest", "cubic"});
  allowed("dedupe", dedupe, {"none", "exact", "perceptual"});
  if (color == "rgb" && binarize != "none") throw p["binarize"].error("needs color: gray");
  if (color == "rgb" && stroke > 0) throw p["stroke"].error("needs color: gray");
  if (stroke < 0) throw p["stroke"].error("must be ≥ 0 (0 keeps the stroke width)");
  if ((height > 0) != (width > 0) || height < 0 || width < 0)
    throw p["size"].error("must be two positive integers [height, width]");
  if (pad < 0 || (height > 0 && (2 * pad >= height || 2 * pad >= width)))
    throw p["pad"].error("must leave room for the image").hint("0 ≤ 2·pad < each side of size");
  if (crop_threshold < -1 || crop_threshold > 255) throw p["threshold"].error("must be 0..255, or -1 for Otsu");
  if (adaptive_block != 0 && (adaptive_block < 3 || adaptive_block % 2 == 0))
    throw p["adaptive_block"].error("must be an odd number ≥ 3 (or 0 for automatic)");
  if (illumination_kernel < 0) throw p["illumination_kernel"].error("must be ≥ 0");
  if (despeckle < 0) throw p["despeckle"].error("must be ≥ 0 (pixels; 0: off)");
  if (dedupe_distance < 0 || dedupe_distance > 64) throw p["dedupe_distance"].error("must be 0..64");
}

bool background_is_light(const cv::Mat& gray) {
  CV_Assert(gray.type() == CV_8UC1);
  if (gray.empty()) return false;
  Histogram h = histogram(gray);
  if (contrast_range(h) < 8) return border_median(gray)[0] > 127;  // flat: a light page is light
  return border_median(gray)[0] > otsu(h);
}

cv::Mat sample_mat(const DatasetView& view, size_t i) {
  return cv::Mat(view.height(i), view.width(i), CV_8UC(std::max(1, view.channels(i))),
                 const_cast<uint8_t*>(view.pixels(i)));
}

CleanedImage clean_image(const cv::Mat& input, const CleanOptions& o) {
  CleanedImage out;
  const bool gray_out = o.color == "gray";
  const bool sized = o.height > 0;
  cv::Mat img = to_color(input, gray_out);  // may share the input's memory: never written to
  cv::Mat gray = gray_of(img);
  Histogram hist = histogram(gray);
  cv::Scalar border = border_median(img);
  double border_gray = gray_out ? border[0] : border_median(gray)[0];
  bool flat = contrast_range(hist) < 8;
  int level = otsu(hist);
  out.inverted = o.invert == "true" || (o.invert == "auto" && (flat ? border_gray > 127 : border_gray > level));

  // Inversion is deferred to the crop (fewer pixels) unless a whole-image
  // operation needs light ink first.
  bool pending_invert = out.inverted;
  if (o.illumination != "none" || o.binarize != "none") {
    if (pending_invert) img = inverted_copy(img);
    pending_invert = false;
    if (o.illumination == "tophat") {
      int k = o.illumination_kernel > 0 ? o.illumination_kernel : std::max(3, std::min(img.rows, img.cols) / 5);
      cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k | 1, k | 1));
      cv::Mat t;
      cv::morphologyEx(img, t, cv::MORPH_TOPHAT, kernel);
      img = t;
    }
    if (o.binarize != "none") {
      cv::Mat t, g = gray_of(img);
      if (o.binarize == "otsu") {
        cv::threshold(g, t, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
      } else {
        int block = o.adaptive_block > 0 ? o.adaptive_block : std::max(3, (std::min(img.rows, img.cols) / 8) | 1);
        cv::adaptiveThreshold(g, t, 255, cv::ADAPTIVE_THRESH_GAUSSIAN_C, cv::THRESH_BINARY, block, -o.adaptive_offset);
      }
      img = t;
    }
    gray = gray_of(img);
    hist = histogram(gray);
    flat = contrast_range(hist) < 8;
    level = otsu(hist);
    border = border_median(img);
  }
  // The ink threshold of the light-ink image (Otsu on the inverted image
  // splits the same two classes: 254 - level).
  int ink_level = o.crop_threshold >= 0 ? o.crop_threshold : pending_invert ? 254 - level : level;
  cv::Scalar background = o.stroke > 0 ? cv::Scalar::all(0)
                          : pending_invert ? cv::Scalar::all(255) - border
                                           : border;

  if (o.despeckle > 0 && !flat) {
    // Ink blobs smaller than `despeckle` pixels (dust, sensor noise) become
    // background before they can widen the crop or be drawn as dots.
    cv::Mat mask, labels, stats, centroids;
    if (pending_invert) cv::threshold(gray, mask, 254 - ink_level, 255, cv::THRESH_BINARY_INV);
    else cv::threshold(gray, mask, ink_level, 255, cv::THRESH_BINARY);
    int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
    std::vector<uint8_t> small(static_cast<size_t>(n), 0);
    bool any = false;
    for (int k = 1; k < n; ++k) any |= small[k] = stats.at<int>(k, cv::CC_STAT_AREA) < o.despeckle;
    if (any) {
      cv::Mat speck(mask.size(), CV_8UC1, cv::Scalar(0));
      for (int y = 0; y < labels.rows; ++y) {
        const int* l = labels.ptr<int>(y);
        uint8_t* m = speck.ptr<uint8_t>(y);
        for (int x = 0; x < labels.cols; ++x) m[x] = small[l[x]] ? 255 : 0;
      }
      img = img.clone();  // may share the input's memory
      img.setTo(border, speck);
      gray = gray_of(img);
    }
  }

  cv::Rect roi(0, 0, img.cols, img.rows);
  if (o.crop == "content") {
    if (contrast_range(hist) >= 8) roi = ink_box(gray, ink_level, pending_invert);
  } else if (o.crop == "center") {
    int side = std::min(img.rows, img.cols);
    roi = cv::Rect((img.cols - side) / 2, (img.rows - side) / 2, side, side);
  }
  cv::Mat content = img(roi);
  int interp = interpolation_flag(o.interpolation);

  if (o.stroke > 0 && o.stroke_mode == "adjust") {
    // The ink is binarised at kAdjustScale× its output size, set to the
    // target width there, and then goes through the plain resize below.
    int threshold = o.binarize != "none" ? 127 : flat ? 255 : ink_level;
    cv::Mat light = pending_invert ? inverted_copy(content) : content;
    if (sized) {
      Box fit = fit_box(content.rows, content.cols, o);
      bool shrink = kAdjustScale * fit.height < content.rows;
      cv::Mat work;
      cv::resize(light, work, cv::Size(std::max(1, static_cast<int>(std::lround(fit.width * kAdjustScale))),
                                        std::max(1, static_cast<int>(std::lround(fit.height * kAdjustScale)))),
                 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
      light = work;
    }
    // A margin lets a dilated stroke grow past the crop; the result is
    // cropped to its ink again, so the pen's extent fills the box.
    double width = o.stroke * (sized ? kAdjustScale : 1);
    if (o.crop == "content") {
      int margin = static_cast<int>(std::ceil(width / 2)) + 1;
      cv::Mat framed;
      cv::copyMakeBorder(light, framed, margin, margin, margin, margin, cv::BORDER_CONSTANT, cv::Scalar(0));
      cv::Mat adjusted = set_stroke_width(framed, width, threshold);
      content = adjusted(ink_box(adjusted, 0, false));
    } else {
      content = set_stroke_width(light, width, threshold);
    }
    pending_invert = false;
    if (!sized) {
      out.image = content;
      return out;
    }
  } else if (o.stroke > 0) {
    // Only the ink's skeleton is kept, so a pending inversion is folded into
    // the threshold instead of copying the pixels.
    int threshold = o.binarize != "none" ? 127 : flat ? 255 : ink_level;
    out.image = sized ? stroke_into_size(content, o, threshold, pending_invert)
                      : stroke_in_place(pending_invert ? inverted_copy(content) : content, o, threshold);
    return out;
  }

  if (!sized) {
    out.image = pending_invert ? inverted_copy(content) : content.clone();
    if (o.stretch) stretch_contrast(out.image);
    return out;
  }
  Box b = fit_box(content.rows, content.cols, o);
  cv::Mat resized;
  cv::resize(content, resized, cv::Size(b.width, b.height), 0, 0, interp);
  if (pending_invert) cv::bitwise_not(resized, resized);  // on the smaller image
  cv::Mat canvas(o.height, o.width, resized.type(), background);
  int oy = (o.height - b.height) / 2, ox = (o.width - b.width) / 2;
  if (o.center == "mass") {
    cv::Mat ink;
    double bg = gray_out ? background[0] : 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2];
    cv::absdiff(gray_of(resized), cv::Scalar(bg), ink);
    cv::Moments m = cv::moments(ink);
    if (m.m00 > 0) {
      oy = std::clamp(static_cast<int>(std::lround(o.height / 2.0 - m.m01 / m.m00)), 0, o.height - b.height);
      ox = std::clamp(static_cast<int>(std::lround(o.width / 2.0 - m.m10 / m.m00)), 0, o.width - b.width);
    }
  }
  resized.copyTo(canvas(cv::Rect(ox, oy, b.width, b.height)));
  if (o.stretch) stretch_contrast(canvas);
  out.image = canvas;
  return out;
}

Dataset clean_dataset(const DatasetView& in, const CleanOptions& o, int threads, CleanReport* report,
                      const std::function<void(size_t, size_t)>& progress) {
  o.check();
  size_t n = in.size();
  std::vector<cv::Mat> images(n);
  std::vector<uint8_t> inverted(n, 0);
  std::vector<double> stroke(n, -1);
  std::atomic<size_t> done{0};
  // Stroke widths (a report statistic) are measured on a systematic sample
  // of about 2000 small images; the rest of clean costs about as much.
  const size_t stride = std::max<size_t>(1, n / 2000);
  if (progress) progress(0, n);
  const std::thread::id caller = std::this_thread::get_id();  // progress from this thread only
  std::vector<std::string> failed(n);
  parallel_for(n, threads, [&](size_t i) {
    try {
      CleanedImage c = clean_image(sample_mat(in, i), o);
      if (c.image.empty()) throw std::runtime_error("the cleaned image is empty");
      images[i] = c.image;
      inverted[i] = c.inverted;
      if (i % stride == 0 && c.image.total() <= 128 * 128) stroke[i] = stroke_width(gray_of(c.image));
    } catch (...) {
      images[i].release();
      stroke[i] = -1;
      failed[i] = current_exception_reason();
    }
    size_t d = ++done;
    if (progress && d % 128 == 0 && std::this_thread::get_id() == caller) progress(d, n);
  });
  if (progress) progress(n, n);

  // De-duplication sees the cleaned images only.
  std::vector<size_t> cleaned;
  for (size_t i = 0; i < n; ++i)
    if (failed[i].empty()) cleaned.push_back(i);
  std::vector<Duplicate> dups;
  if (cleaned.size() == n) {
    dups = find_duplicates(images, o.dedupe, o.dedupe_distance, threads);
  } else {
    std::vector<cv::Mat> kept_images;
    for (size_t i : cleaned) kept_images.push_back(images[i]);
    dups = find_duplicates(kept_images, o.dedupe, o.dedupe_distance, threads);
    for (auto& d : dups) d = {cleaned[d.removed], cleaned[d.kept]};
  }
  std::vector<uint8_t> removed(n, 0);
  for (const auto& d : dups) removed[d.removed] = 1;

  CleanReport local;
  CleanReport& r = report ? *report : local;
  r.classes.assign(in.classes().size(), ClassStats{});
  r.duplicates = dups;
  r.skipped.clear();
  std::vector<int> unusable(r.classes.size(), 0);
  Dataset out;
  out.classes = in.classes();
  out.samples.reserve(n - dups.size());
  for (size_t i = 0; i < n; ++i) {
    ClassStats& cs = r.classes[in.label(i)];
    ++cs.images;
    if (!failed[i].empty()) {
      r.skipped.push_back({i, failed[i]});
      ++unusable[in.label(i)];
      continue;
    }
    cs.inverted += inverted[i];
    if (removed[i]) {
      ++cs.removed;
      continue;
    }
    const cv::Mat& m = images[i];
    cv::Mat g = gray_of(m);
    long sum = 0, ink = 0;
    for (int y = 0; y < g.rows; ++y) {
      const uint8_t* row = g.ptr<uint8_t>(y);
      for (int x = 0; x < g.cols; ++x) {
        sum += row[x];
        ink += row[x] > 127;
      }
    }
    cs.mean += static_cast<double>(sum) / std::max<size_t>(1, g.total());
    cs.ink += static_cast<double>(ink) / std::max<size_t>(1, g.total());
    if (stroke[i] >= 0) {
      cs.stroke += stroke[i];
      ++cs.measured;
    }
    Sample s;
    s.label = in.label(i);
    s.height = m.rows;
    s.width = m.cols;
    s.channels = m.channels();
    s.path = in.path(i);
    s.group = in.group(i);
    s.split = in.split(i);
    s.pixels.assign(m.data, m.data + m.total() * m.elemSize());
    images[i].release();
    out.samples.push_back(std::move(s));
  }
  for (size_t c = 0; c < r.classes.size(); ++c) {
    ClassStats& cs = r.classes[c];
    int kept = cs.images - cs.removed - unusable[c];
    if (kept > 0) {
      cs.mean /= kept;
      cs.ink /= kept;
    }
    if (cs.measured > 0) cs.stroke /= cs.measured;
  }
  return out;
}

}  // namespace pipe::image
