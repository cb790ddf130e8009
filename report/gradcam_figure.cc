#include "report/gradcam_figure.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "report/colormap.h"

namespace pipe::report {

namespace {
constexpr double kPad = 14, kTitleFont = 13, kFont = 10, kBox = 128, kInner = 6, kGap = 20, kBarW = 14;
}

std::vector<double> normalized_heat(const std::vector<float>& heat) {
  double hi = 0;
  for (float v : heat)
    if (std::isfinite(v)) hi = std::max(hi, static_cast<double>(v));
  std::vector<double> out(heat.size(), 0.0);
  if (hi > 0)
    for (size_t i = 0; i < heat.size(); ++i)
      out[i] = std::isfinite(heat[i]) ? std::max(0.0, static_cast<double>(heat[i])) / hi : 0.0;
  return out;
}

Figure gradcam_figure(const std::vector<GradcamItem>& items, const std::string& title, int columns,
                      double alpha) {
  for (const auto& it : items)
    if (it.heat.size() != static_cast<size_t>(it.heat_h) * it.heat_w || it.heat.empty())
      throw Error("grad-cam figure: heat map of " + std::to_string(it.heat.size()) + " values is not " +
                  std::to_string(it.heat_h) + "x" + std::to_string(it.heat_w));
  Canvas& m = Canvas::measuring();
  m.font(kFont);
  double line_h = m.measure("Ag").height();
  size_t lines = 0;
  for (const auto& it : items) lines = std::max(lines, it.lines.size());
  double tile_w = 2 * kBox + kInner, tile_h = kBox + 4 + lines * (line_h + 1);
  int n = static_cast<int>(items.size());
  columns = std::max(1, std::min(columns, std::max(1, n)));
  int rows = (n + columns - 1) / columns;
  m.font(kTitleFont, true);
  double title_h = m.measure("Ag").height() + 8;
  m.font(kFont);
  double sub_h = line_h + 6;  // "image" / "Grad-CAM" above each tile
  Ticks ticks = nice_ticks(0, 1, 6);
  const std::string bar_title = "relative importance";
  double bar_room = colorbar_width(m, kBarW, ticks, bar_title, kFont);
  double grid_w = columns * (tile_w + kGap) - kGap;
  double width = kPad + grid_w + 20 + bar_room + kPad;
  double height = kPad + title_h + rows * (sub_h + tile_h + kGap) - kGap + kPad;

  std::vector<std::vector<Rgb>> heat_colors;
  for (const auto& it : items) {
    std::vector<Rgb> colours;
    for (double v : normalized_heat(it.heat)) colours.push_back(colormap(Colormap::kTurbo, v));
    heat_colors.push_back(std::move(colours));
  }

  return Figure(width, height, [=](Canvas& c) {
    c.font(kTitleFont, true);
    c.text(kPad + grid_w / 2, kPad, title, colors::kText, Align::kCenter, Baseline::kTop);
    for (int i = 0; i < n; ++i) {
      const GradcamItem& it = items[i];
      double x = kPad + (i % columns) * (tile_w + kGap);
      double y = kPad + title_h + (i / columns) * (sub_h + tile_h + kGap);
      c.font(kFont);
      c.text(x + kBox / 2, y, "image", colors::kMuted, Align::kCenter, Baseline::kTop);
      c.text(x + kBox + kInner + kBox / 2, y, "Grad-CAM", colors::kMuted, Align::kCenter, Baseline::kTop);
      y += sub_h;
      // Fit the image into the box, keeping its aspect; the heat covers exactly the image.
      double k = std::min(kBox / it.image.width, kBox / it.image.height);
      double iw = it.image.width * k, ih = it.image.height * k;
      double ox = (kBox - iw) / 2, oy = (kBox - ih) / 2;
      bool smooth = k < 1.5;
      c.image(it.image, x + ox, y + oy, iw, ih, smooth);
      double x2 = x + kBox + kInner;
      c.image(it.image, x2 + ox, y + oy, iw, ih, smooth);
      c.cells(heat_colors[i], it.heat_h, it.heat_w, x2 + ox, y + oy, iw, ih, alpha, true);
      c.stroke_rect(x, y, kBox, kBox, colors::kGrid, 1);
      c.stroke_rect(x2, y, kBox, kBox, colors::kGrid, 1);
      c.font(kFont);
      for (size_t l = 0; l < it.lines.size(); ++l)
        c.text(x + tile_w / 2, y + kBox + 4 + l * (line_h + 1), c.ellipsize(it.lines[l], tile_w),
               l == 0 ? colors::kText : colors::kMuted, Align::kCenter, Baseline::kTop);
    }
    double bar_h = std::min(200.0, rows * (sub_h + tile_h + kGap) - kGap - sub_h);
    draw_colorbar(c, Colormap::kTurbo, kPad + grid_w + 20, kPad + title_h + sub_h, kBarW, std::max(bar_h, 80.0),
                  ticks, bar_title, kFont);
  });
}

}  // namespace pipe::report
