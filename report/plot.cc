#include "report/plot.h"

#include <algorithm>
#include <cmath>

namespace pipe::report {

namespace {
constexpr double kTickLength = 4;
constexpr double kLegendSample = 22;
}  // namespace

double XYPlot::px(double x) const {
  double span = x_.hi - x_.lo;
  return area_.x + (span > 0 ? (x - x_.lo) / span : 0.5) * area_.w;
}

double XYPlot::py(double y) const {
  double span = y_.hi - y_.lo;
  return area_.y + area_.h - (span > 0 ? (y - y_.lo) / span : 0.5) * area_.h;
}

void XYPlot::draw_axes(Canvas& canvas, const std::string& x_title, const std::string& y_title,
                       double font_size) const {
  canvas.font(font_size);
  const Rect& a = area_;
  for (double v : y_.values) canvas.line(a.x, py(v), a.x + a.w, py(v), colors::kGrid, 1);
  for (double v : x_.values) canvas.line(px(v), a.y, px(v), a.y + a.h, colors::kGrid, 1);
  canvas.stroke_rect(a.x, a.y, a.w, a.h, colors::kFrame, 1);
  double widest = 0;
  for (double v : y_.values) {
    canvas.line(a.x - kTickLength, py(v), a.x, py(v), colors::kFrame, 1);
    std::string s = y_.label(v);
    widest = std::max(widest, canvas.measure(s).width);
    canvas.text(a.x - kTickLength - 3, py(v), s, colors::kText, Align::kEnd, Baseline::kMiddle);
  }
  // Skip x labels that would touch their neighbour.
  double last_end = -1e9;
  for (double v : x_.values) {
    canvas.line(px(v), a.y + a.h, px(v), a.y + a.h + kTickLength, colors::kFrame, 1);
    std::string s = x_.label(v);
    double w = canvas.measure(s).width;
    if (px(v) - w / 2 < last_end + 4) continue;
    canvas.text(px(v), a.y + a.h + kTickLength + 2, s, colors::kText, Align::kCenter, Baseline::kTop);
    last_end = px(v) + w / 2;
  }
  TextSize ts = canvas.measure("0");
  if (!x_title.empty())
    canvas.text(a.x + a.w / 2, a.y + a.h + kTickLength + 2 + ts.height() + 4, x_title, colors::kText,
                Align::kCenter, Baseline::kTop);
  if (!y_title.empty())
    canvas.text(a.x - kTickLength - 3 - widest - 6, a.y + a.h / 2, y_title, colors::kText, Align::kCenter,
                Baseline::kBottom, -90);
}

void XYPlot::draw_series(Canvas& canvas, const std::vector<double>& xs, const std::vector<double>& ys,
                         Rgb color, bool dashed, double markers) const {
  std::vector<double> lx, ly;
  auto flush = [&] {
    canvas.polyline(lx, ly, color, 1.8, dashed);
    lx.clear(), ly.clear();
  };
  for (size_t i = 0; i < xs.size() && i < ys.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) {
      flush();
      continue;
    }
    lx.push_back(px(xs[i]));
    ly.push_back(py(ys[i]));
    if (markers > 0) canvas.circle(lx.back(), ly.back(), markers, color);
  }
  flush();
}

double XYPlot::left_margin(Canvas& canvas, const Ticks& y, const std::string& y_title, double font_size) {
  canvas.font(font_size);
  double widest = 0;
  for (double v : y.values) widest = std::max(widest, canvas.measure(y.label(v)).width);
  return kTickLength + 3 + widest + 6 + (y_title.empty() ? 0 : canvas.measure(y_title).height()) + 4;
}

double XYPlot::bottom_margin(Canvas& canvas, const std::string& x_title, double font_size) {
  canvas.font(font_size);
  double h = canvas.measure("0").height();
  return kTickLength + 2 + h + (x_title.empty() ? 0 : 4 + h) + 4;
}

double legend_width(Canvas& canvas, const std::vector<LegendEntry>& entries, double font_size) {
  canvas.font(font_size);
  double w = 0;
  for (const auto& e : entries) w += kLegendSample + 5 + canvas.measure(e.label).width + 14;
  return entries.empty() ? 0 : w - 14;
}

double draw_legend(Canvas& canvas, double x, double y, const std::vector<LegendEntry>& entries,
                   double font_size) {
  canvas.font(font_size);
  double start = x;
  double mid = y + canvas.measure("0").height() / 2;
  for (const auto& e : entries) {
    if (e.box)
      canvas.fill_rect(x + 6, mid - 5, 10, 10, e.color);
    else
      canvas.line(x, mid, x + kLegendSample, mid, e.color, 2, e.dashed);
    x += kLegendSample + 5;
    canvas.text(x, mid, e.label, colors::kText, Align::kStart, Baseline::kMiddle);
    x += canvas.measure(e.label).width + 14;
  }
  return entries.empty() ? 0 : x - 14 - start;
}

Ticks integer_ticks(double lo, double hi, int max_ticks) {
  Ticks t = nice_ticks(lo, hi, max_ticks);
  // Whole steps only: 0.5 becomes 1, 2.5 becomes 5.
  double step = t.step < 1 ? 1 : std::fmod(t.step, 1) != 0 ? std::ceil(t.step / 5) * 5 : t.step;
  t.values.clear();
  t.step = step;
  t.decimals = 0;
  t.lo = std::floor(lo / step) * step;
  t.hi = std::max(std::ceil(hi / step) * step, t.lo + step);
  for (double v = t.lo; v <= t.hi + 1e-9; v += step) t.values.push_back(v);
  return t;
}

}  // namespace pipe::report
