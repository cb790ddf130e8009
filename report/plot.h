// XYPlot — a rectangle of a Canvas with numeric x and y axes: maps data to
// pixels and draws grid, frame, ticks, tick labels and axis titles.  Also a
// small legend.  Used by the learning-curve and bar figures.
#pragma once

#include <string>
#include <vector>

#include "report/figure.h"

namespace pipe::report {

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
};

class XYPlot {
 public:
  XYPlot(Rect area, Ticks x, Ticks y) : area_(area), x_(std::move(x)), y_(std::move(y)) {}

  double px(double x) const;
  double py(double y) const;
  const Rect& area() const { return area_; }
  const Ticks& x_ticks() const { return x_; }
  const Ticks& y_ticks() const { return y_; }

  // Grid lines at the ticks, the frame, tick labels and axis titles outside the area.
  void draw_axes(Canvas& canvas, const std::string& x_title, const std::string& y_title,
                 double font_size = 10) const;
  // A line through the finite points; a NaN breaks it.  Markers when `markers` > 0.
  void draw_series(Canvas& canvas, const std::vector<double>& xs, const std::vector<double>& ys, Rgb color,
                   bool dashed, double markers = 0) const;

  // The room outside the area that draw_axes uses.
  static double left_margin(Canvas& canvas, const Ticks& y, const std::string& y_title, double font_size = 10);
  static double bottom_margin(Canvas& canvas, const std::string& x_title, double font_size = 10);

 private:
  Rect area_;
  Ticks x_, y_;
};

struct LegendEntry {
  std::string label;
  Rgb color;
  bool dashed = false;
  bool box = false;  // a filled box (bars) instead of a line sample
};
// One row of entries starting at (x, y) (top); returns its width.
double draw_legend(Canvas& canvas, double x, double y, const std::vector<LegendEntry>& entries,
                   double font_size = 10);
double legend_width(Canvas& canvas, const std::vector<LegendEntry>& entries, double font_size = 10);

// Integer ticks for epoch axes: nice steps, but never finer than 1.
Ticks integer_ticks(double lo, double hi, int max_ticks = 8);

}  // namespace pipe::report
