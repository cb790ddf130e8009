#include "report/curves_figure.h"

#include <algorithm>
#include <cmath>

#include "report/plot.h"

namespace pipe::report {

namespace {

constexpr double kPanelW = 400, kPanelH = 260, kFont = 10, kTitleFont = 13, kPad = 14;

bool any_finite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

// The data range of the finite values of a and b, padded a little.
std::pair<double, double> range(const std::vector<double>& a, const std::vector<double>& b, bool unit) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto* v : {&a, &b})
    for (double x : *v)
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!std::isfinite(lo)) return {0, 1};
  // A flat series (one epoch) gets a range around it rather than a sliver.
  double pad = hi - lo > 1e-6 ? (hi - lo) * 0.05 : std::max(0.1 * std::fabs(hi), 0.05);
  lo -= pad, hi += pad;
  if (unit) lo = std::max(lo, 0.0), hi = std::min(hi, 1.0);
  else if (lo > 0 && lo < (hi - lo)) lo = 0;  // losses: start at 0 when it costs little room
  return {lo, hi};
}

struct Panel {
  std::string title, y_title;
  std::vector<double> train, val;
  bool unit;
};

}  // namespace

Figure learning_curves_figure(const EpochHistory& h) {
  double e_lo = 1, e_hi = 1;
  if (!h.epoch.empty()) {
    e_lo = *std::min_element(h.epoch.begin(), h.epoch.end());
    e_hi = *std::max_element(h.epoch.begin(), h.epoch.end());
  }
  if (e_hi - e_lo < 1) e_lo -= 0.5, e_hi += 0.5;  // one epoch: a point in the middle
  Ticks x = integer_ticks(e_lo, e_hi);
  x.lo = e_lo, x.hi = e_hi;  // the axis spans the epochs run, not a rounded range
  x.values.erase(std::remove_if(x.values.begin(), x.values.end(),
                                [&](double v) { return v < e_lo - 1e-9 || v > e_hi + 1e-9; }),
                 x.values.end());

  std::vector<Panel> panels{{"Loss", "loss", h.train_loss, h.val_loss, false},
                            {"Accuracy", "accuracy", h.train_accuracy, h.val_accuracy, true}};
  std::vector<Ticks> y;
  Canvas& m = Canvas::measuring();
  double left = 0;
  for (const auto& p : panels) {
    auto r = range(p.train, p.val, p.unit);
    y.push_back(nice_ticks(r.first, r.second, 6));
    if (p.unit) y.back().hi = std::min(y.back().hi, 1.0), y.back().lo = std::max(y.back().lo, 0.0);
    left = std::max(left, XYPlot::left_margin(m, y.back(), p.y_title, kFont));
  }
  double bottom = XYPlot::bottom_margin(m, "epoch", kFont);
  m.font(kTitleFont, true);
  double title_h = m.measure("Ag").height() + 6;
  std::vector<LegendEntry> legend{{"train", colors::kBlue, false}};
  bool has_val = any_finite(h.val_loss) || any_finite(h.val_accuracy);
  if (has_val) legend.push_back({"validation", colors::kOrange, true});
  if (h.best_epoch >= 0) legend.push_back({"best epoch", colors::kMuted, true});
  m.font(kFont);
  double legend_h = m.measure("Ag").height() + 8;

  double panel_w = left + kPanelW + kPad;
  double width = kPad + panels.size() * panel_w;
  double height = kPad + legend_h + title_h + kPanelH + bottom + kPad;
  bool single = h.epoch.size() == 1;
  std::vector<double> epochs = h.epoch;
  double best = h.best_epoch;

  return Figure(width, height, [=](Canvas& c) {
    double lw = legend_width(c, legend, kFont);
    draw_legend(c, (width - lw) / 2, kPad, legend, kFont);
    for (size_t i = 0; i < panels.size(); ++i) {
      const Panel& p = panels[i];
      Rect area{kPad + i * panel_w + left, kPad + legend_h + title_h, kPanelW, kPanelH};
      XYPlot plot(area, x, y[i]);
      c.font(kTitleFont, true);
      c.text(area.x + area.w / 2, area.y - 6, p.title, colors::kText, Align::kCenter, Baseline::kBottom);
      plot.draw_axes(c, "epoch", p.y_title, kFont);
      c.clip(area.x, area.y, area.w, area.h);
      if (best >= 0) c.line(plot.px(best), area.y, plot.px(best), area.y + area.h, colors::kMuted, 1, true);
      double marker = single || epochs.size() <= 30 ? 2.5 : 0;
      plot.draw_series(c, epochs, p.train, colors::kBlue, false, marker);
      plot.draw_series(c, epochs, p.val, colors::kOrange, true, marker);
      c.unclip();
    }
  });
}

}  // namespace pipe::report
