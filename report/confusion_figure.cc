#include "report/confusion_figure.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "report/colormap.h"

namespace pipe::report {

namespace {

constexpr double kPad = 14, kTitleFont = 13, kAxisFont = 11, kBarW = 14, kBarFont = 10;
constexpr double kMaxLabelW = 150;  // longer class names are ellipsized
// Square-root colour scale: the few errors off the diagonal stay visible next to it.
constexpr double kGamma = 0.5;

struct Geometry {
  int n = 0;
  double cell = 0, label_font = 0, number_font = 0;
  int stride = 1;            // label every stride-th class
  bool vertical_x = false;   // x labels rotated to read upwards
  double y_label_w = 0, x_label_h = 0;
  double title_h = 0, axis_title_h = 0, bar_w = 0;
  double x = 0, y = 0, width = 0, height = 0;
  Ticks ticks;
  std::vector<std::string> labels;  // ellipsized
};

Geometry layout(const std::vector<std::string>& names, ConfusionStyle style, double max_abs) {
  Canvas& c = Canvas::measuring();
  Geometry g;
  g.n = static_cast<int>(names.size());
  int n = std::max(g.n, 1);
  g.cell = std::clamp(720.0 / n, 10.0, 46.0);
  g.label_font = std::clamp(g.cell * 0.8, 8.0, 11.0);
  c.font(g.label_font);
  double label_h = c.measure("Ag").height();
  g.stride = std::max(1, static_cast<int>(std::ceil(label_h * 1.05 / g.cell)));
  for (const auto& s : names) g.labels.push_back(c.ellipsize(s, kMaxLabelW));
  double widest = c.max_width(g.labels);
  g.vertical_x = widest > g.cell - 4;
  g.y_label_w = widest + 6;
  g.x_label_h = (g.vertical_x ? widest : label_h) + 6;

  c.font(kTitleFont, true);
  g.title_h = c.measure("Ag").height() + 8;
  c.font(kAxisFont, true);
  g.axis_title_h = c.measure("Ag").height() + 6;

  if (style == ConfusionStyle::kRowNormalized) {
    g.ticks = nice_ticks(0, 1, 6);
  } else if (style == ConfusionStyle::kDifference) {
    double m = std::max(1.0, max_abs);
    g.ticks = nice_ticks(-m, m, 7);
    double hi = std::max(-g.ticks.lo, g.ticks.hi);  // symmetric, so white is zero
    g.ticks = nice_ticks(-hi, hi, 7);
  } else {
    g.ticks = nice_ticks(0, std::max(1.0, max_abs), 6);
    g.ticks.decimals = 0;
  }
  const char* bar_title = style == ConfusionStyle::kRowNormalized ? "fraction of true class"
                          : style == ConfusionStyle::kDifference  ? "change in count"
                                                                  : "count";
  g.bar_w = colorbar_width(c, kBarW, g.ticks, bar_title, kBarFont);

  g.x = kPad + g.axis_title_h + g.y_label_w;
  g.y = kPad + g.title_h;
  double side = g.n * g.cell;
  g.width = g.x + side + 16 + g.bar_w + kPad;
  g.height = g.y + side + g.x_label_h + g.axis_title_h + kPad;
  return g;
}

double max_abs_value(const ConfusionMatrix& m) {
  double v = 0;
  for (const auto& row : m)
    for (long long x : row) v = std::max(v, static_cast<double>(std::llabs(x)));
  return v;
}

}  // namespace

ConfusionLayout confusion_layout(const ConfusionMatrix& m, const std::vector<std::string>& names,
                                 ConfusionStyle style) {
  Geometry g = layout(names, style, max_abs_value(m));
  ConfusionLayout l;
  l.classes = g.n;
  l.x = g.x, l.y = g.y, l.cell = g.cell, l.width = g.width, l.height = g.height;
  return l;
}

Figure confusion_figure(const ConfusionMatrix& m, const std::vector<std::string>& names,
                        ConfusionStyle style, const std::string& title) {
  const int n = static_cast<int>(m.size());
  for (const auto& row : m)
    if (static_cast<int>(row.size()) != n) throw Error("confusion figure: the matrix is not square");
  if (static_cast<int>(names.size()) != n)
    throw Error("confusion figure: " + std::to_string(names.size()) + " class names for " +
                std::to_string(n) + " classes");
  Geometry g = layout(names, style, max_abs_value(m));
  auto norm = row_normalized(m);
  std::string heading = !title.empty() ? title
                        : style == ConfusionStyle::kRowNormalized ? "Confusion matrix (row-normalised)"
                        : style == ConfusionStyle::kDifference    ? "Confusion matrix difference"
                                                                  : "Confusion matrix (counts)";
  Colormap map = style == ConfusionStyle::kDifference ? Colormap::kDiverging : Colormap::kBlues;

  // Colour per cell and the text shown in it.
  std::vector<Rgb> fill(static_cast<size_t>(n) * n);
  std::vector<std::string> text(fill.size());
  double span = g.ticks.hi - g.ticks.lo;
  for (int t = 0; t < n; ++t)
    for (int p = 0; p < n; ++p) {
      double v = style == ConfusionStyle::kRowNormalized ? norm[t][p] : static_cast<double>(m[t][p]);
      fill[t * n + p] = colormap(map, span > 0 ? (v - g.ticks.lo) / span : 0, kGamma);
      if (style == ConfusionStyle::kRowNormalized)
        text[t * n + p] = m[t][p] == 0 ? "" : format_number(v, 2);
      else if (m[t][p] != 0 || n <= 12)
        text[t * n + p] = (style == ConfusionStyle::kDifference && m[t][p] > 0 ? "+" : "") +
                          std::to_string(m[t][p]);
    }
  // The largest font at which every cell text fits its cell (none below 7 px).
  Canvas& mc = Canvas::measuring();
  double number_font = std::min(12.0, g.cell * 0.42);
  mc.font(number_font);
  double widest = mc.max_width(text);
  if (widest > g.cell - 3) number_font *= (g.cell - 3) / widest;
  bool show_numbers = number_font >= 7;

  return Figure(g.width, g.height, [=](Canvas& c) {
    const double side = n * g.cell;
    c.font(kTitleFont, true);
    c.text(g.x + side / 2, kPad, heading, colors::kText, Align::kCenter, Baseline::kTop);

    c.cells(fill, n, n, g.x, g.y, side, side);
    if (n <= 40)  // thin separators help count cells; with more they only add noise
      for (int i = 1; i < n; ++i) {
        c.line(g.x + i * g.cell, g.y, g.x + i * g.cell, g.y + side, colors::kWhite, 0.6);
        c.line(g.x, g.y + i * g.cell, g.x + side, g.y + i * g.cell, colors::kWhite, 0.6);
      }
    c.stroke_rect(g.x, g.y, side, side, colors::kFrame, 0.8);

    if (show_numbers) {
      c.font(number_font);
      for (int t = 0; t < n; ++t)
        for (int p = 0; p < n; ++p) {
          const std::string& s = text[t * n + p];
          if (s.empty()) continue;
          Rgb ink = fill[t * n + p].luminance() < 0.5 ? colors::kWhite : colors::kText;
          c.text(g.x + (p + 0.5) * g.cell, g.y + (t + 0.5) * g.cell, s, ink, Align::kCenter, Baseline::kMiddle);
        }
    }

    c.font(g.label_font);
    for (int i = 0; i < n; i += g.stride) {
      double mid = (i + 0.5) * g.cell;
      c.text(g.x - 5, g.y + mid, g.labels[i], colors::kText, Align::kEnd, Baseline::kMiddle);
      if (g.vertical_x)
        c.text(g.x + mid, g.y + side + 5, g.labels[i], colors::kText, Align::kEnd, Baseline::kMiddle, -90);
      else
        c.text(g.x + mid, g.y + side + 5, g.labels[i], colors::kText, Align::kCenter, Baseline::kTop);
    }
    c.font(kAxisFont, true);
    c.text(g.x + side / 2, g.y + side + g.x_label_h + 2, "predicted class", colors::kText, Align::kCenter,
           Baseline::kTop);
    c.text(kPad, g.y + side / 2, "true class", colors::kText, Align::kCenter, Baseline::kTop, -90);

    double bar_h = std::min(side, 360.0);
    const char* bar_title = style == ConfusionStyle::kRowNormalized ? "fraction of true class"
                            : style == ConfusionStyle::kDifference  ? "change in count"
                                                                    : "count";
    draw_colorbar(c, map, g.x + side + 16, g.y, kBarW, bar_h, g.ticks, bar_title, kBarFont, kGamma);
  });
}

}  // namespace pipe::report
