#include "report/colormap.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace pipe::report {

namespace {

const std::vector<uint32_t>& anchors(Colormap map) {
  // Evenly spaced samples of matplotlib's Blues, viridis, turbo and RdBu (reversed).
  static const std::vector<uint32_t> blues{0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6,
                                           0x4292c6, 0x2171b5, 0x08519c, 0x08306b};
  static const std::vector<uint32_t> viridis{0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c,
                                             0x28ae80, 0x5ec962, 0xaddc30, 0xfde725};
  static const std::vector<uint32_t> turbo{0x30123b, 0x4662d7, 0x36aaf9, 0x1ae4b6, 0x72fe5e,
                                           0xc8ef34, 0xfaba39, 0xf66b19, 0xca2a04, 0x7a0403};
  static const std::vector<uint32_t> diverging{0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7,
                                               0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b};
  switch (map) {
    case Colormap::kBlues: return blues;
    case Colormap::kViridis: return viridis;
    case Colormap::kTurbo: return turbo;
    case Colormap::kDiverging: return diverging;
  }
  return viridis;
}

}  // namespace

Rgb colormap(Colormap map, double t) {
  const auto& a = anchors(map);
  if (std::isnan(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * (a.size() - 1);
  size_t i = std::min(static_cast<size_t>(t), a.size() - 2);
  return Rgb::hex(a[i]).mix(Rgb::hex(a[i + 1]), t - i);
}

Rgb colormap(Colormap map, double t, double gamma) {
  if (std::isnan(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0);
  if (gamma == 1) return colormap(map, t);
  if (map == Colormap::kDiverging) {
    double d = std::pow(std::fabs(2 * t - 1), gamma) / 2;
    return colormap(map, t < 0.5 ? 0.5 - d : 0.5 + d);
  }
  return colormap(map, std::pow(t, gamma));
}

void draw_colorbar(Canvas& canvas, Colormap map, double x, double y, double w, double h,
                   const Ticks& ticks, const std::string& label, double font_size, double gamma) {
  const int steps = 256;
  std::vector<Rgb> column(steps);
  for (int i = 0; i < steps; ++i) column[i] = colormap(map, 1.0 - (i + 0.5) / steps, gamma);
  canvas.cells(column, steps, 1, x, y, w, h, 1, true);
  canvas.stroke_rect(x, y, w, h, colors::kFrame, 0.8);
  canvas.font(font_size);
  double span = ticks.hi - ticks.lo;
  double label_w = 0;
  for (double v : ticks.values) {
    if (v < ticks.lo - 1e-9 || v > ticks.hi + 1e-9) continue;
    double ty = y + h - (span > 0 ? (v - ticks.lo) / span : 0) * h;
    canvas.line(x + w, ty, x + w + 4, ty, colors::kFrame, 0.8);
    std::string s = ticks.label(v);
    canvas.text(x + w + 6, ty, s, colors::kText, Align::kStart, Baseline::kMiddle);
    label_w = std::max(label_w, canvas.measure(s).width);
  }
  if (!label.empty()) {
    // Rotated to read upwards; Baseline::kTop puts the text to the right of the anchor.
    canvas.text(x + w + 10 + label_w + 4, y + h / 2, label, colors::kText, Align::kCenter, Baseline::kTop,
                -90);
  }
}

double colorbar_width(Canvas& canvas, double w, const Ticks& ticks, const std::string& label,
                      double font_size) {
  canvas.font(font_size);
  double label_w = 0;
  for (double v : ticks.values) label_w = std::max(label_w, canvas.measure(ticks.label(v)).width);
  double extra = label.empty() ? 0 : 4 + canvas.measure(label).height();
  return w + 10 + label_w + extra;
}

}  // namespace pipe::report
