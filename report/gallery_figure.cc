#include "report/gallery_figure.h"

#include <algorithm>
#include <cmath>

namespace pipe::report {

namespace {
constexpr double kPad = 14, kTitleFont = 13, kFont = 9.5, kImageBox = 84, kMaxTileW = 170, kGap = 10;
constexpr double kMaxWidth = 1100;  // fits a report page without scrolling
}

std::string prediction_caption(const std::string& truth, const std::string& pred, double p) {
  return truth + " \xe2\x86\x92 " + pred + " (" + format_number(p, 2) + ")";
}

Figure gallery_figure(const std::vector<GalleryItem>& items, const std::string& title, int columns) {
  Canvas& m = Canvas::measuring();
  m.font(kFont);
  double widest = 0;
  for (const auto& it : items) widest = std::max(widest, m.max_width(it.lines));
  double tile_w = std::clamp(widest + 6, kImageBox + 6, kMaxTileW);
  // Captions wrap at spaces inside the tile; every tile gets the height of the tallest.
  std::vector<std::vector<std::string>> captions;
  size_t lines = 0;
  for (const auto& it : items) {
    std::vector<std::string> wrapped;
    for (const auto& l : it.lines)
      for (auto& part : m.wrap(l, tile_w - 4, 2)) wrapped.push_back(part);
    lines = std::max(lines, wrapped.size());
    captions.push_back(std::move(wrapped));
  }
  double line_h = m.measure("Ag").height();
  double tile_h = kImageBox + 4 + lines * (line_h + 1);
  int n = static_cast<int>(items.size());
  int fit = std::max(1, static_cast<int>((kMaxWidth - 2 * kPad + kGap) / (tile_w + kGap)));
  columns = std::max(1, std::min({columns, fit, std::max(1, n)}));
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
      c.font(kFont);
      // The first caption line (with its wrapped continuation) dark, the rest muted.
      size_t first = it.lines.empty() ? 0 : c.wrap(it.lines[0], tile_w - 4, 2).size();
      for (size_t l = 0; l < captions[i].size(); ++l)
        c.text(x + tile_w / 2, y + kImageBox + 4 + l * (line_h + 1), captions[i][l],
               l < first ? colors::kText : colors::kMuted, Align::kCenter, Baseline::kTop);
    }
  });
}

}  // namespace pipe::report
