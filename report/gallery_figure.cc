#include "report/gallery_figure.h"

#include <algorithm>
#include <cmath>

namespace pipe::report {

namespace {
constexpr double kPad = 14, kTitleFont = 13, kImageBox = 84, kMaxTileW = 190, kGap = 10;
}

std::string prediction_caption(const std::string& truth, const std::string& pred, double p) {
  return truth + " \xe2\x86\x92 " + pred + " (" + format_number(p, 2) + ")";
}

Figure gallery_figure(const std::vector<GalleryItem>& items, const std::string& title, int columns) {
  Canvas& m = Canvas::measuring();
  // Caption font: 10 px, down to 8 px when the longest line would not fit the widest tile.
  double font = 10;
  size_t lines = 0;
  double widest = 0;
  for (const auto& it : items) lines = std::max(lines, it.lines.size());
  for (; font >= 8; font -= 0.5) {
    m.font(font);
    widest = 0;
    for (const auto& it : items) widest = std::max(widest, m.max_width(it.lines));
    if (widest <= kMaxTileW - 6) break;
  }
  font = std::max(font, 8.0);
  m.font(font);
  double line_h = m.measure("Ag").height();
  double tile_w = std::clamp(widest + 6, kImageBox + 6, kMaxTileW);
  double tile_h = kImageBox + 4 + lines * (line_h + 1);
  int n = static_cast<int>(items.size());
  columns = std::max(1, std::min(columns, std::max(1, n)));
  int rows = (n + columns - 1) / columns;
  m.font(kTitleFont, true);
  double title_h = title.empty() ? 0 : m.measure("Ag").height() + 8;
  double width = std::max(2 * kPad + columns * (tile_w + kGap) - kGap, 2 * kPad + m.measure(title).width);
  double height = kPad + title_h + rows * (tile_h + kGap) - (rows > 0 ? kGap : 0) + kPad;

  return Figure(width, height, [=](Canvas& c) {
    if (!title.empty()) {
      c.font(kTitleFont, true);
      c.text(width / 2, kPad, title, colors::kText, Align::kCenter, Baseline::kTop);
    }
    for (int i = 0; i < n; ++i) {
      const GalleryItem& it = items[i];
      double x = kPad + (i % columns) * (tile_w + kGap);
      double y = kPad + title_h + (i / columns) * (tile_h + kGap);
      double bx = x + (tile_w - kImageBox) / 2;
      if (!it.image.empty()) {
        double k = std::min(kImageBox / it.image.width, kImageBox / it.image.height);
        double iw = it.image.width * k, ih = it.image.height * k;
        c.image(it.image, bx + (kImageBox - iw) / 2, y + (kImageBox - ih) / 2, iw, ih, k < 1.5);
      }
      c.stroke_rect(bx - 1, y - 1, kImageBox + 2, kImageBox + 2, it.frame, 2);
      c.font(font);
      for (size_t l = 0; l < it.lines.size(); ++l)
        c.text(x + tile_w / 2, y + kImageBox + 4 + l * (line_h + 1), c.ellipsize(it.lines[l], tile_w - 2),
               l == 0 ? colors::kText : colors::kMuted, Align::kCenter, Baseline::kTop);
    }
  });
}

}  // namespace pipe::report
