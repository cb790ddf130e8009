#include "report/class_scores_figure.h"

#include <algorithm>
#include <cmath>

#include "report/plot.h"

namespace pipe::report {

namespace {
constexpr double kPad = 14, kFont = 10, kTitleFont = 13, kPlotW = 420, kMaxLabelW = 160;
}

Figure class_scores_figure(const std::vector<ClassScore>& scores) {
  const int n = static_cast<int>(scores.size());
  // Rows get thinner with more classes; bars stay at least 2 px.
  double row_h = n <= 12 ? 30 : n <= 40 ? 18 : 11;
  double label_font = n <= 40 ? kFont : 8.5;
  Canvas& m = Canvas::measuring();
  m.font(label_font);
  std::vector<std::string> labels, supports;
  for (const auto& s : scores) {
    labels.push_back(m.ellipsize(s.name, kMaxLabelW));
    supports.push_back("n=" + std::to_string(s.support));
  }
  double label_w = m.max_width(labels) + 8;
  double support_w = m.max_width(supports) + 8;
  m.font(kTitleFont, true);
  double title_h = m.measure("Ag").height() + 6;
  m.font(kFont);
  double legend_h = m.measure("Ag").height() + 8;
  Ticks x = nice_ticks(0, 1, 6);
  double bottom = XYPlot::bottom_margin(m, "score", kFont);

  double plot_h = std::max(1, n) * row_h;
  double width = kPad + label_w + kPlotW + support_w + kPad;
  double height = kPad + title_h + legend_h + plot_h + bottom + kPad;
  std::vector<LegendEntry> legend{{"precision", colors::kBlue, false, true},
                                  {"recall", colors::kOrange, false, true},
                                  {"F1", colors::kGreen, false, true}};

  return Figure(width, height, [=](Canvas& c) {
    Rect area{kPad + label_w, kPad + title_h + legend_h, kPlotW, plot_h};
    c.font(kTitleFont, true);
    c.text(area.x + area.w / 2, kPad, "Per-class precision, recall and F1", colors::kText, Align::kCenter,
           Baseline::kTop);
    draw_legend(c, area.x + (area.w - legend_width(c, legend, kFont)) / 2, kPad + title_h, legend, kFont);
    Ticks y;  // no y ticks: rows are labelled by class
    y.values.clear();
    XYPlot plot(area, x, y);
    plot.draw_axes(c, "score", "", kFont);
    const double bar = (row_h - 3) / 3;
    for (int i = 0; i < n; ++i) {
      const ClassScore& s = scores[i];
      double top = area.y + i * row_h + 1.5;
      const double values[] = {s.precision, s.recall, s.f1};
      const Rgb fills[] = {colors::kBlue, colors::kOrange, colors::kGreen};
      for (int k = 0; k < 3; ++k)
        if (std::isfinite(values[k]))
          c.fill_rect(area.x, top + k * bar, std::max(0.0, plot.px(values[k]) - area.x), bar, fills[k]);
      c.font(label_font);
      c.text(area.x - 6, top + 1.5 * bar, labels[i], colors::kText, Align::kEnd, Baseline::kMiddle);
      c.text(area.x + area.w + 6, top + 1.5 * bar, supports[i], colors::kMuted, Align::kStart,
             Baseline::kMiddle);
    }
  });
}

}  // namespace pipe::report
